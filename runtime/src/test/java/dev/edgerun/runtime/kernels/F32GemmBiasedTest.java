package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link F32Gemm#multiplyBiased}: row bias and a Relu/Clip applied in registers before the store,
 * other epilogues after, over K blocks (k above {@link F32Gemm#KC}), odd tiles, 1 and 3 threads.
 */
class F32GemmBiasedTest {

    static Stream<Arguments> cases() {
        return Stream.of(512, 256, 0).flatMap(bits -> Stream.of(
                Arguments.of(bits, 13, 70, 300, new ActivationEpilogue(F32UnaryOp.CLIP, -0.5f, 0.75f)),
                Arguments.of(bits, 7, 33, 9, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f)),
                Arguments.of(bits, 6, 64, 257, new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.2f, 0f)),
                Arguments.of(bits, 20, 5, 40, null)));
    }

    @ParameterizedTest(name = "{0} bits m={1} n={2} k={3} {4}")
    @MethodSource("cases")
    void addsBiasAndActivation(int bits, int m, int n, int k, ActivationEpilogue act) {
        Random rnd = new Random(m * 31L + n * 7L + k + bits);
        float[] a = F32GemmTest.random(rnd, m * k), b = F32GemmTest.random(rnd, k * n), bias = F32GemmTest.random(rnd, m);
        float[] expected = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias[i];
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[p * n + j];
                expected[i * n + j] = (float) s;
            }
        }
        if (act != null) {
            for (int q = 0; q < expected.length; q++) expected[q] = act.op().apply(expected[q], act.p(), act.q());
        }
        for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(3)}) {
            F32Gemm gemm = new F32Gemm(bits == 0 ? null : F32GemmTest.species(bits), 0);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment sa = segment(arena, a), sb = segment(arena, b), sbias = segment(arena, bias);
                MemorySegment pa = arena.allocate(4 * F32Gemm.packedASize(m, k), 64);
                MemorySegment pb = arena.allocate(4 * gemm.packedBSize(k, n), 64);
                MemorySegment c = arena.allocate(4L * m * n, 64);
                F32Gemm.packA(sa, 0, k, 1, m, k, pa, 0);
                gemm.packB(sb, 0, n, 1, k, n, pb, 0);
                gemm.multiplyBiased(m, n, k, pa, 0, pb, 0, c, 0, n, sbias, 0, act, par);
                for (int q = 0; q < expected.length; q++) {
                    float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, q);
                    assertEquals(expected[q], got, 1e-4f * Math.max(1, Math.abs(expected[q])), "element " + q + " with " + par.threads() + " threads");
                }
            }
        }
    }

    private static MemorySegment segment(Arena arena, float[] v) {
        MemorySegment s = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT, 0, v.length);
        return s;
    }
}
