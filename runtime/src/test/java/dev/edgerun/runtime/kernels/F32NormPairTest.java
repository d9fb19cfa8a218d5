package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link F32Norm#layerNormPair} against the one-row building blocks it interleaves
 * ({@link F32Norm#addAndSum} or {@link F32Norm#sum}, {@link F32Norm#sumSquaredDeviations},
 * {@link F32Norm#normalize}) and against a double-precision reference, with and without the
 * residual and the bias. Within 1e-6 of the one-row path rather than bit-equal: a sum across lanes
 * rounds differently before and after the JIT compiles it, and the two paths need not be compiled
 * at the same moment.
 */
class F32NormPairTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final float EPS = 1e-5f;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void pairMatchesOneRowAtATime(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        Random r = new Random(bits);
        for (int n : new int[] {2 * species.length(), 64, 128, 256}) {
            for (boolean withResidual : new boolean[] {true, false}) {
                for (boolean withBias : new boolean[] {true, false}) {
                    check(species, r, n, withResidual, withBias);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void onlyWholeVectorPairs(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        assertTrue(F32Norm.pairsRows(species, 4 * species.length()));
        assertFalse(F32Norm.pairsRows(species, 3 * species.length()));
        assertFalse(F32Norm.pairsRows(species, 2 * species.length() + 1));
        assertFalse(F32Norm.pairsRows(null, 128));
    }

    private static void check(VectorSpecies<Float> species, Random r, int n, boolean withResidual, boolean withBias) {
        String what = "n=" + n + " residual=" + withResidual + " bias=" + withBias;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = randoms(arena, r, 2 * n, 3f), residual = withResidual ? randoms(arena, r, 2 * n, 1f) : null;
            MemorySegment scale = randoms(arena, r, n, 2f), bias = withBias ? randoms(arena, r, n, 1f) : null;
            MemorySegment pair = arena.allocate(8L * n), oneRow = arena.allocate(8L * n);
            long off1 = 4L * n;
            F32Norm.layerNormPair(species, x, residual, pair, 0, off1, n, EPS, scale, bias);
            for (long off : new long[] {0, off1}) {
                MemorySegment src = withResidual ? oneRow : x;
                float m = (float) ((withResidual ? F32Norm.addAndSum(species, x, off, residual, off, oneRow, off, n)
                        : F32Norm.sum(species, x, off, n)) / n);
                float inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(species, src, off, n, m) / n + EPS));
                F32Norm.normalize(species, src, off, oneRow, off, n, m, inv, scale, 0, bias, 0);
            }
            for (int row = 0; row < 2; row++) {
                double[] want = reference(x, residual, row * n, n, scale, bias);
                for (int j = 0; j < n; j++) {
                    int i = row * n + j;
                    float got = pair.getAtIndex(F, i);
                    assertEquals(oneRow.getAtIndex(F, i), got, 1e-6f * (1 + Math.abs(got)), what + " element " + i);
                    assertEquals(want[j], got, 1e-5 * (1 + Math.abs(want[j])), what + " element " + i + " against double");
                }
            }
        }
    }

    /** LayerNormalization of one row in double precision. */
    private static double[] reference(MemorySegment x, MemorySegment residual, int at, int n, MemorySegment scale, MemorySegment bias) {
        double[] v = new double[n];
        double mean = 0;
        for (int j = 0; j < n; j++) {
            v[j] = x.getAtIndex(F, at + j) + (residual == null ? 0 : residual.getAtIndex(F, at + j));
            mean += v[j] / n;
        }
        double var = 0;
        for (int j = 0; j < n; j++) var += (v[j] - mean) * (v[j] - mean) / n;
        double inv = 1 / Math.sqrt(var + EPS);
        for (int j = 0; j < n; j++) {
            v[j] = (v[j] - mean) * inv * scale.getAtIndex(F, j) + (bias == null ? 0 : bias.getAtIndex(F, j));
        }
        return v;
    }

    private static MemorySegment randoms(Arena arena, Random r, int n, float range) {
        MemorySegment m = arena.allocate(4L * n);
        for (int i = 0; i < n; i++) m.setAtIndex(F, i, (r.nextFloat() - 0.5f) * 2 * range);
        return m;
    }
}
