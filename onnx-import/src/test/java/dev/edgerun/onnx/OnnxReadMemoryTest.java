package dev.edgerun.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import dev.edgerun.onnx.proto.Onnx.GraphProto;
import dev.edgerun.onnx.proto.Onnx.ModelProto;
import dev.edgerun.onnx.proto.Onnx.TensorProto;
import dev.edgerun.runtime.ir.Model;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reading a model costs in memory besides the model itself: tensor data is copied once, from
 * the file into the model's off-heap arena (not first into heap arrays), and the file's mapping is
 * gone when {@link OnnxModels#read(Path)} returns.
 */
class OnnxReadMemoryTest {
    private static final int WEIGHT_FLOATS = 2 << 20; // 8 MiB of raw_data

    @Test
    void tensorDataIsNotCopiedOntoTheHeap(@TempDir Path dir) throws Exception {
        Path file = writeModelWithLargeWeight(dir);
        byte[] bytes = Files.readAllBytes(file);
        long weightBytes = 4L * WEIGHT_FLOATS;
        long fromFile = heapBytesAllocatedBy(() -> OnnxModels.read(file));
        long fromBytes = heapBytesAllocatedBy(() -> OnnxModels.read(bytes));
        assertTrue(fromFile < weightBytes / 4, "read(Path) allocated " + fromFile + " heap bytes for " + weightBytes
                + " bytes of weights");
        assertTrue(fromBytes < weightBytes / 4, "read(byte[]) allocated " + fromBytes + " heap bytes for " + weightBytes
                + " bytes of weights");
    }

    @Test
    void theFileIsNoLongerMappedAfterReading(@TempDir Path dir) throws Exception {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs Linux's /proc/self/maps to see the process's mappings");
        Path file = writeModelWithLargeWeight(dir);
        String name = file.toRealPath().toString();
        try (Model m = OnnxModels.read(file)) {
            assertFalse(Files.readString(maps).contains(name), name + " is still mapped after read returned");
            float[] w = m.graph().initializers().get("w").toFloatArray();
            assertEquals(WEIGHT_FLOATS, w.length);
            assertEquals(7f, w[7]);
            assertEquals(WEIGHT_FLOATS - 1f, w[WEIGHT_FLOATS - 1]);
        }
        // The tool entry point keeps returning a proto that stays readable (its mapping lives with it).
        ModelProto p = OnnxModels.parse(file);
        assertEquals(4L * WEIGHT_FLOATS, p.getGraph().getInitializer(0).getRawData().size());
    }

    /** The valid test model plus an initializer 'w' of {@link #WEIGHT_FLOATS} floats 0, 1, 2, ... in raw_data. */
    private static Path writeModelWithLargeWeight(Path dir) throws Exception {
        ByteBuffer raw = ByteBuffer.allocate(4 * WEIGHT_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < WEIGHT_FLOATS; i++) raw.putFloat(i);
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(WEIGHT_FLOATS).setRawData(ByteString.copyFrom(raw.flip())).build();
        ModelProto.Builder m = OnnxValidationTest.validModel();
        GraphProto.Builder g = m.getGraph().toBuilder().clearInitializer().clearInput().clearOutput().clearNode()
                .addInitializer(w)
                .addOutput(m.getGraph().getOutput(0).toBuilder().setName("w"));
        Path file = dir.resolve("large.onnx");
        Files.write(file, m.setGraph(g).build().toByteArray());
        return file;
    }

    /** Heap bytes this thread allocated while reading a model (and closing it). */
    private static long heapBytesAllocatedBy(java.util.function.Supplier<Model> read) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        read.get().close(); // classes loaded and initialized outside the measurement
        long before = threads.getCurrentThreadAllocatedBytes();
        read.get().close();
        return threads.getCurrentThreadAllocatedBytes() - before;
    }
}
