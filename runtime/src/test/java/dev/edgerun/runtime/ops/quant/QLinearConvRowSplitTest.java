package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.nativelib.OneDnnKernels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A static int8 chain of three 8-bit convolutions ({@link Q8AllocationProbe#chain}: NCHW in, oneDNN's
 * nhwc between them, NCHW out) on oneDNN's kernels at 2 threads: with their output rows split
 * over the two threads (every run, {@code edgerun.onednn.adaptiveThreads=off}) the outputs equal
 * those of the unsplit kernels ({@code edgerun.onednn.q8RowSplit=off}) exactly.
 */
class QLinearConvRowSplitTest {
    private static final String[] PROPERTIES = {KernelSelection.PROPERTY, "edgerun.onednn.adaptiveThreads", "edgerun.onednn.q8RowSplit"};

    @Test
    void splitRowsGiveTheSameOutputs() {
        KernelProvider.Availability onednn = new OneDnnKernels().availability();
        assumeTrue(onednn.available(), "oneDNN unavailable, skipping: " + onednn.reason());
        float[] split = run("auto");
        float[] whole = run("off");
        assertArrayEquals(whole, split);
    }

    /** The chain's output with {@code edgerun.onednn.q8RowSplit} set to {@code rowSplit}, oneDNN forced, 2 threads. */
    private static float[] run(String rowSplit) {
        String[] previous = new String[PROPERTIES.length];
        for (int i = 0; i < PROPERTIES.length; i++) previous[i] = System.getProperty(PROPERTIES[i]);
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        System.setProperty("edgerun.onednn.adaptiveThreads", "off");
        System.setProperty("edgerun.onednn.q8RowSplit", rowSplit);
        KernelSelection.resetDefaults();
        List<Tensor> owned = new ArrayList<>();
        try (Model model = Q8AllocationProbe.chain(owned);
             Session s = Edgerun.session(model, SessionOptions.builder().engine("native").threads(2).build());
             Tensor x = Tensor.of(Q8AllocationProbe.values(2 * 64 * 64, 0.9f), 1, 2, 64, 64);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, 17, 64, 64)) {
            for (int i = 0; i < 3; i++) s.run(Map.of("x", x), Map.of("y", y));
            return y.toFloatArray();
        } finally {
            for (int i = 0; i < PROPERTIES.length; i++) {
                if (previous[i] == null) System.clearProperty(PROPERTIES[i]);
                else System.setProperty(PROPERTIES[i], previous[i]);
            }
            KernelSelection.resetDefaults();
        }
    }
}
