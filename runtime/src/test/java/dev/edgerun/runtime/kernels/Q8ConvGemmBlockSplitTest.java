package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
 * {@link Q8ConvGemm}'s pointwise product in column blocks (MobileNetV2's wide expansions, 512-bit
 * vectors) in eight fixed ranges over 8 threads gives the bytes of the serial run and of the four
 * ranges of {@code -Dedgerun.java.q8BlockSplit=off}, at sizes whose blocks divide the positions
 * evenly and not.
 */
class Q8ConvGemmBlockSplitTest {

    @ParameterizedTest(name = "{0}x{0}")
    @ValueSource(ints = {112, 71})
    void eightRangesGiveTheBytesOfFour(int side) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the blocked product needs 512-bit vectors");
        int channels = 16, outputs = 40;
        long[] xs = {1, channels, side, side}, ws = {outputs, channels, 1, 1}, ys = {1, outputs, side, side};
        Random rnd = new Random(side);
        byte[] x = new byte[channels * side * side], w = new byte[outputs * channels];
        rnd.nextBytes(x);
        for (int i = 0; i < w.length; i++) w[i] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[outputs];
        float[] mult = new float[outputs];
        for (int m = 0; m < outputs; m++) {
            bias[m] = rnd.nextInt(4001) - 2000;
            mult[m] = 0.002f * (0.5f + rnd.nextFloat());
        }
        try (Tensor tx = Tensor.of(DType.UINT8, x, xs); Tensor tw = Tensor.of(DType.INT8, w, ws)) {
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, 1, new int[] {1, 1}, new int[] {0, 0},
                    new int[] {1, 1}, tw, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 117, bias, mult, false, 98, 98, 188);
            byte[] serial = run(spec, tx, ys, Parallel.SERIAL, null);
            assertArrayEquals(serial, run(spec, tx, ys, new ParallelTestThreads(8), null), "eight ranges");
            assertArrayEquals(serial, run(spec, tx, ys, new ParallelTestThreads(8), "off"), "four ranges");
        }
    }

    private static byte[] run(KernelProvider.Q8ConvSpec spec, Tensor x, long[] ys, Parallel par, String blockSplit) {
        String previous = System.getProperty(Q8ConvGemm.BLOCK_SPLIT_PROPERTY);
        if (blockSplit != null) System.setProperty(Q8ConvGemm.BLOCK_SPLIT_PROPERTY, blockSplit);
        try (Tensor y = Tensor.allocate(DType.UINT8, ys); Arena arena = Arena.ofShared()) {
            Q8ConvGemm kernel = new Q8ConvGemm(spec, FloatVector.SPECIES_512, new F32Gemm(FloatVector.SPECIES_512, 0));
            assertTrue(kernel.toString().contains("in blocks of"), kernel.toString());
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
            kernel.run(x.data(), y.data(), scratch, par);
            return y.toByteArray();
        } finally {
            if (previous == null) System.clearProperty(Q8ConvGemm.BLOCK_SPLIT_PROPERTY);
            else System.setProperty(Q8ConvGemm.BLOCK_SPLIT_PROPERTY, previous);
        }
    }
}
