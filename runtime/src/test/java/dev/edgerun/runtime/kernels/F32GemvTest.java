package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one-row product against a double-precision loop, over panel counts around the four-panel group. */
class F32GemvTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void matchesNaiveProductForEveryShapeAndMode(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        F32Gemv gemv = new F32Gemv(gemm);
        Random rnd = new Random(bits);
        int[] ns = {1, 10, gemm.nr() - 1, gemm.nr(), 4 * gemm.nr(), 4 * gemm.nr() + 3, 9 * gemm.nr() + 5};
        for (int n : ns) {
            for (int k : new int[] {1, 7, 64}) {
                for (int stride : new int[] {1, 3}) {
                    check(gemm, gemv, rnd, n, k, stride, 1f, false);
                    check(gemm, gemv, rnd, n, k, stride, 0.5f, true);
                }
            }
        }
    }

    private static void check(F32Gemm gemm, F32Gemv gemv, Random rnd, int n, int k, int stride, float alpha,
                              boolean accumulate) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * k * stride), b = arena.allocate(4L * k * n);
            MemorySegment y = arena.allocate(4L * n);
            for (long i = 0; i < x.byteSize() / 4; i++) x.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            for (long i = 0; i < b.byteSize() / 4; i++) b.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
            float[] y0 = new float[n];
            for (int j = 0; j < n; j++) y.setAtIndex(F, j, y0[j] = rnd.nextFloat());
            MemorySegment pb = arena.allocate(4L * gemm.packedBSize(k, n), 64);
            gemm.packB(b, 0, n, 1, k, n, pb, 0);
            gemv.multiply(n, k, x, 0, stride, pb, 0, y, 0, alpha, accumulate, null, Parallel.SERIAL);
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x.getAtIndex(F, (long) p * stride) * b.getAtIndex(F, (long) p * n + j);
                double expected = alpha * s + (accumulate ? y0[j] : 0);
                assertEquals(expected, y.getAtIndex(F, j), 1e-4, "n=" + n + " k=" + k + " stride=" + stride + " j=" + j);
            }
        }
    }
}
