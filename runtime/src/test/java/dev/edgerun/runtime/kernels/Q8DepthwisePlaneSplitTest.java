package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The heap-buffer 3x3 paths of {@link Q8DepthwiseConv} (MobileNetV2's stride-1 and stride-2
 * layers, 512-bit vectors, over {@link Q8DepthwiseConv#PLANE_SPLIT_MIN_MACS}) split by planes over 8
 * threads give the bytes of the serial run and of
 * the {@value Q8DepthwiseConv#CHUNKS} fixed ranges ({@code -Dedgerun.java.q8PlaneSplit=off}).
 */
class Q8DepthwisePlaneSplitTest {

    @ParameterizedTest(name = "stride {0}")
    @ValueSource(ints = {1, 2})
    void planeSplitGivesTheBytesOfTheFixedRanges(int stride) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the heap-buffer paths need 512-bit vectors");
        int channels = 75, side = 28 * stride, out = (side - 1) / stride + 1; // over PLANE_SPLIT_MIN_MACS at batch 2
        long[] xs = {2, channels, side, side}, ws = {channels, 1, 3, 3}, ys = {2, channels, out, out};
        Random rnd = new Random(stride);
        byte[] x = new byte[(int) (xs[0] * channels * side * side)], w = new byte[channels * 9];
        rnd.nextBytes(x);
        for (int i = 0; i < w.length; i++) w[i] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[channels];
        float[] mult = new float[channels];
        for (int c = 0; c < channels; c++) {
            bias[c] = rnd.nextInt(4001) - 2000;
            mult[c] = 0.002f * (0.5f + rnd.nextFloat());
        }
        try (Tensor tx = Tensor.of(DType.UINT8, x, xs); Tensor tw = Tensor.of(DType.INT8, w, ws)) {
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, channels, new int[] {stride, stride},
                    new int[] {1, 1}, new int[] {1, 1}, tw, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 121, bias, mult, false, 103, 103, 193);
            byte[] serial = run(spec, tx, ys, Parallel.SERIAL, null);
            assertArrayEquals(serial, run(spec, tx, ys, new ParallelTestThreads(8), null), "split by planes");
            assertArrayEquals(serial, run(spec, tx, ys, new ParallelTestThreads(8), "off"), "fixed ranges");
        }
    }

    private static byte[] run(KernelProvider.Q8ConvSpec spec, Tensor x, long[] ys, Parallel par, String planeSplit) {
        String previous = System.getProperty(Q8DepthwiseConv.PLANE_SPLIT_PROPERTY);
        if (planeSplit != null) System.setProperty(Q8DepthwiseConv.PLANE_SPLIT_PROPERTY, planeSplit);
        try (Tensor y = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofShared()) {
            Q8DepthwiseConv kernel = new Q8DepthwiseConv(spec, FloatVector.SPECIES_512);
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
            kernel.run(x.data(), y.data(), scratch, par);
            return y.toByteArray();
        } finally {
            if (previous == null) System.clearProperty(Q8DepthwiseConv.PLANE_SPLIT_PROPERTY);
            else System.setProperty(Q8DepthwiseConv.PLANE_SPLIT_PROPERTY, previous);
        }
    }
}
