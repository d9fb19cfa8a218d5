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

class RnnDotTest {

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void vectorDotMatchesScalarReference(int bits) {
        VectorSpecies<Float> species = VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
        RnnDot kernel = new RnnDot(RnnDotVector.of(species));
        Random random = new Random(bits);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {0, 1, 3, 7, 15, 16, 17, 31, 33, 64, 100, 257}) {
                MemorySegment a = arena.allocate(4L * n + 12);
                MemorySegment b = arena.allocate(4L * n + 12);
                for (int k = 0; k < n + 3; k++) {
                    a.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * k, random.nextFloat() * 2 - 1);
                    b.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4L * k, random.nextFloat() * 2 - 1);
                }
                // odd byte offsets into both operands exercise the unaligned paths
                float expected = RnnDot.scalarDot(a, 4, b, 8, n);
                assertEquals(expected, kernel.dot(a, 4, b, 8, n), 1e-5f * (n + 1), "n=" + n + " bits=" + bits);
            }
        }
    }
}
