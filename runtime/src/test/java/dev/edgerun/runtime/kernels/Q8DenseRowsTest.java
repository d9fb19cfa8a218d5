package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Q8DenseRows} gives the exact int32 sums {@code sum_p (x[p] - zx) * (w[j][p] - zw[j])}: on
 * 512- and 256-bit vectors, on the scalar loop (no species, and the cold first run), for int8 and
 * uint8 weights in either layout, with and without zero points, for lengths around the vector
 * width and past one block of exact float sums ({@link Q8DenseRows#BLOCK_PRODUCTS} per lane), with
 * extreme values (every product at its largest magnitude) and random ones; and the scaled outputs
 * {@code float(acc + bias) * scale} of weights without zero points.
 */
class Q8DenseRowsTest {
    private static final VectorSpecies<?>[] SPECIES = {FloatVector.SPECIES_512, FloatVector.SPECIES_256, null};

    @ParameterizedTest
    @CsvSource({"1,1", "3,15", "4,16", "5,17", "9,33", "17,100", "8,1280", "6,8192", "5,8200", "3,9000", "30,512"})
    @SuppressWarnings("unchecked")
    void sumsAreExactOnEveryPath(int n, int k) {
        Random random = new Random(31L * n + k);
        for (boolean rowsOfK : new boolean[] {true, false}) {
            for (boolean wSigned : new boolean[] {true, false}) {
                for (boolean extreme : new boolean[] {true, false}) {
                    for (boolean zeros : new boolean[] {false, true}) {
                        byte[] w = new byte[n * k];
                        byte[] x = new byte[k];
                        for (int i = 0; i < w.length; i++) w[i] = (byte) (extreme ? (wSigned ? -128 : 255) : random.nextInt(256));
                        for (int i = 0; i < k; i++) x[i] = (byte) (extreme ? 255 : random.nextInt(256));
                        int zx = extreme ? 0 : random.nextInt(256);
                        int[] zw = zeros ? new int[n] : null;
                        if (zeros) for (int j = 0; j < n; j++) zw[j] = wSigned ? random.nextInt(256) - 128 : random.nextInt(256);
                        int[] expected = reference(w, rowsOfK, wSigned, zw, x, zx, n, k);
                        for (VectorSpecies<?> s : SPECIES) {
                            for (int coldRuns : new int[] {0, 1}) {
                                String what = "n=" + n + " k=" + k + " rowsOfK=" + rowsOfK + " signed=" + wSigned + " extreme="
                                        + extreme + " zeros=" + zeros + " species=" + s + " cold=" + coldRuns;
                                assertSums(expected, (VectorSpecies<Float>) s, w, rowsOfK, wSigned, zw, x, zx, n, k, coldRuns, what);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void assertSums(int[] expected, VectorSpecies<Float> species, byte[] w, boolean rowsOfK, boolean wSigned,
                                   int[] zw, byte[] x, int zx, int n, int k, int coldRuns, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(w.length + 1, 64), xs = arena.allocate(k, 64);
            MemorySegment.copy(w, 0, ws, ValueLayout.JAVA_BYTE, 0, w.length);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_BYTE, 0, k);
            Q8DenseRows dense = new Q8DenseRows(species, n, k, ws, rowsOfK, wSigned, zw, coldRuns);
            MemorySegment xw = arena.allocate(dense.widenedBytes(), 64), acc = arena.allocate(4L * n, 64);
            dense.widen(xs, 0, false, zx, xw, 0);
            for (int run = 0; run < 2; run++) {
                boolean cold = dense.coldRun();
                // two calls over a split of the outputs, as threads take them
                int half = n / 2;
                dense.sums(cold, xw, 0, 0, half, acc, 0);
                dense.sums(cold, xw, 0, half, n, acc, 0);
                if (cold) dense.afterColdRun();
                for (int j = 0; j < n; j++) assertEquals(expected[j], acc.getAtIndex(ValueLayout.JAVA_INT, j), what + " run " + run + " j=" + j);
            }
            if (dense.hasZeroPoints()) return;
            int[] bias = new int[n];
            float[] scale = new float[n];
            for (int j = 0; j < n; j++) {
                bias[j] = j * 7919 % 20001 - 10000;
                scale[j] = 0.001f * (1 + j % 13);
            }
            dense.scaledSums(false, xw, 0, 0, n, bias, scale, acc, 0);
            for (int j = 0; j < n; j++) {
                assertEquals((float) ((long) expected[j] + bias[j]) * scale[j], acc.getAtIndex(ValueLayout.JAVA_FLOAT, j), what + " scaled j=" + j);
            }
        }
    }

    private static int[] reference(byte[] w, boolean rowsOfK, boolean wSigned, int[] zw, byte[] x, int zx, int n, int k) {
        int[] r = new int[n];
        for (int j = 0; j < n; j++) {
            long s = 0;
            for (int p = 0; p < k; p++) {
                byte b = w[rowsOfK ? j * k + p : p * n + j];
                int wv = wSigned ? b : b & 0xFF;
                s += (long) ((x[p] & 0xFF) - zx) * (wv - (zw == null ? 0 : zw[j]));
            }
            r[j] = (int) s;
        }
        return r;
    }
}
