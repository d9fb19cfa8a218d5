package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Function;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.io.ByteArrayInputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's read/write entry points and the IR details a write must keep. */
class OnnxModelsTest {
    private static final byte[] VALID = OnnxValidationTest.validModel().build().toByteArray();

    @Test
    void readsFromPathBytesStreamAndClassPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.onnx");
        Files.write(file, VALID);
        try (Model m = OnnxModels.read(file)) {
            assertEquals(file, m.source().file());
            assertNull(m.source().bytes());
        }
        try (Model m = OnnxModels.read(VALID)) {
            assertSame(VALID, m.source().bytes());
            assertNull(m.source().file());
        }
        try (Model m = OnnxModels.read(new ByteArrayInputStream(VALID))) {
            assertArrayEquals(VALID, m.source().bytes());
        }
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
            Thread.currentThread().setContextClassLoader(loader);
            try (Model m = OnnxModels.readResource("/m.onnx")) {
                assertEquals(2, m.graph().nodes().size());
            }
            var e = assertThrows(ModelFormatException.class, () -> OnnxModels.readResource("absent.onnx"));
            assertTrue(e.getMessage().contains("absent.onnx"), e.getMessage());
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    @Test
    void edgerunLoadFindsTheOnnxImporter(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("m.onnx");
        Files.write(file, VALID);
        assertTrue(Edgerun.importers().stream().anyMatch(i -> i instanceof OnnxImporter));
        try (Model m = Edgerun.load(file)) {
            assertEquals("onnx", m.source().format());
        }
        assertFalse(new OnnxImporter().canRead(dir.resolve("x.npy")));
    }

    @Test
    void closingTheModelFreesItsInitializers() {
        Model m = OnnxModels.read(VALID);
        Tensor w = m.graph().initializers().get("w");
        assertEquals(2f, w.getFloat(1));
        m.close();
        assertThrows(IllegalStateException.class, () -> w.getFloat(1));
    }

    /** An IR built in code with every attribute kind, a function and typed values survives write → read. */
    @Test
    void writeKeepsAttributesFunctionsAndTypes(@TempDir Path dir) {
        try (Tensor t = Tensor.of(new long[] {1, 2}, 2); Tensor s = Tensor.ofStrings(new String[] {"a", "b"}, 2);
             Tensor sparse = Tensor.of(new float[] {0, 5, 0, 7}, 2, 2)) {
            Graph body = Graph.builder("body").input(Value.tensor("i", DType.FLOAT, Shape.of(1)))
                    .node("Identity", List.of("i"), List.of("o")).output(Value.tensor("o", DType.FLOAT, 1)).build();
            Node node = Node.builder("Custom").name("n").domain("my.domain").inputs("x").outputs("y")
                    .attribute("f", 0.25f).attribute("i", 7L).attribute("s", "text").attribute("t", t)
                    .attribute("g", body).attribute("fs", new float[] {1, 2}).attribute("is", new long[] {3, 4})
                    .attribute(Attribute.ofStrings("ss", List.of("p", "q")))
                    .attribute(Attribute.ofTensors("ts", List.of(t, s)))
                    .attribute(Attribute.ofGraphs("gs", List.of(body)))
                    .attribute(new Attribute("sp", Attribute.Kind.SPARSE_TENSOR, sparse, "", ""))
                    .attribute(new Attribute("tp", Attribute.Kind.TYPE, new ValueType.SequenceType(
                            ValueType.tensor(DType.INT64, Shape.symbolic(new long[] {-1, 3}, new String[] {"n", null}))), "", "doc"))
                    .build();
            Function fn = new Function("Custom", "my.domain", List.of("a"), List.of("b"), List.of("alpha"),
                    List.of(Attribute.of("beta", 2L)),
                    List.of(Node.builder("Relu").inputs("a").outputs("b").build()), Map.of("", 21L), List.of(), "fn doc");
            Graph g = Graph.builder("main").input(Value.tensor("x", DType.FLOAT, Shape.symbolic(new long[] {-1}, new String[] {"batch"})))
                    .node(node).output(new Value("y", new ValueType.OptionalType(ValueType.tensor(DType.FLOAT, null)), "out doc"))
                    .valueInfo(new Value("m", new ValueType.MapType(DType.STRING, ValueType.tensor(DType.FLOAT, Shape.of(2))), ""))
                    .build();
            Model model = Model.builder().graph(g).opset(21).opset("my.domain", 1).metadata("author", "me")
                    .function(fn).producer("edgerun", "0.1").docString("d").build();

            byte[] bytes = OnnxModels.write(model);
            Path file = dir.resolve("all.onnx");
            OnnxModels.write(model, file);
            ModelProto fromFile = OnnxModels.parse(file);
            assertTrue(ModelProtoDiff.diff(OnnxModels.parse(bytes, "bytes"), fromFile).isEmpty());
            try (Model back = OnnxModels.read(bytes)) {
                Node n = back.graph().nodes().get(0);
                assertEquals(node.attributes().keySet(), n.attributes().keySet());
                assertEquals(0.25f, n.attribute("f").asFloat());
                assertEquals("text", n.attribute("s").asString());
                assertArrayEquals(new long[] {1, 2}, n.attribute("t").asTensor().toLongArray());
                assertEquals("body", n.attribute("g").asGraph().name());
                assertArrayEquals(new String[] {"a", "b"}, n.attribute("ts").asTensors().get(1).toStringArray());
                assertArrayEquals(new float[] {0, 5, 0, 7}, ((Tensor) n.attribute("sp").value()).toFloatArray());
                assertEquals(node.attribute("tp").value(), n.attribute("tp").value());
                assertEquals("doc", n.attribute("tp").docString());
                assertEquals("my.domain", n.domain());
                assertEquals(g.inputs(), back.graph().inputs());
                assertEquals(g.outputs(), back.graph().outputs());
                assertEquals(g.valueInfo(), back.graph().valueInfo());
                assertEquals(model.opsetImports(), back.opsetImports());
                assertEquals(Map.of("author", "me"), back.metadata());
                assertEquals(fn, back.functions().get(0));
            }
        }
    }
}
