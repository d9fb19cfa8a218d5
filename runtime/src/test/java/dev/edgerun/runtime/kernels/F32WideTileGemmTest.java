package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The 4 x 64 tile GEMM over packed constant B against a triple loop: row counts that leave a
 * partial tile, column counts with one, three and partial tiles, accumulation, an element-wise
 * epilogue (Relu and GELU as passes over each stored tile), a bias row added in the store (bit-identical with accumulating
 * onto rows filled with it), and the split of column tiles and row ranges over 1-3 threads.
 */
class F32WideTileGemmTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void matchesTripleLoop(int threads) {
        VectorSpecies<Float> species = F32GemmTest.species(512);
        assumeTrue(species.vectorBitSize() == 512, "F32WideTileGemm needs 512-bit vectors; this CPU has " + FloatVector.SPECIES_MAX);
        Parallel par = threads == 1 ? Parallel.SERIAL : new ParallelTestThreads(threads);
        for (int m : new int[] {1, 5, 32, 33}) {
            for (int n : new int[] {7, 128, 200, 384}) {
                for (int k : new int[] {1, 9, 128}) {
                    check(species, par, m, n, k, false, null);
                    check(species, par, m, n, k, true, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
                    check(species, par, m, n, k, true, new ActivationEpilogue(F32UnaryOp.GELU, 0f, 0f)); // in registers
                }
            }
        }
    }

    /** The bias row added in the store equals, bit for bit, accumulating onto C first filled with that row. */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void biasRowEqualsAccumulatingOntoFilledRows(int threads) {
        VectorSpecies<Float> species = F32GemmTest.species(512);
        assumeTrue(species.vectorBitSize() == 512, "F32WideTileGemm needs 512-bit vectors; this CPU has " + FloatVector.SPECIES_MAX);
        Parallel par = threads == 1 ? Parallel.SERIAL : new ParallelTestThreads(threads);
        for (int m : new int[] {1, 5, 32}) {
            for (int n : new int[] {7, 64, 128, 200, 384}) {
                for (F32GemmEpilogue epilogue : new F32GemmEpilogue[] {null, new ActivationEpilogue(F32UnaryOp.GELU, 0f, 0f)}) {
                    checkBias(species, par, m, n, 128, epilogue);
                }
            }
        }
    }

