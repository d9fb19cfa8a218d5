package dev.edgerun.onnx;

import com.google.protobuf.ByteString;
import dev.edgerun.onnx.proto.Onnx.AttributeProto;
import dev.edgerun.onnx.proto.Onnx.FunctionProto;
import dev.edgerun.onnx.proto.Onnx.GraphProto;
import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.onnx.proto.Onnx.NodeProto;
import dev.edgerun.onnx.proto.Onnx.OperatorSetIdProto;
import dev.edgerun.onnx.proto.Onnx.StringStringEntryProto;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.onnx.proto.Onnx.TensorShapeProto;
import dev.edgerun.onnx.proto.Onnx.TypeProto;
import dev.edgerun.onnx.proto.Onnx.ValueInfoProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Function;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/** IR → ONNX. Tensors are written as raw_data (strings as string_data), or as external data. */
final class OnnxWriter {
    /** Tensors smaller than this stay inline even when a model is written with external data. */
    static final long EXTERNAL_MIN_BYTES = 1024;
    private static final long PAGE = 4096;

    private OnnxWriter() {}

    static long initializerBytes(Model model) {
        return model.graph().parameterBytes();
    }

    /**
     * Writes to temporary siblings first and then moves them into place, so that a model whose
     * weights are memory-mapped from the very files being replaced stays readable while it is written.
     */
    static void write(Model model, Path file, boolean externalData) {
        Path target = file.toAbsolutePath();
        Path tmpModel = target.resolveSibling(target.getFileName() + ".tmp");
        String dataName = target.getFileName() + ".data";
        Path tmpData = target.resolveSibling(dataName + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (OutputStream out = Files.newOutputStream(tmpModel)) {
                if (!externalData) {
                    toProto(model, null).writeTo(out);
                } else {
                    try (FileChannel data = FileChannel.open(tmpData, StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                        toProto(model, new Sink(dataName, data)).writeTo(out);
                    }
                }
            }
            if (externalData) Files.move(tmpData, target.resolveSibling(dataName), StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmpModel, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing ONNX model " + file + " failed", e);
        } finally {
            try {
                Files.deleteIfExists(tmpModel);
                Files.deleteIfExists(tmpData);
            } catch (IOException ignored) {
                // best effort: a leftover .tmp file is harmless
            }
        }
    }

    /** Where large tensors go when writing with external data; null writes everything inline. */
    record Sink(String location, FileChannel channel) {
        TensorProto externalize(String name, Tensor t) throws IOException {
            long offset = (channel.size() + PAGE - 1) / PAGE * PAGE;
            ByteBuffer bytes = t.data().asByteBuffer();
            long at = offset;
            while (bytes.hasRemaining()) at += channel.write(bytes, at);
            TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.dtype().onnxCode())
                    .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", location))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Long.toString(t.byteSize())));
            for (long d : t.shape().dims()) b.addDims(d);
            return b.build();
        }
    }

    static ModelProto toProto(Model m, Sink sink) {
        ModelProto.Builder b = ModelProto.newBuilder()
                .setIrVersion(m.irVersion())
                .setProducerName(m.producerName())
                .setProducerVersion(m.producerVersion())
                .setDomain(m.domain())
                .setModelVersion(m.modelVersion())
                .setDocString(m.docString());
        for (Map.Entry<String, Long> e : m.opsetImports().entrySet()) {
            b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        }
        for (Map.Entry<String, String> e : m.metadata().entrySet()) b.addMetadataProps(entry(e.getKey(), e.getValue()));
        for (Function f : m.functions()) b.addFunctions(function(f));
        b.setGraph(graph(m.graph(), sink));
        return b.build();
    }

    private static GraphProto graph(Graph g, Sink sink) {
        GraphProto.Builder b = GraphProto.newBuilder().setName(g.name());
        if (!g.docString().isEmpty()) b.setDocString(g.docString());
        for (Node n : g.nodes()) b.addNode(node(n));
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) b.addInitializer(initializer(e.getKey(), e.getValue(), sink));
        for (Value v : g.inputs()) b.addInput(value(v));
        for (Value v : g.outputs()) b.addOutput(value(v));
        for (Value v : g.valueInfo()) b.addValueInfo(value(v));
        return b.build();
    }

    private static TensorProto initializer(String name, Tensor t, Sink sink) {
        if (sink != null && t.dtype() != DType.STRING && t.byteSize() >= EXTERNAL_MIN_BYTES) {
            try {
                return sink.externalize(name, t);
            } catch (IOException e) {
                throw new UncheckedIOException("writing external data for '" + name + "' failed", e);
            }
        }
        return TensorProtos.toProto(name, t);
    }

