package dev.edgerun.runtime.ir;

import dev.edgerun.runtime.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A computation graph: nodes in topological order, the graph's inputs and outputs, constant
 * initializers (tensors by name) and optional type annotations for intermediate values. Also used
 * for the subgraphs of {@code If}, {@code Loop} and {@code Scan}, which may read values of the
 * enclosing graphs by name.
 */
public record Graph(String name, List<Node> nodes, List<Value> inputs, List<Value> outputs,
                    Map<String, Tensor> initializers, List<Value> valueInfo, String docString) {

    public Graph {
        name = name == null ? "" : name;
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        valueInfo = List.copyOf(valueInfo);
        docString = docString == null ? "" : docString;
    }

    public static Builder builder(String name) {
        return new Builder().name(name);
    }

    public Builder toBuilder() {
        Builder b = new Builder().name(name).docString(docString);
        b.nodes.addAll(nodes);
        b.inputs.addAll(inputs);
        b.outputs.addAll(outputs);
        b.initializers.putAll(initializers);
        b.valueInfo.addAll(valueInfo);
        return b;
    }

    /**
     * The graph inputs a caller must feed: inputs that are not also initializers (ONNX allows an
     * initializer to be listed as an input, meaning an overridable default).
     */
    public List<Value> requiredInputs() {
        List<Value> r = new ArrayList<>();
        for (Value v : inputs) if (!initializers.containsKey(v.name())) r.add(v);
        return r;
    }

    /** Number of parameters: elements of all initializers. */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : initializers.values()) n += t.elementCount();
        return n;
    }

    /** Bytes of all initializers. */
    public long parameterBytes() {
        long n = 0;
        for (Tensor t : initializers.values()) n += t.byteSize();
        return n;
    }

    public static final class Builder {
        private String name = "";
        private final List<Node> nodes = new ArrayList<>();
        private final List<Value> inputs = new ArrayList<>();
        private final List<Value> outputs = new ArrayList<>();
        private final Map<String, Tensor> initializers = new LinkedHashMap<>();
        private final List<Value> valueInfo = new ArrayList<>();
        private String docString = "";

        public Builder name(String n) { this.name = n; return this; }
        public Builder docString(String d) { this.docString = d; return this; }
        public Builder node(Node n) { nodes.add(n); return this; }
        public Builder nodes(List<Node> ns) { nodes.addAll(ns); return this; }
        public Builder clearNodes() { nodes.clear(); return this; }
        public Builder input(Value v) { inputs.add(v); return this; }
        public Builder output(Value v) { outputs.add(v); return this; }
        public Builder clearInputs() { inputs.clear(); return this; }
        public Builder clearOutputs() { outputs.clear(); return this; }
        public Builder initializer(String n, Tensor t) { initializers.put(n, t); return this; }
        public Builder removeInitializer(String n) { initializers.remove(n); return this; }
        public Builder valueInfo(Value v) { valueInfo.add(v); return this; }
        public Builder clearValueInfo() { valueInfo.clear(); return this; }

        /** Adds a node built from its parts; returns this builder. */
        public Builder node(String opType, List<String> in, List<String> out, Attribute... attrs) {
            Node.Builder nb = Node.builder(opType).inputs(in).outputs(out);
            for (Attribute a : attrs) nb.attribute(a);
            nodes.add(nb.build());
            return this;
        }

        public Graph build() {
            return new Graph(name, nodes, inputs, outputs, initializers, valueInfo, docString);
        }
    }
}
