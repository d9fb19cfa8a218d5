package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.edgerun.onnx.proto.Onnx.AttributeProto;
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
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.ir.Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed models: each a ModelFormatException whose message names the file and the problem. */
class OnnxValidationTest {

    static ValueInfoProto floatValue(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DType.FLOAT.onnxCode()).setShape(s))).build();
    }

    static TensorProto weight(String name, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return TensorProto.newBuilder().setName(name).setDataType(DType.FLOAT.onnxCode()).addDims(values.length)
                .setRawData(ByteString.copyFrom(b.array())).build();
    }

    /** y = Relu(x + w), w = [1, 2, 3]. */
    static ModelProto.Builder validModel() {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(floatValue("x", 3))
                .addInitializer(weight("w", 1, 2, 3))
                .addNode(NodeProto.newBuilder().setName("add").setOpType("Add").addInput("x").addInput("w").addOutput("s"))
                .addNode(NodeProto.newBuilder().setName("relu").setOpType("Relu").addInput("s").addOutput("y"))
                .addOutput(floatValue("y", 3)).build();
        return ModelProto.newBuilder().setIrVersion(10).setProducerName("test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(21))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("v"))
                .setGraph(g);
    }

    private static ModelFormatException fails(ModelProto m) {
        return assertThrows(ModelFormatException.class, () -> OnnxModels.read(m.toByteArray()).close());
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }

    @Test
    void validModelReads() {
        try (Model m = OnnxModels.read(validModel().build().toByteArray())) {
            assertEquals(2, m.graph().nodes().size());
            assertArrayEquals(new float[] {1, 2, 3}, m.graph().initializers().get("w").toFloatArray());
            assertEquals("v", m.metadata().get("k"));
            assertEquals(21L, m.onnxOpset());
            assertEquals("onnx", m.source().format());
        }
    }

    @Test
    void truncatedFile(@TempDir Path dir) throws Exception {
        byte[] full = validModel().build().toByteArray();
        Path file = dir.resolve("cut.onnx");
        Files.write(file, Arrays.copyOf(full, full.length - 7));
        var e = assertThrows(ModelFormatException.class, () -> OnnxModels.read(file));
        assertMentions(e, "cut.onnx", "not a valid ONNX model");
    }

    @Test
    void randomBytes(@TempDir Path dir) throws Exception {
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        Path file = dir.resolve("noise.onnx");
        Files.write(file, noise);
        var e = assertThrows(ModelFormatException.class, () -> OnnxModels.read(file));
        assertMentions(e, "noise.onnx");
    }

    @Test
    void missingGraph() {
        var e = fails(validModel().clearGraph().build());
        assertMentions(e, "no graph");
    }

    @Test
    void missingInitializer() {
        ModelProto.Builder m = validModel();
        m.setGraph(m.getGraph().toBuilder().clearInitializer());
        var e = fails(m.build());
        assertMentions(e, "node 'add' (Add)", "input 'w'", "missing initializer or producer");
    }

    @Test
    void rawDataSizeMismatch() {
        ModelProto.Builder m = validModel();
        TensorProto bad = weight("w", 1, 2, 3).toBuilder().setRawData(ByteString.copyFrom(new byte[10])).build();
        m.setGraph(m.getGraph().toBuilder().setInitializer(0, bad));
        var e = fails(m.build());
        assertMentions(e, "initializer 'w'", "raw_data of 10 bytes", "needs 12 bytes");
    }

    @Test
    void duplicateOutputName() {
        ModelProto.Builder m = validModel();
        m.setGraph(m.getGraph().toBuilder().setNode(1, NodeProto.newBuilder().setName("relu").setOpType("Relu")
                .addInput("s").addOutput("s")));
        var e = fails(m.build());
        assertMentions(e, "'s' is produced twice", "node 'add'", "node 'relu'");
    }

    @Test
    void graphOutputWithoutProducer() {
        ModelProto.Builder m = validModel();
        m.setGraph(m.getGraph().toBuilder().addOutput(floatValue("z", 3)));
        var e = fails(m.build());
        assertMentions(e, "graph output 'z'");
    }

    @Test
    void subgraphsSeeOuterScopeButNotLaterValues() {
        // If(cond) { then: Identity(w) } : the branch reads the outer initializer 'w'.
        GraphProto branch = GraphProto.newBuilder().setName("then")
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput("w").addOutput("t"))
                .addOutput(floatValue("t", 3)).build();
        ModelProto.Builder m = validModel();
        GraphProto.Builder g = m.getGraph().toBuilder()
                .addInput(ValueInfoProto.newBuilder().setName("cond"))
                .addNode(NodeProto.newBuilder().setName("if").setOpType("If").addInput("cond").addOutput("r")
                        .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(branch))
                        .addAttribute(AttributeProto.newBuilder().setName("else_branch").setType(AttributeProto.AttributeType.GRAPH).setG(branch)));
        try (Model model = OnnxModels.read(m.setGraph(g).build().toByteArray())) {
            assertEquals("then", model.graph().nodes().get(2).attribute("then_branch").asGraph().name());
        }
        GraphProto readsLater = branch.toBuilder().setNode(0, NodeProto.newBuilder().setOpType("Identity").addInput("later").addOutput("t")).build();
        GraphProto.Builder g2 = m.getGraph().toBuilder().setNode(2, g.getNode(2).toBuilder().setAttribute(0,
                AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(readsLater)));
        var e = fails(m.setGraph(g2).build());
        assertMentions(e, "attribute 'then_branch'", "input 'later'", "missing initializer or producer");
    }

    @Test
    void emptyInputNamesAreOmittedOptionalInputs() {
        ModelProto.Builder m = validModel();
        m.setGraph(m.getGraph().toBuilder().setNode(1, NodeProto.newBuilder().setName("clip").setOpType("Clip")
                .addInput("s").addInput("").addInput("w").addOutput("y")));
        try (Model model = OnnxModels.read(m.build().toByteArray())) {
            assertEquals("", model.graph().nodes().get(1).inputs().get(1));
        }
    }

    @Test
    void negativeDimsAndUnknownDataType() {
        ModelProto.Builder m = validModel();
        m.setGraph(m.getGraph().toBuilder().setInitializer(0, weight("w", 1, 2, 3).toBuilder().setDims(0, -3)));
        assertMentions(fails(m.build()), "initializer 'w'", "negative dimension -3");
        m = validModel();
        m.setGraph(m.getGraph().toBuilder().setInitializer(0, weight("w", 1, 2, 3).toBuilder().setDataType(77)));
        assertMentions(fails(m.build()), "initializer 'w'", "unknown data_type 77");
    }
}
