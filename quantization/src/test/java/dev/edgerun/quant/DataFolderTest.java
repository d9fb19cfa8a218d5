package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three layouts of DESIGN.md's "Data folders", and what is refused. */
class DataFolderTest {
    private static final List<Value> INPUT = List.of(Value.tensor("x", DType.FLOAT, 1, 2));

    @Test
    void classSubfoldersTakeTheirLabelFromTheFolderName(@TempDir Path dir) throws IOException {
        write(dir.resolve("3/a.npy"), new float[] {1, 2}, 2);          // one sample, no sample axis
        write(dir.resolve("3/b.npy"), new float[] {3, 4, 5, 6}, 2, 2); // two samples
        write(dir.resolve("7/c.npy"), new float[] {7, 8}, 1, 2);
        try (DataFolder d = DataFolder.read(dir, INPUT)) {
            assertEquals(4, d.size());
            assertArrayEquals(new long[] {3, 3, 3, 7}, d.labels());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, d.slice(0, 4).get("x").toFloatArray());
        }
    }

    @Test
    void arrayPairsConvertIntegersAndReadLabels(@TempDir Path dir) throws IOException {
        try (Tensor t = Tensor.of(DType.UINT8, new byte[] {1, 2, 3, 4, 5, 6}, 3, 2);
             Tensor l = Tensor.of(new long[] {0, 1, 0}, 3)) {
            Npy.write(t, dir.resolve("inputs.npy"));
            Npy.write(l, dir.resolve("labels.npy"));
        }
        try (DataFolder d = DataFolder.read(dir, INPUT)) {
            assertEquals(3, d.size());
            assertArrayEquals(new long[] {0, 1, 0}, d.labels());
            assertEquals(2, d.batches(2).size());
            assertArrayEquals(new float[] {5, 6}, d.batches(2).get(1).get("x").toFloatArray());
        }
    }

    @Test
    void onnxTestFoldersConcatenateDataSetsInNumericOrder(@TempDir Path dir) throws IOException {
        for (int s : new int[] {10, 2}) {
            Path set = Files.createDirectories(dir.resolve("test_data_set_" + s));
            try (Tensor t = Tensor.of(new float[] {s, s}, 1, 2)) {
                Files.write(set.resolve("input_0.pb"), TensorProtos.toProto("x", t).toByteArray());
                Files.write(set.resolve("output_0.pb"), TensorProtos.toProto("y", t).toByteArray());
            }
        }
        try (DataFolder d = DataFolder.read(dir, INPUT)) {
            assertEquals(2, d.size());
            assertArrayEquals(new float[] {2, 2, 10, 10}, d.slice(0, 2).get("x").toFloatArray());
            assertTrue(!d.hasLabels());
        }
    }

    @Test
    void emptyFoldersAndMismatchedLabelsAreRefusedWithTheFolderNamed(@TempDir Path dir) throws IOException {
        QuantizationException e = assertThrows(QuantizationException.class, () -> DataFolder.read(dir, INPUT));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("images.npy"), e.getMessage());
        write(dir.resolve("images.npy"), new float[] {1, 2, 3, 4}, 2, 2);
        try (Tensor l = Tensor.of(new long[] {0, 1, 2}, 3)) {
            Npy.write(l, dir.resolve("labels.npy"));
        }
        e = assertThrows(QuantizationException.class, () -> DataFolder.read(dir, INPUT));
        assertTrue(e.getMessage().contains("3 labels for 2 samples"), e.getMessage());
    }

    private static void write(Path file, float[] v, long... dims) throws IOException {
        Files.createDirectories(file.getParent());
        try (Tensor t = Tensor.of(v, dims)) {
            Npy.write(t, file);
        }
    }
}
