package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

/** {@link F32TinyRow}'s scalar loop gives the same bits as the vector GEMV's narrow loop it replaces, on every run. */
class F32TinyRowTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void sameBitsAsTheVectorGemvsNarrowLoop(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        int lanes = species.length();
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 3, lanes - 1, lanes}) {
            for (int k : new int[] {1, 7, 8, 9, 64}) {
                for (boolean transB : new boolean[] {false, true}) {
                    for (boolean bias : new boolean[] {false, true}) {
                        check(species, rnd, n, k, transB, rnd.nextBoolean() ? 1f : 0.75f, bias);
                    }
                }
            }
        }
    }

    @Test
    void takesOnlyTheNarrowLoopsSmallestProducts() {
        VectorSpecies<Float> species = F32GemmTest.species(512);
        assertTrue(F32TinyRow.suits(species, 12, 64), "DS-CNN's 64 -> 12 classifier");
        assertFalse(F32TinyRow.suits(species, 10, 128), "mlp_tiny's 128 -> 10 layer: 1,280 multiply-adds");
        assertFalse(F32TinyRow.suits(species, 17, 8), "more than one vector of outputs");
        assertFalse(F32TinyRow.suits(null, 4, 4), "no vectors: the scalar GEMM's order");
        System.setProperty(F32TinyRow.PROPERTY, "off");
        try {
            assertFalse(F32TinyRow.suits(species, 12, 64), "turned off");
        } finally {
            System.clearProperty(F32TinyRow.PROPERTY);
        }
    }

    private static void check(VectorSpecies<Float> species, Random rnd, int n, int k, boolean transB, float alpha,
                              boolean withBias) {
        try (Arena arena = Arena.ofConfined();
             Tensor b = Tensor.allocate(DType.FLOAT, transB ? Shape.of(n, k) : Shape.of(k, n))) {
            for (int i = 0; i < n * k; i++) b.data().setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            MemorySegment x = arena.allocate(4L * k), bias = arena.allocate(4L * n);
            for (int p = 0; p < k; p++) x.setAtIndex(F, p, rnd.nextFloat() * 2 - 1);
            for (int j = 0; j < n; j++) bias.setAtIndex(F, j, rnd.nextFloat() * 2 - 1);
            MemorySegment addend = withBias ? bias : null;
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, 1, n, k, false, transB, alpha, false, null, b, null);
            F32GemmKernel gemm = new F32GemmKernel(spec, new F32Gemm(species));
            MemorySegment scalar = arena.allocate(4L * n), vector = arena.allocate(4L * n);
            MemorySegment scratch = arena.allocate(Math.max(1, gemm.scratchBytes()), 64);
            new F32TinyRow(n, k, b.data(), transB, alpha).run(x, 0, addend, 0, scalar, 0);
            gemm.runAddingRow(x, 0, b.data(), 0, addend, 0, vector, 0, scratch, Parallel.SERIAL);
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToRawIntBits(vector.getAtIndex(F, j)), Float.floatToRawIntBits(scalar.getAtIndex(F, j)),
                        "n=" + n + " k=" + k + " transB=" + transB + " alpha=" + alpha + " bias=" + withBias + " j=" + j);
            }
        }
    }
}
