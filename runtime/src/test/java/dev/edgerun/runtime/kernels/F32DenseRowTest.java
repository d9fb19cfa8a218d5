package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link F32DenseRow} against a double-precision loop, for widths around a vector and a block, with every epilogue;
 * its first (scalar) run gives the same bits as the vector runs after it.
 */
class F32DenseRowTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void matchesReferenceForEveryShapeLayoutAndEpilogue(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        int lanes = species.length();
        Random rnd = new Random(bits);
        int[] ns = {1, 3, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, F32DenseRow.BLOCK * lanes,
            F32DenseRow.BLOCK * lanes + 5, 2 * F32DenseRow.BLOCK * lanes + lanes};
        int[] ks = {1, 7, lanes, 4 * lanes, 4 * lanes + 3, 129};
        ActivationEpilogue[] epilogues = {null, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
            new ActivationEpilogue(F32UnaryOp.CLIP, -0.25f, 0.5f), new ActivationEpilogue(F32UnaryOp.SIGMOID, 0f, 0f)};
        for (int n : ns) {
            if (n < 1) continue;
            for (int k : ks) {
                for (boolean transB : new boolean[] {false, true}) {
                    for (ActivationEpilogue e : epilogues) {
                        float alpha = rnd.nextBoolean() ? 1f : 0.75f;
                        float[] bias = rnd.nextBoolean() ? randoms(rnd, n) : null;
                        check(species, rnd, n, k, transB, alpha, bias, e);
                    }
                }
            }
        }
    }

    private static float[] randoms(Random rnd, int count) {
        float[] r = new float[count];
        for (int i = 0; i < count; i++) r[i] = rnd.nextFloat() * 2 - 1;
        return r;
    }

    private static void check(VectorSpecies<Float> species, Random rnd, int n, int k, boolean transB, float alpha,
                              float[] bias, ActivationEpilogue e) {
        try (Arena arena = Arena.ofConfined()) {
            float[] x = randoms(rnd, k), b = randoms(rnd, n * k);
            // exact sizes: masked loads and stores must stay inside x and y
            MemorySegment xs = arena.allocate(4L * k), bs = arena.allocate(4L * n * k), y = arena.allocate(4L * n);
            MemorySegment.copy(x, 0, xs, F, 0, k);
            MemorySegment.copy(b, 0, bs, F, 0, n * k);
            F32DenseRow dense = new F32DenseRow(species, n, k, bs, transB, alpha, bias, e, 1);
            MemorySegment scalar = arena.allocate(4L * n);
            dense.run(xs, 0, scalar, 0);   // the cold run: scalar loop
            dense.run(xs, 0, y, 0);        // vector loops from now on
            String what = "n=" + n + " k=" + k + " transB=" + transB + " alpha=" + alpha + " bias=" + (bias != null)
                    + " epilogue=" + (e == null ? "none" : e.op());
            for (int j = 0; j < n; j++) {
                assertEquals(Float.floatToRawIntBits(y.getAtIndex(F, j)), Float.floatToRawIntBits(scalar.getAtIndex(F, j)),
                        "scalar first run against the vector runs, " + what + " j=" + j);
            }
            MemorySegment want = arena.allocate(4L * n);
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double) x[p] * b[transB ? j * k + p : p * n + j];
                want.setAtIndex(F, j, (float) (alpha * sum + (bias == null ? 0 : bias[j])));
            }
            if (e != null) e.apply(want, 0, n);
            for (int j = 0; j < n; j++) {
                float w = want.getAtIndex(F, j);
                assertEquals(w, y.getAtIndex(F, j), 1e-5f * (k + 1), what + " j=" + j);
            }
        }
    }
}
