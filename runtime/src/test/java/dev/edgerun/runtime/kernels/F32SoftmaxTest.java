package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Vector Softmax/LogSoftmax rows against the scalar reference, odd lengths and tails. */
class F32SoftmaxTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void vectorRowsMatchScalarReference(int bits) {
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 3, 10, 16, 17, 31, 64, 65, 1000}) {
            for (boolean log : new boolean[] {false, true}) {
                int rows = 3;
                float[] x = new float[rows * n];
                for (int i = 0; i < x.length; i++) x[i] = (rnd.nextFloat() - 0.5f) * 40;
                x[0] = 1e4f; // large values must not overflow
                try (Tensor tx = Tensor.of(x, rows, n); Tensor fast = Tensor.allocate(DType.FLOAT, rows, n);
                     Tensor ref = Tensor.allocate(DType.FLOAT, rows, n)) {
                    F32Softmax.run(F32GemmTest.species(bits), log, tx.data(), fast.data(), n, 1, 0, rows);
                    F32Softmax.run(null, log, tx.data(), ref.data(), n, 1, 0, rows);
                    float[] f = fast.toFloatArray(), r = ref.toFloatArray();
                    for (int i = 0; i < f.length; i++) {
                        assertEquals(r[i], f[i], 1e-5f * Math.max(1, Math.abs(r[i])), "n=" + n + " log=" + log + " element " + i);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void stridedAxisMatchesContiguousAfterTranspose(int bits) {
        int outer = 2, n = 5, inner = 3;
        float[] x = new float[outer * n * inner];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 4;
        float[] t = new float[x.length]; // [outer, inner, n]
        for (int o = 0; o < outer; o++) for (int j = 0; j < n; j++) for (int i = 0; i < inner; i++) {
            t[(o * inner + i) * n + j] = x[(o * n + j) * inner + i];
        }
        try (Tensor tx = Tensor.of(x, x.length); Tensor tt = Tensor.of(t, t.length);
             Tensor y = Tensor.allocate(DType.FLOAT, x.length); Tensor yt = Tensor.allocate(DType.FLOAT, t.length)) {
            F32Softmax.run(F32GemmTest.species(bits), false, tx.data(), y.data(), n, inner, 0, outer * inner);
            F32Softmax.run(F32GemmTest.species(bits), false, tt.data(), yt.data(), n, 1, 0, outer * inner);
            for (int o = 0; o < outer; o++) for (int j = 0; j < n; j++) for (int i = 0; i < inner; i++) {
                assertEquals(yt.getFloat((o * inner + i) * n + j), y.getFloat((o * n + j) * inner + i), 1e-6f);
            }
        }
    }

    /** Rows of two whole vectors (attention's rows, divided first): the register path against the scalar reference. */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void shortRowsMatchScalarReference(int bits) {
        var species = F32GemmTest.species(bits);
        int n = 2 * species.length(), rows = 4;
        Random rnd = new Random(bits + 7);
        for (float divisor : new float[] {1f, 5.656854f, -3f}) {
            float[] x = new float[rows * n];
            for (int i = 0; i < x.length; i++) x[i] = (rnd.nextFloat() - 0.5f) * 40;
            x[n + 3] = 1e4f; // large values must not overflow
            float[] divided = new float[x.length];
            for (int i = 0; i < x.length; i++) divided[i] = x[i] / divisor;
            try (Tensor fast = Tensor.of(x, rows, n); Tensor tr = Tensor.of(divided, rows, n);
                 Tensor ref = Tensor.allocate(DType.FLOAT, rows, n)) {
                for (int r = 0; r < rows; r++) F32Softmax.shortRowInPlace(species, fast.data(), 4L * r * n, divisor);
                F32Softmax.run(null, false, tr.data(), ref.data(), n, 1, 0, rows);
                float[] f = fast.toFloatArray(), want = ref.toFloatArray();
                for (int i = 0; i < f.length; i++) {
                    assertEquals(want[i], f[i], 1e-6f * Math.max(1, Math.abs(want[i])), "divisor=" + divisor + " element " + i);
                }
            }
        }
    }

    /**
     * Masked tails: a row shorter than one vector whose values are all far below zero (a zero
     * read from a masked-off lane would win the max and every exp would underflow to 0/0), and
     * the maximum in the tail of a longer row (a tail left out of the max overflows exp). Each
     * row ends at the end of its tensor, so a tail load past the row would fault.
     */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void maskedTailsIgnoreLanesPastTheRow(int bits) {
        var species = F32GemmTest.species(bits);
        int n = species.length() - 6 > 0 ? species.length() - 6 : 3;
        float[] low = new float[n];
        java.util.Arrays.fill(low, -1e4f);
        low[1] = -1e4f + 1;
        int m = species.length() + 3;
        float[] high = new float[m];
        for (int i = 0; i < m; i++) high[i] = i;
        high[m - 1] = 1e4f;
        for (boolean log : new boolean[] {false, true}) {
            for (float[] row : new float[][] {low, high}) {
                try (Tensor tx = Tensor.of(row, 1, row.length); Tensor fast = Tensor.allocate(DType.FLOAT, 1, row.length);
                     Tensor ref = Tensor.allocate(DType.FLOAT, 1, row.length)) {
                    F32Softmax.run(species, log, tx.data(), fast.data(), row.length, 1, 0, 1);
                    F32Softmax.run(null, log, tx.data(), ref.data(), row.length, 1, 0, 1);
                    float[] f = fast.toFloatArray(), r = ref.toFloatArray();
                    for (int i = 0; i < f.length; i++) {
                        assertEquals(r[i], f[i], 1e-5f * Math.max(1, Math.abs(r[i])),
                                "n=" + row.length + " log=" + log + " element " + i);
                    }
                    if (!log && row == low) assertEquals(Math.E / (Math.E + n - 1), f[1], 1e-5, "the larger element");
                }
            }
        }
    }
}