    /** F32GemmKernel's row-bias form (a MatMul's fused bias) writes what its accumulating form writes onto filled rows. */
    @Test
    void gemmKernelRowBiasFormMatchesAccumulatingForm() {
        VectorSpecies<Float> species = F32GemmTest.species(512);
        assumeTrue(species.vectorBitSize() == 512, "F32WideTileGemm needs 512-bit vectors; this CPU has " + FloatVector.SPECIES_MAX);
        int m = 32, n = 384, k = 128;
        Random r = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, r, m * k), b = random(arena, r, k * n), bias = random(arena, r, n);
            Tensor weights = Tensor.of(b.toArray(F), k, n);
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, true, null, weights, null);
            F32GemmKernel kernel = new F32GemmKernel(spec, new F32Gemm(species));
            RowBiasGemm.Kernel rowBias = kernel.withRowBias();
            assertNotNull(rowBias);
            MemorySegment filled = arena.allocate(4L * m * n, 64), biased = random(arena, r, m * n);
            for (int i = 0; i < m; i++) MemorySegment.copy(bias, 0, filled, 4L * i * n, 4L * n);
            kernel.run(a, 0, b, 0, filled, 0, arena.allocate(kernel.scratchBytes() + 64, 64), Parallel.SERIAL);
            rowBias.run(a, 0, b, 0, bias, 0, biased, 0, arena.allocate(64, 64), Parallel.SERIAL);
            for (int i = 0; i < m * n; i++) {
                assertEquals(Float.floatToRawIntBits(filled.getAtIndex(F, i)), Float.floatToRawIntBits(biased.getAtIndex(F, i)), "at " + i);
            }
            weights.close();
        }
    }

    private static void checkBias(VectorSpecies<Float> species, Parallel par, int m, int n, int k, F32GemmEpilogue epilogue) {
        Random r = new Random(m * 1000 + n * 10 + k);
        F32Gemm gemm = new F32Gemm(species);
        F32WideTileGemm wide = new F32WideTileGemm(species);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, r, m * k), b = random(arena, r, k * n), bias = random(arena, r, n);
            MemorySegment filled = arena.allocate(4L * m * n, 64), biased = random(arena, r, m * n);
            for (int i = 0; i < m; i++) MemorySegment.copy(bias, 0, filled, 4L * i * n, 4L * n);
            MemorySegment packed = arena.allocate(4 * gemm.packedBSize(k, n), 64);
            gemm.packB(b, 0, n, 1, k, n, packed, 0);
            wide.multiply(m, n, k, a, 0, k, packed, 0, filled, 0, n, true, epilogue, par);
            wide.multiply(m, n, k, a, 0, k, packed, 0, bias, 0, biased, 0, n, false, epilogue, par);
            for (int i = 0; i < m * n; i++) {
                assertEquals(Float.floatToRawIntBits(filled.getAtIndex(F, i)), Float.floatToRawIntBits(biased.getAtIndex(F, i)),
                        "m=" + m + " n=" + n + " epilogue=" + epilogue + " at " + i);
            }
        }
    }

    @Test
    void rowPartsGiveEveryThreadWorkWhenColumnTilesAreFew() {
        assertEquals(8, F32WideTileGemm.rowParts(1, 8, 2));  // n = 128 at m = 32: one column tile
        assertEquals(3, F32WideTileGemm.rowParts(3, 8, 2));  // n = 384: three
        assertEquals(1, F32WideTileGemm.rowParts(8, 8, 2));  // enough column tiles already
        assertEquals(2, F32WideTileGemm.rowParts(1, 2, 4));  // never more parts than row blocks
    }

    private static void check(VectorSpecies<Float> species, Parallel par, int m, int n, int k, boolean accumulate,
                              F32GemmEpilogue epilogue) {
        Random r = new Random(m * 1000 + n * 10 + k);
        F32Gemm gemm = new F32Gemm(species);
        int lda = k + 3, ldc = n + 1;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, r, m * lda), b = random(arena, r, k * n), c = random(arena, r, m * ldc);
            MemorySegment before = arena.allocate(c.byteSize());
            before.copyFrom(c);
            MemorySegment packed = arena.allocate(4 * gemm.packedBSize(k, n), 64);
            gemm.packB(b, 0, n, 1, k, n, packed, 0);
            new F32WideTileGemm(species).multiply(m, n, k, a, 0, lda, packed, 0, c, 0, ldc, accumulate, epilogue, par);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = accumulate ? before.getAtIndex(F, (long) i * ldc + j) : 0;
                    for (int p = 0; p < k; p++) sum += (double) a.getAtIndex(F, (long) i * lda + p) * b.getAtIndex(F, (long) p * n + j);
                    double want = epilogue instanceof ActivationEpilogue e ? e.op().apply((float) sum, 0f, 0f) : sum;
                    assertEquals(want, c.getAtIndex(F, (long) i * ldc + j), 1e-4 * Math.max(1, Math.abs(want)),
                            "m=" + m + " n=" + n + " k=" + k + " accumulate=" + accumulate + " (" + i + "," + j + ")");
                }
                // the padding column past n is never written
                if (n < ldc) assertEquals(before.getAtIndex(F, (long) i * ldc + n), c.getAtIndex(F, (long) i * ldc + n));
            }
        }
    }

    private static MemorySegment random(Arena arena, Random r, int count) {
        MemorySegment s = arena.allocate(4L * count, 64);
        for (int i = 0; i < count; i++) s.setAtIndex(F, i, (float) r.nextGaussian());
        return s;
    }
}
