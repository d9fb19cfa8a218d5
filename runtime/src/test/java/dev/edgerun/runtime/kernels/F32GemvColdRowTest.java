package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link F32GemvColdRow}'s scalar first run gives the same bits as the vector GEMV's narrow loop after it. */
class F32GemvColdRowTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void scalarFirstRunHasTheVectorGemvsBits(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        int lanes = species.length();
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 3, lanes - 1, lanes}) {
            for (int k : new int[] {1, 7, 8, 9, 64, 129}) {
                for (boolean transB : new boolean[] {false, true}) {
                    check(species, rnd, n, k, transB, rnd.nextBoolean() ? 1f : 0.75f);
                }
            }
        }
    }

    @Test
    void declinesProductsOutsideTheNarrowLoopAndCountsItsRuns() {
        VectorSpecies<Float> species = F32GemmTest.species(256);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(4L * 9 * 4);
            assertNull(F32GemvColdRow.of(species, 9, 4, b, false, 1f, 1), "9 outputs is more than one 8-lane vector");
            assertNull(F32GemvColdRow.of(species, 8, 4, b, false, 1f, 0), "no cold runs asked for");
            F32GemvColdRow cold = F32GemvColdRow.of(species, 8, 4, b, false, 1f, 2);
            MemorySegment x = arena.allocate(16), y = arena.allocate(32);
            assertTrue(cold.run(x, 0, null, 0, y, 0));
            assertTrue(cold.run(x, 0, null, 0, y, 0));
            assertFalse(cold.run(x, 0, null, 0, y, 0), "the third run goes to the vector GEMV");
        }
    }

    private static void check(VectorSpecies<Float> species, Random rnd, int n, int k, boolean transB, float alpha) {
        try (Arena arena = Arena.ofConfined();
             Tensor b = Tensor.allocate(DType.FLOAT, transB ? Shape.of(n, k) : Shape.of(k, n))) {
            for (int i = 0; i < n * k; i++) b.data().setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            MemorySegment x = arena.allocate(4L * k), bias = arena.allocate(4L * n);
            for (int p = 0; p < k; p++) x.setAtIndex(F, p, rnd.nextFloat() * 2 - 1);
            for (int j = 0; j < n; j++) bias.setAtIndex(F, j, rnd.nextFloat() * 2 - 1);
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, 1, n, k, false, transB, alpha, false, null, b, null);
            F32GemmKernel gemm = new F32GemmKernel(spec, new F32Gemm(species));
            F32GemvColdRow cold = F32GemvColdRow.of(species, n, k, b.data(), transB, alpha, 1);
            MemorySegment scalar = arena.allocate(4L * n), vector = arena.allocate(4L * n);
            MemorySegment scratch = arena.allocate(Math.max(1, gemm.scratchBytes()), 64);
            assertTrue(cold.run(x, 0, bias, 0, scalar, 0));
            gemm.runAddingRow(x, 0, b.data(), 0, bias, 0, vector, 0, scratch, Parallel.SERIAL);
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToRawIntBits(vector.getAtIndex(F, j)), Float.floatToRawIntBits(scalar.getAtIndex(F, j)),
                        "n=" + n + " k=" + k + " transB=" + transB + " alpha=" + alpha + " j=" + j);
            }
        }
    }
}
