package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one-row product against a double-precision loop, over panel counts around the four-panel group
 * and last-panel widths around one vector (the narrow path reads only a panel's first half).
 */
class F32GemvTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void matchesNaiveProductForEveryShapeAndMode(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        F32Gemv gemv = new F32Gemv(gemm);
        F32Gemv alwaysSplit = new F32Gemv(new F32Gemm(species, 0)); // small products over threads too
        Random rnd = new Random(bits);
        int half = gemm.nr() / 2;
        int[] ns = {1, 10, half, half + 1, gemm.nr() - 1, gemm.nr(), 4 * gemm.nr(), 4 * gemm.nr() + 3,
            4 * gemm.nr() + half, 9 * gemm.nr() + 5};
        for (int n : ns) {
            for (int k : new int[] {1, 5, 7, 64}) {
                for (int stride : new int[] {1, 3}) {
                    check(gemm, gemv, rnd, n, k, stride, 1f, false, Parallel.SERIAL);
                    check(gemm, gemv, rnd, n, k, stride, 0.5f, true, Parallel.SERIAL);
                    check(gemm, alwaysSplit, rnd, n, k, stride, 0.5f, true, new ParallelTestThreads(3));
                }
            }
        }
    }

    /** One-row products under {@link F32Gemm#PARALLEL_MIN_MACS} stay on the calling thread; at or above it, they split. */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void onlyProductsAboveTheThresholdAreSplit(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        int n = 16 * gemm.nr();
        assertEquals(0, splitCount(new F32Gemv(gemm), gemm, n, 64), "n=" + n + " k=64 split");
        int bigK = (int) (F32Gemm.PARALLEL_MIN_MACS / n) + 1;
        assertTrue(splitCount(new F32Gemv(gemm), gemm, n, bigK) > 0, "n=" + n + " k=" + bigK + " ran on one thread");
        assertTrue(splitCount(new F32Gemv(new F32Gemm(species, 0)), gemm, n, 64) > 0, "threshold 0 did not split");
    }

    /** The backwards sweep writes the same bits as the forward one: each output sums its products in the same order. */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void backwardsSweepGivesTheSameBits(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        F32Gemv gemv = new F32Gemv(gemm);
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 10, gemm.nr() + 1, 4 * gemm.nr(), 9 * gemm.nr() + 5, 256}) {
            int k = 64;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment x = arena.allocate(4L * k), pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
                MemorySegment forward = arena.allocate(4L * n), backward = arena.allocate(4L * n);
                for (int p = 0; p < k; p++) x.setAtIndex(F, p, rnd.nextFloat() * 2 - 1);
                for (long i = 0; i < pb.byteSize() / 4; i++) pb.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
                for (int j = 0; j < n; j++) {
                    float y0 = rnd.nextFloat();
                    forward.setAtIndex(F, j, y0);
                    backward.setAtIndex(F, j, y0);
                }
                gemv.multiply(n, k, x, 0, 1, pb, 0, forward, 0, 1f, true, null, Parallel.SERIAL);
                gemv.multiplyBackwards(n, k, x, 0, 1, pb, 0, backward, 0, 1f, true);
                for (int j = 0; j < n; j++) {
                    assertEquals(Float.floatToRawIntBits(forward.getAtIndex(F, j)), Float.floatToRawIntBits(backward.getAtIndex(F, j)),
                            "n=" + n + " j=" + j);
                }
            }
        }
    }

    /** Relu and Clip epilogues clamped in registers give the bits of the epilogue applied after the product. */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void clampEpiloguesMatchAPassOverTheOutput(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        F32Gemv gemv = new F32Gemv(gemm);
        Random rnd = new Random(bits);
        ActivationEpilogue[] epilogues = {new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
            new ActivationEpilogue(F32UnaryOp.CLIP, -0.5f, 0.75f), new ActivationEpilogue(F32UnaryOp.SIGMOID, 0f, 0f)};
        for (ActivationEpilogue e : epilogues) {
            for (int n : new int[] {10, 4 * gemm.nr(), 4 * gemm.nr() + 7, 128}) {
                int k = 64;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment x = arena.allocate(4L * k), pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
                    MemorySegment fused = arena.allocate(4L * n), separate = arena.allocate(4L * n);
                    for (int p = 0; p < k; p++) x.setAtIndex(F, p, rnd.nextFloat() * 2 - 1);
                    for (long i = 0; i < pb.byteSize() / 4; i++) pb.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
                    for (int j = 0; j < n; j++) {
                        float c = rnd.nextFloat() - 0.5f;
                        fused.setAtIndex(F, j, c);
                        separate.setAtIndex(F, j, c);
                    }
                    gemv.multiply(n, k, x, 0, 1, pb, 0, fused, 0, 1f, true, e, Parallel.SERIAL);
                    gemv.multiply(n, k, x, 0, 1, pb, 0, separate, 0, 1f, true, null, Parallel.SERIAL);
                    e.apply(separate, 0, n);
                    for (int j = 0; j < n; j++) {
                        assertEquals(Float.floatToRawIntBits(separate.getAtIndex(F, j)), Float.floatToRawIntBits(fused.getAtIndex(F, j)),
                                e.op() + " n=" + n + " j=" + j);
                    }
                }
            }
        }
    }

    /**
     * A bias row added in registers ({@link F32Gemv#multiplyAdding}, the row at an offset of its
     * own segment) gives the bits of y first filled with the row and then accumulated onto, for
     * widths around the four-panel group and the narrow path, with and without Relu, serial and split.
     */
    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void biasRowInRegistersMatchesFillThenAccumulate(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        Random rnd = new Random(bits + 11);
        ActivationEpilogue relu = new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);
        for (boolean split : new boolean[] {false, true}) {
            F32Gemv gemv = split ? new F32Gemv(new F32Gemm(species, 0)) : new F32Gemv(gemm);
            Parallel par = split ? new ParallelTestThreads(3) : Parallel.SERIAL;
            for (int n : new int[] {10, gemm.nr() + 3, 4 * gemm.nr(), 4 * gemm.nr() + 7, 128}) {
                for (ActivationEpilogue e : new ActivationEpilogue[] {null, relu}) {
                    int k = 64;
                    long rowAt = 12;
                    try (Arena arena = Arena.ofShared()) {
                        MemorySegment x = arena.allocate(4L * k), pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
                        MemorySegment row = arena.allocate(rowAt + 4L * n);
                        MemorySegment added = arena.allocate(4L * n), filled = arena.allocate(4L * n);
                        for (int p = 0; p < k; p++) x.setAtIndex(F, p, rnd.nextFloat() * 2 - 1);
                        for (long i = 0; i < pb.byteSize() / 4; i++) pb.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
                        for (int j = 0; j < n; j++) {
                            float c = rnd.nextFloat() - 0.5f;
                            row.set(F, rowAt + 4L * j, c);
                            filled.setAtIndex(F, j, c);
                            added.setAtIndex(F, j, Float.NaN); // must be overwritten, never read
                        }
                        gemv.multiplyAdding(n, k, x, 0, 1, pb, 0, added, 0, 0.5f, row, rowAt, e, par);
                        gemv.multiply(n, k, x, 0, 1, pb, 0, filled, 0, 0.5f, true, e, Parallel.SERIAL);
                        for (int j = 0; j < n; j++) {
                            assertEquals(Float.floatToRawIntBits(filled.getAtIndex(F, j)),
                                    Float.floatToRawIntBits(added.getAtIndex(F, j)),
                                    "n=" + n + " epilogue=" + e + " j=" + j);
                        }
                    }
                }
            }
        }
    }

    private static int splitCount(F32Gemv gemv, F32Gemm gemm, int n, int k) {
        F32GemmTest.CountingParallel par = new F32GemmTest.CountingParallel();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * k), pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
            gemv.multiply(n, k, x, 0, 1, pb, 0, arena.allocate(4L * n), 0, 1f, false, null, par);
        }
        return par.calls;
    }

    private static void check(F32Gemm gemm, F32Gemv gemv, Random rnd, int n, int k, int stride, float alpha,
                              boolean accumulate, Parallel par) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(4L * k * stride), b = arena.allocate(4L * k * n);
            MemorySegment y = arena.allocate(4L * n);
            for (long i = 0; i < x.byteSize() / 4; i++) x.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            for (long i = 0; i < b.byteSize() / 4; i++) b.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            float[] y0 = new float[n];
            for (int j = 0; j < n; j++) y.setAtIndex(F, j, y0[j] = rnd.nextFloat());
            MemorySegment pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
            gemm.packB(b, 0, n, 1, k, n, pb, 0);
            gemv.multiply(n, k, x, 0, stride, pb, 0, y, 0, alpha, accumulate, null, par);
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x.getAtIndex(F, (long) p * stride) * b.getAtIndex(F, (long) p * n + j);
                double expected = alpha * s + (accumulate ? y0[j] : 0);
                assertEquals(expected, y.getAtIndex(F, j), 1e-4, "n=" + n + " k=" + k + " stride=" + stride + " j=" + j);
            }
        }
    }
}
