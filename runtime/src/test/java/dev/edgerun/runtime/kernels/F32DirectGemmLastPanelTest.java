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
 * {@link F32DirectGemm#multiplyInPlace} runs a partial last column panel as a whole panel
 * overlapping the one before it; every column must keep the bits of the packed product
 * ({@link F32DirectGemm#multiplyPacked}, whose last panel is zero-padded), at every vector width.
 */
class F32DirectGemmLastPanelTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void overlappedLastPanelKeepsThePaddedPanelsBits(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        var direct = new F32DirectGemm(species);
        int nr = direct.nr();
        Random rnd = new Random(bits);
        int[][] shapes = {{64, 125, 64}, {13, nr + 1, 9}, {7, 3 * nr - 5, 33}, {6, nr, 5}, {5, nr - 3, 17}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = F32GemmTest.random(rnd, m * k), b = F32GemmTest.random(rnd, k * n), bias = F32GemmTest.random(rnd, m);
            float[] pa = new float[F32DirectGemm.packedAFloats(m, k)];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment as = arena.allocateFrom(ValueLayout.JAVA_FLOAT, a);
                MemorySegment bs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, b);
                MemorySegment biases = arena.allocateFrom(ValueLayout.JAVA_FLOAT, bias);
                F32DirectGemm.packA(as, 0, m, k, pa, 0);
                int panels = (n + nr - 1) / nr;
                MemorySegment packed = arena.allocate(4L * panels * k * nr, 64);
                for (int j = 0; j < n; j++) {
                    for (int p = 0; p < k; p++) packed.setAtIndex(F, ((long) (j / nr) * k + p) * nr + j % nr, b[p * n + j]);
                }
                MemorySegment inPlace = arena.allocate(4L * m * n, 64), viaPacked = arena.allocate(4L * m * n, 64);
                MemorySegment scratch = arena.allocate(direct.scratchBytes(k), 64);
                direct.multiplyInPlace(m, n, k, pa, 0, bs, 0, n, inPlace, 0, n, biases, 0, 0f, Float.POSITIVE_INFINITY,
                        scratch, 0);
                direct.multiplyPacked(m, n, k, pa, 0, packed, 0, viaPacked, 0, n, biases, 0, 0f, Float.POSITIVE_INFINITY);
                for (long i = 0; i < (long) m * n; i++) {
                    assertEquals(Float.floatToRawIntBits(viaPacked.getAtIndex(F, i)), Float.floatToRawIntBits(inPlace.getAtIndex(F, i)),
                            m + "x" + n + "x" + k + " element " + i);
                }
            }
        }
    }
}
