package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Q8PointwiseDirect} gives {@link Q8ConvGemm}'s bytes (the same sums in the same order and
 * the same requantizing store), serial and with every split taken, over full and partial column
 * panels, both input signs and batches; its steady-state runs allocate nothing. (Against the
 * integer reference: {@link JavaQ8ConvTest}.)
 */
class Q8PointwiseDirectTest {

    @ParameterizedTest(name = "{0}x{1}x{2}x{3}->{4} signed {5}")
    @CsvSource({
            "1, 384, 14, 14, 64, false",  // MobileNetV2's projection: 6 full panels and a 4-column one
            "1, 576, 14, 14, 96, true",
            "2, 64, 14, 14, 384, false",  // an expansion, two images
            "1, 40, 4, 8, 33, true",      // one full panel only, outputs not a multiple of the tile
            "3, 50, 7, 5, 35, false",     // one full panel and a 3-column one, three images
            "1, 1024, 6, 9, 40, true"})   // the deepest single-pass product, a 22-column last panel
    void sameBytesAsQ8ConvGemm(int batch, int depth, int h, int w, int outChannels, boolean signed) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        var species = FloatVector.SPECIES_512;
        Random rnd = new Random(depth * 31L + outChannels);
        long[] xs = {batch, depth, h, w}, ws = {outChannels, depth, 1, 1}, ys = {batch, outChannels, h, w};
        byte[] xb = new byte[batch * depth * h * w], wb = new byte[outChannels * depth];
        rnd.nextBytes(xb);
        for (int k = 0; k < wb.length; k++) wb[k] = (byte) (rnd.nextInt(255) - 127);
        int[] bias = new int[outChannels];
        float[] mult = new float[outChannels];
        for (int m = 0; m < outChannels; m++) {
            bias[m] = rnd.nextInt(4001) - 2000;
            mult[m] = (float) (60 / (Math.sqrt(depth) * 74 * 73) * (0.5 + rnd.nextDouble()));
        }
        int zx = signed ? rnd.nextInt(21) - 10 : 118 + rnd.nextInt(21);
        DType xType = signed ? DType.INT8 : DType.UINT8;
        try (Tensor x = Tensor.of(xType, xb, xs); Tensor wt = Tensor.of(DType.INT8, wb, ws);
             Tensor expected = Tensor.allocate(DType.UINT8, ys); Tensor got = Tensor.allocate(DType.UINT8, ys);
             Arena arena = Arena.ofShared()) {
            int[] ones = {1, 1}, zeros = {0, 0};
            var geometry = new KernelProvider.ConvSpec(xType, xs, ws, ys, 1, ones, zeros, ones, wt, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, signed, zx, bias, mult, false, 100, 90, 230);
            assertTrue(Q8PointwiseDirect.supports(spec, species));
            var gemm = new Q8ConvGemm(spec, species);
            MemorySegment gemmScratch = arena.allocate(gemm.scratchBytes() + 1, 64);
            gemm.run(x.data(), expected.data(), gemmScratch, Parallel.SERIAL);
            byte[] want = expected.toByteArray();
            for (int variant = 0; variant < 3; variant++) { // serial, threaded, threaded with every split taken
                var kernel = new Q8PointwiseDirect(spec, variant == 2 ? new F32Gemm(species, 0) : new F32Gemm(species));
                Parallel par = variant == 0 ? Parallel.SERIAL : new ParallelTestThreads(3);
                MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64);
                scratch.fill((byte) 0x7f); // stale NaNs from an earlier node must not reach the stored columns
                for (int repeat = 0; repeat < 2; repeat++) {
                    got.data().fill((byte) 0);
                    kernel.run(x.data(), got.data(), scratch, par);
                    assertArrayEquals(want, got.toByteArray(), kernel + " variant " + variant);
                }
            }
        }
    }

    @Test
    void takesOnlyWidePointwiseProductsOfOneKBlock() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        var species = FloatVector.SPECIES_512;
        assertTrue(Q8PointwiseDirect.supports(spec(384, 64, 14, 1), species));
        assertFalse(Q8PointwiseDirect.supports(spec(384, 32, 14, 1), species), "32 outputs: Q8PointwiseImplicit's");
        assertFalse(Q8PointwiseDirect.supports(spec(1100, 64, 14, 1), species), "two K blocks");
        assertFalse(Q8PointwiseDirect.supports(spec(64, 64, 5, 1), species), "under one column panel");
        assertFalse(Q8PointwiseDirect.supports(spec(64, 64, 14, 2), species), "strided");
        assertFalse(Q8PointwiseDirect.supports(spec(384, 64, 14, 1), FloatVector.SPECIES_256));
        assertEquals(Q8PointwiseImplicit.MAX_OUTPUTS + 1, Q8PointwiseDirect.MIN_OUTPUTS);
    }

    private static KernelProvider.Q8ConvSpec spec(int depth, int outChannels, int side, int stride) {
        int out = (side - 1) / stride + 1;
        long[] xs = {1, depth, side, side}, ws = {outChannels, depth, 1, 1}, ys = {1, outChannels, out, out};
        Tensor w = Tensor.of(DType.INT8, new byte[outChannels * depth], ws);
        int[] s = {stride, stride}, zeros = {0, 0}, ones = {1, 1};
        var geometry = new KernelProvider.ConvSpec(DType.UINT8, xs, ws, ys, 1, s, zeros, ones, w, null);
        return new KernelProvider.Q8ConvSpec(geometry, false, 128, new int[outChannels], new float[outChannels], false, 0, 0, 255);
    }

    @Test
    void runsAllocateNothing() throws IOException, InterruptedException {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(Q8PointwiseDirectAllocationProbe.class, 1);
    }
}
