package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The normalization building blocks at each vector width against their scalar reference (null species). */
class F32NormTest {

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void vectorMatchesScalarWithTails(int bits) {
        var sp = F32GemmTest.species(bits);
        Random rnd = new Random(bits);
        for (int n : new int[] {1, 3, 17, 64, 65, 333}) {
            float[] x = F32GemmTest.random(rnd, n + 1), scale = F32GemmTest.random(rnd, n), bias = F32GemmTest.random(rnd, n);
            try (Tensor tx = Tensor.of(x, n + 1); Tensor ts = Tensor.of(scale, n); Tensor tb = Tensor.of(bias, n);
                 Tensor fast = Tensor.allocate(DType.FLOAT, n + 1); Tensor ref = Tensor.allocate(DType.FLOAT, n + 1)) {
                long off = 4; // an unaligned start
                assertEquals(F32Norm.sum(null, tx.data(), off, n), F32Norm.sum(sp, tx.data(), off, n), 1e-4, "sum n=" + n);
                assertEquals(F32Norm.sumSquaredDeviations(null, tx.data(), off, n, 0.25f),
                        F32Norm.sumSquaredDeviations(sp, tx.data(), off, n, 0.25f), 1e-4, "squares n=" + n);
                F32Norm.affine(sp, tx.data(), off, fast.data(), off, n, 1.5f, -0.5f);
                F32Norm.affine(null, tx.data(), off, ref.data(), off, n, 1.5f, -0.5f);
                assertArrayClose(ref.toFloatArray(), fast.toFloatArray(), "affine n=" + n);
                for (boolean withBias : new boolean[] {true, false}) {
                    F32Norm.normalize(sp, tx.data(), off, fast.data(), off, n, 0.1f, 2f, ts.data(), 0, withBias ? tb.data() : null, 0);
                    F32Norm.normalize(null, tx.data(), off, ref.data(), off, n, 0.1f, 2f, ts.data(), 0, withBias ? tb.data() : null, 0);
                    assertArrayClose(ref.toFloatArray(), fast.toFloatArray(), "normalize n=" + n + " bias=" + withBias);
                }
            }
        }
    }

    private static void assertArrayClose(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], 1e-5f, what + " element " + i);
    }
}
