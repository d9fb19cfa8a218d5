package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link F32Norm#addAndSum} (a LayerNormalization's folded residual Add) against a plain loop, odd lengths and tails. */
class F32NormResidualTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128, 0})
    void sumIsWrittenAndSummed(int bits) {
        Random r = new Random(bits);
        for (int n : new int[] {1, 7, 16, 33, 128, 131}) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment a = arena.allocate(4L * n + 8), b = arena.allocate(4L * n + 8), y = arena.allocate(4L * n + 8);
                double want = 0;
                for (int i = 0; i < n; i++) {
                    a.setAtIndex(F, i + 1, r.nextFloat() - 0.5f);
                    b.setAtIndex(F, i + 2, r.nextFloat() - 0.5f);
                }
                double got = F32Norm.addAndSum(F32GemmTest.species(bits), a, 4, b, 8, y, 4, n);
                for (int i = 0; i < n; i++) {
                    float v = a.getAtIndex(F, i + 1) + b.getAtIndex(F, i + 2);
                    assertEquals(v, y.getAtIndex(F, i + 1), "n=" + n + " element " + i);
                    want += v;
                }
                assertEquals(want, got, 1e-5 * n, "n=" + n);
            }
        }
    }
}
