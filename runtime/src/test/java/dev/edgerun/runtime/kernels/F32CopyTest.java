package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Float runs of every length around the vector range are copied exactly, and nothing beyond them is touched. */
class F32CopyTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void copiesExactlyTheRun() {
        int[] lengths = {0, 1, 15, F32Copy.VECTOR_MIN_FLOATS - 1, F32Copy.VECTOR_MIN_FLOATS, F32Copy.VECTOR_MIN_FLOATS + 1,
            100, F32Copy.VECTOR_MAX_FLOATS, F32Copy.VECTOR_MAX_FLOATS + 1, 1000};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * 1100, 64), dst = arena.allocate(4L * 1100, 64);
            for (int i = 0; i < 1100; i++) src.setAtIndex(F, i, i * 0.5f + 1);
            for (int n : lengths) {
                for (long srcOff : new long[] {0, 12}) {
                    for (long dstOff : new long[] {0, 4}) {
                        dst.fill((byte) 0);
                        F32Copy.copy(src, srcOff, dst, dstOff, n);
                        for (int i = 0; i < 1050; i++) {
                            float expected = i >= dstOff / 4 && i < dstOff / 4 + n ? src.get(F, srcOff + 4L * (i - dstOff / 4)) : 0f;
                            assertEquals(expected, dst.getAtIndex(F, i), "n=" + n + " srcOff=" + srcOff + " dstOff=" + dstOff + " i=" + i);
                        }
                    }
                }
            }
        }
    }
}
