package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every operation and stride pattern of the vector kernel against its scalar reference, at three widths. */
class F32BinaryTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void vectorMatchesScalarReference(int bits) {
        VectorSpecies<Float> sp = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        Random rnd = new Random(bits);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 3, 7, 16, 17, 33, 100, 257}) {
                MemorySegment a = random(arena, n + 5, rnd);
                MemorySegment b = random(arena, n + 5, rnd);
                MemorySegment expected = arena.allocate(4L * (n + 3));
                MemorySegment actual = arena.allocate(4L * (n + 3));
                for (F32BinaryOp op : F32BinaryOp.values()) {
                    for (int as = 0; as <= 1; as++) {
                        for (int bs = 0; bs <= 1; bs++) {
                            op.reference(a, 2, as, b, 5, bs, expected, 3, n);
                            F32Binary.apply(op, sp, a, 2, as, b, 5, bs, actual, 3, n);
                            for (int i = 0; i < n; i++) {
                                assertEquals(expected.getAtIndex(F, 3 + i), actual.getAtIndex(F, 3 + i), 0f,
                                        op + " strides " + as + "," + bs + " n=" + n + " at " + i + " bits=" + bits);
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void minMaxPropagateNaN(int bits) {
        VectorSpecies<Float> sp = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        try (Arena arena = Arena.ofConfined()) {
            int n = 19;
            MemorySegment a = arena.allocate(4L * n);
            MemorySegment b = arena.allocate(4L * n);
            MemorySegment out = arena.allocate(4L * n);
            for (int i = 0; i < n; i++) {
                a.setAtIndex(F, i, i % 3 == 0 ? Float.NaN : i);
                b.setAtIndex(F, i, 5);
            }
            F32Binary.apply(F32BinaryOp.MAX, sp, a, 0, 1, b, 0, 1, out, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(i % 3 == 0 ? Float.NaN : Math.max(i, 5), out.getAtIndex(F, i), 0f, "max at " + i);
            }
        }
    }

    static MemorySegment random(Arena arena, int n, Random rnd) {
        MemorySegment s = arena.allocate(4L * n);
        for (int i = 0; i < n; i++) s.setAtIndex(F, i, (float) (rnd.nextGaussian() * 3));
        return s;
    }
}
