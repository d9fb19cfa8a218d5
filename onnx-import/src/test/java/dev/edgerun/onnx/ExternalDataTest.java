package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.onnx.proto.Onnx.StringStringEntryProto;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensors stored beside the model: mapped when inside the folder, refused when escaping it. */
class ExternalDataTest {

    private static StringStringEntryProto kv(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static TensorProto external(String location, long offset, long length) {
        TensorProto.Builder b = TensorProto.newBuilder().setName("w").setDataType(DType.FLOAT.onnxCode()).addDims(3)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL).addExternalData(kv("location", location));
        if (offset >= 0) b.addExternalData(kv("offset", Long.toString(offset)));
        if (length >= 0) b.addExternalData(kv("length", Long.toString(length)));
        return b.build();
    }

    private static Path writeModel(Path dir, TensorProto w) throws Exception {
        ModelProto.Builder m = OnnxValidationTest.validModel();
        m.setGraph(m.getGraph().toBuilder().setInitializer(0, w));
        Path file = dir.resolve("model.onnx");
        Files.write(file, m.build().toByteArray());
        return file;
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static ModelFormatException fails(Path file) {
        return assertThrows(ModelFormatException.class, () -> OnnxModels.read(file).close());
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }

    @Test
    void readsMappedDataAtAnOffset(@TempDir Path dir) throws Exception {
        byte[] data = new byte[4096 + 12];
        System.arraycopy(floats(4, 5, 6), 0, data, 4096, 12);
        Files.createDirectories(dir.resolve("weights"));
        Files.write(dir.resolve("weights/w.bin"), data);
        Path file = writeModel(dir, external("weights/w.bin", 4096, 12));
        try (Model m = OnnxModels.read(file)) {
            Tensor w = m.graph().initializers().get("w");
            assertArrayEquals(new float[] {4, 5, 6}, w.toFloatArray());
            assertEquals(0, w.data().address() % Tensor.ALIGNMENT);
        }
        Path unaligned = writeModel(dir, external("weights/w.bin", 4096 - 4, 12));
        Files.write(dir.resolve("weights/w.bin"), data);
        try (Model m = OnnxModels.read(unaligned)) {
            assertArrayEquals(new float[] {0, 4, 5}, m.graph().initializers().get("w").toFloatArray());
            assertEquals(0, m.graph().initializers().get("w").data().address() % Tensor.ALIGNMENT, "copied to aligned memory");
        }
    }

    @Test
    void absoluteLocationIsRefused(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3));
        Path file = writeModel(dir, external(dir.resolve("w.bin").toAbsolutePath().toString(), -1, -1));
        assertMentions(fails(file), "model.onnx", "initializer 'w'", "absolute path");
    }

    @Test
    void dotDotEscapeIsRefused(@TempDir Path dir) throws Exception {
        Path inner = Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3));
        Path file = writeModel(inner, external("../secret.bin", -1, -1));
        assertMentions(fails(file), "initializer 'w'", "'../secret.bin'", "escapes the model folder");
    }

    @Test
    void symlinkLeavingTheFolderIsRefused(@TempDir Path dir) throws Exception {
        Path inner = Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), floats(1, 2, 3));
        Files.createSymbolicLink(inner.resolve("link.bin"), dir.resolve("secret.bin"));
        Path file = writeModel(inner, external("link.bin", -1, -1));
        assertMentions(fails(file), "initializer 'w'", "'link.bin'", "link leading out of the model folder");
    }

    @Test
    void offsetPastEndOfFile(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3));
        Path file = writeModel(dir, external("w.bin", 8, 12));
        assertMentions(fails(file), "initializer 'w'", "offset 8 + length 12", "past the end of 'w.bin' (12 bytes)");
    }

    @Test
    void lengthNotMatchingShapeAndMissingFile(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3, 4));
        assertMentions(fails(writeModel(dir, external("w.bin", 0, 16))), "has 16 bytes", "needs 12 bytes");
        assertMentions(fails(writeModel(dir, external("nothere.bin", -1, -1))), "'nothere.bin' not found");
    }

    @Test
    void externalDataFromBytesNeedsAFolder(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), floats(1, 2, 3));
        byte[] bytes = Files.readAllBytes(writeModel(dir, external("w.bin", -1, -1)));
        var e = assertThrows(ModelFormatException.class, () -> OnnxModels.read(bytes).close());
        assertMentions(e, "read the model from a file path");
    }

    @Test
    void writesLargeTensorsAsExternalDataAndReadsThemBack(@TempDir Path dir) throws Exception {
        float[] big = new float[3000];
        for (int i = 0; i < big.length; i++) big[i] = i * 0.5f;
        try (Tensor w = Tensor.of(big, 3000); Tensor b = Tensor.of(new float[] {1}, 1)) {
            Graph g = Graph.builder("g").input(Value.tensor("x", DType.FLOAT, 3000))
                    .initializer("w", w).initializer("b", b)
                    .node("Add", java.util.List.of("x", "w"), java.util.List.of("s"))
                    .node("Add", java.util.List.of("s", "b"), java.util.List.of("y"))
                    .output(Value.tensor("y", DType.FLOAT, 3000)).build();
            Model model = Model.builder().graph(g).opset(21).build();
            Path file = dir.resolve("out/big.onnx");
            OnnxModels.write(model, file, true);
            assertTrue(Files.size(dir.resolve("out/big.onnx.data")) >= 12000);
            assertTrue(Files.size(file) < 2000, "weights are not inline: " + Files.size(file));
            try (Model again = OnnxModels.read(file)) {
                assertArrayEquals(big, again.graph().initializers().get("w").toFloatArray());
                assertArrayEquals(new float[] {1}, again.graph().initializers().get("b").toFloatArray());
                // overwrite the files its weights are mapped from: the mapped weights stay readable
                OnnxModels.write(again, file, true);
                assertArrayEquals(big, again.graph().initializers().get("w").toFloatArray());
            }
            try (Model third = OnnxModels.read(file)) {
                assertArrayEquals(big, third.graph().initializers().get("w").toFloatArray());
            }
            try (var files = Files.list(file.getParent())) {
                assertEquals(java.util.List.of("big.onnx", "big.onnx.data"),
                        files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary files left");
            }
        }
    }
}