    private static NodeProto node(Node n) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.opType())
                .addAllInput(n.inputs()).addAllOutput(n.outputs());
        if (!n.name().isEmpty()) b.setName(n.name());
        if (!n.domain().isEmpty()) b.setDomain(n.domain());
        if (!n.docString().isEmpty()) b.setDocString(n.docString());
        for (Attribute a : n.attributes().values()) b.addAttribute(attribute(a));
        return b.build();
    }

    private static FunctionProto function(Function f) {
        FunctionProto.Builder b = FunctionProto.newBuilder().setName(f.name()).setDomain(f.domain())
                .addAllInput(f.inputs()).addAllOutput(f.outputs()).addAllAttribute(f.attributeNames());
        if (!f.docString().isEmpty()) b.setDocString(f.docString());
        for (Attribute a : f.attributeDefaults()) b.addAttributeProto(attribute(a));
        for (Node n : f.nodes()) b.addNode(node(n));
        for (Map.Entry<String, Long> e : f.opsetImports().entrySet()) {
            b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        }
        for (Value v : f.valueInfo()) b.addValueInfo(value(v));
        return b.build();
    }

    // ------------------------------------------------------------------ attributes

    @SuppressWarnings("unchecked")
    private static AttributeProto attribute(Attribute a) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(a.name()).setType(type(a.kind()));
        if (!a.docString().isEmpty()) b.setDocString(a.docString());
        if (!a.refAttrName().isEmpty()) return b.setRefAttrName(a.refAttrName()).build();
        Object v = a.value();
        switch (a.kind()) {
            case FLOAT -> b.setF(((Number) v).floatValue());
            case INT -> b.setI(((Number) v).longValue());
            case STRING -> b.setS(ByteString.copyFrom((String) v, StandardCharsets.UTF_8));
            case TENSOR -> b.setT(TensorProtos.toProto("", (Tensor) v));
            case GRAPH -> b.setG(graph((Graph) v, null));
            case SPARSE_TENSOR -> b.setSparseTensor(SparseTensors.sparsify("", (Tensor) v));
            case TYPE -> b.setTp(type((ValueType) v));
            case FLOATS -> { for (float f : (float[]) v) b.addFloats(f); }
            case INTS -> { for (long l : (long[]) v) b.addInts(l); }
            case STRINGS -> { for (String s : (List<String>) v) b.addStrings(ByteString.copyFrom(s, StandardCharsets.UTF_8)); }
            case TENSORS -> { for (Tensor t : (List<Tensor>) v) b.addTensors(TensorProtos.toProto("", t)); }
            case GRAPHS -> { for (Graph g : (List<Graph>) v) b.addGraphs(graph(g, null)); }
            case SPARSE_TENSORS -> { for (Tensor t : (List<Tensor>) v) b.addSparseTensors(SparseTensors.sparsify("", t)); }
            case TYPES -> { for (ValueType t : (List<ValueType>) v) b.addTypeProtos(type(t)); }
        }
        return b.build();
    }

    private static AttributeProto.AttributeType type(Attribute.Kind k) {
        return switch (k) {
            case FLOAT -> AttributeProto.AttributeType.FLOAT;
            case INT -> AttributeProto.AttributeType.INT;
            case STRING -> AttributeProto.AttributeType.STRING;
            case TENSOR -> AttributeProto.AttributeType.TENSOR;
            case GRAPH -> AttributeProto.AttributeType.GRAPH;
            case SPARSE_TENSOR -> AttributeProto.AttributeType.SPARSE_TENSOR;
            case TYPE -> AttributeProto.AttributeType.TYPE_PROTO;
            case FLOATS -> AttributeProto.AttributeType.FLOATS;
            case INTS -> AttributeProto.AttributeType.INTS;
            case STRINGS -> AttributeProto.AttributeType.STRINGS;
            case TENSORS -> AttributeProto.AttributeType.TENSORS;
            case GRAPHS -> AttributeProto.AttributeType.GRAPHS;
            case SPARSE_TENSORS -> AttributeProto.AttributeType.SPARSE_TENSORS;
            case TYPES -> AttributeProto.AttributeType.TYPE_PROTOS;
        };
    }

    // ------------------------------------------------------------------ values and types

    private static ValueInfoProto value(Value v) {
        ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(v.name());
        if (!(v.type() instanceof ValueType.Unknown)) b.setType(type(v.type()));
        if (!v.docString().isEmpty()) b.setDocString(v.docString());
        return b.build();
    }

    static TypeProto type(ValueType t) {
        TypeProto.Builder b = TypeProto.newBuilder();
        switch (t) {
            case ValueType.TensorType tt -> {
                TypeProto.Tensor.Builder x = TypeProto.Tensor.newBuilder().setElemType(tt.dtype().onnxCode());
                if (tt.shape() != null) x.setShape(shape(tt.shape()));
                b.setTensorType(x);
            }
            case ValueType.SparseTensorType st -> {
                TypeProto.SparseTensor.Builder x = TypeProto.SparseTensor.newBuilder().setElemType(st.dtype().onnxCode());
                if (st.shape() != null) x.setShape(shape(st.shape()));
                b.setSparseTensorType(x);
            }
            case ValueType.SequenceType s -> {
                TypeProto.Sequence.Builder x = TypeProto.Sequence.newBuilder();
                if (!(s.element() instanceof ValueType.Unknown)) x.setElemType(type(s.element()));
                b.setSequenceType(x);
            }
            case ValueType.OptionalType o -> {
                TypeProto.Optional.Builder x = TypeProto.Optional.newBuilder();
                if (!(o.element() instanceof ValueType.Unknown)) x.setElemType(type(o.element()));
                b.setOptionalType(x);
            }
            case ValueType.MapType m -> {
                TypeProto.Map.Builder x = TypeProto.Map.newBuilder().setKeyType(m.keyType().onnxCode());
                if (!(m.valueType() instanceof ValueType.Unknown)) x.setValueType(type(m.valueType()));
                b.setMapType(x);
            }
            case ValueType.Unknown u -> { }
        }
        return b.build();
    }

    private static TensorShapeProto shape(Shape s) {
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        for (int i = 0; i < s.rank(); i++) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (s.dim(i) >= 0) d.setDimValue(s.dim(i));
            else if (s.symbol(i) != null) d.setDimParam(s.symbol(i));
            b.addDim(d);
        }
        return b.build();
    }

    static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }
}
