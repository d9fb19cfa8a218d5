package dev.edgerun.runtime.ir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model: a {@link Graph} plus opset imports and metadata. Immutable; transforms build new models
 * with {@link #toBuilder()}.
 *
 * <p><b>Memory.</b> An imported model owns the off-heap memory of its initializers (possibly a
 * memory-mapped file) through {@code owner}; {@link #close()} releases it. A model derived with
 * {@code toBuilder()} shares those tensors but owns nothing unless given an owner, so keep the
 * original open while a derived model is in use.
 *
 * <p><b>Source.</b> An imported model remembers where it came from ({@link Source}). The ONNX
 * Runtime engine runs the original file or bytes while the model is unchanged; {@code toBuilder()}
 * drops the source, so any transformed model is written back from the IR.
 */
public final class Model implements AutoCloseable {

    /** Where an unchanged model came from: an ONNX file, and/or its bytes. */
    public record Source(String format, Path file, byte[] bytes) {}

    /** The default ONNX domain in {@link #opsetImports()}. */
    public static final String ONNX_DOMAIN = "";

    private final Graph graph;
    private final Map<String, Long> opsetImports;
    private final long irVersion;
    private final String producerName;
    private final String producerVersion;
    private final String domain;
    private final long modelVersion;
    private final String docString;
    private final Map<String, String> metadata;
    private final List<Function> functions;
    private final Source source;
    private final AutoCloseable owner;

    private Model(Builder b) {
        this.graph = b.graph;
        this.opsetImports = Collections.unmodifiableMap(new LinkedHashMap<>(b.opsetImports));
        this.irVersion = b.irVersion;
        this.producerName = b.producerName;
        this.producerVersion = b.producerVersion;
        this.domain = b.domain;
        this.modelVersion = b.modelVersion;
        this.docString = b.docString;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
        this.functions = List.copyOf(b.functions);
        this.source = b.source;
        this.owner = b.owner;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Graph graph() { return graph; }
    /** Domain → opset version; the default ONNX domain is the empty string. */
    public Map<String, Long> opsetImports() { return opsetImports; }
    public long irVersion() { return irVersion; }
    public String producerName() { return producerName; }
    public String producerVersion() { return producerVersion; }
    public String domain() { return domain; }
    public long modelVersion() { return modelVersion; }
    public String docString() { return docString; }
    public Map<String, String> metadata() { return metadata; }
    public List<Function> functions() { return functions; }
    /** The unchanged original, or null for a model built or transformed in memory. */
    public Source source() { return source; }

    /** The opset of the default ONNX domain (0 when not imported). */
    public long onnxOpset() {
        return opsetImports.getOrDefault(ONNX_DOMAIN, opsetImports.getOrDefault("ai.onnx", 0L));
    }

    /** A builder with every field of this model except its source and owner. */
    public Builder toBuilder() {
        Builder b = new Builder().graph(graph).irVersion(irVersion).producer(producerName, producerVersion)
                .domain(domain).modelVersion(modelVersion).docString(docString);
        b.opsetImports.putAll(opsetImports);
        b.metadata.putAll(metadata);
        b.functions.addAll(functions);
        return b;
    }

    @Override
    public void close() {
        if (owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing model memory failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "Model(" + (graph.name().isEmpty() ? "unnamed" : graph.name()) + ", opsets " + opsetImports
                + ", " + graph.nodes().size() + " nodes)";
    }

    public static final class Builder {
        private Graph graph = Graph.builder("").build();
        private final Map<String, Long> opsetImports = new LinkedHashMap<>();
        private long irVersion = 10;
        private String producerName = "edgerun";
        private String producerVersion = "";
        private String domain = "";
        private long modelVersion = 0;
        private String docString = "";
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private final List<Function> functions = new ArrayList<>();
        private Source source;
        private AutoCloseable owner;

        public Builder graph(Graph g) { this.graph = g; return this; }
        public Builder opset(String domain, long version) { opsetImports.put(domain, version); return this; }
        public Builder opset(long onnxVersion) { return opset(ONNX_DOMAIN, onnxVersion); }
        public Builder clearOpsets() { opsetImports.clear(); return this; }
        public Builder irVersion(long v) { this.irVersion = v; return this; }
        public Builder producer(String name, String version) { producerName = name; producerVersion = version; return this; }
        public Builder domain(String d) { this.domain = d; return this; }
        public Builder modelVersion(long v) { this.modelVersion = v; return this; }
        public Builder docString(String d) { this.docString = d; return this; }
        public Builder metadata(String key, String value) { metadata.put(key, value); return this; }
        public Builder function(Function f) { functions.add(f); return this; }
        /** For importers: the original this model is an unchanged copy of. */
        public Builder source(Source s) { this.source = s; return this; }
        /** For importers: what {@link Model#close()} releases (the initializers' memory). */
        public Builder owner(AutoCloseable o) { this.owner = o; return this; }

        public Model build() {
            if (opsetImports.isEmpty()) opsetImports.put(ONNX_DOMAIN, 21L);
            return new Model(this);
        }
    }
}
