package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ReduceF32Columns#sum} (sums over a middle block of axes) against a double-precision loop,
 * sums and means; {@link ReduceF32Columns#sumOnHeap} (cold runs) raw-bit equal to it.
 */
class ReduceF32ColumnsTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void columnsMatchDoubleSums() {
        Random r = new Random(1);
        for (int[] s : new int[][] {{1, 32, 128}, {3, 5, 7}, {2, 1, 80}, {2, 9, 64 + 16 + 3}, {1, 4, 1}}) {
            for (float divisor : new float[] {1f, s[1]}) {
                check(r, s[0], s[1], s[2], divisor);
            }
        }
    }

    @Test
    void onHeapGivesTheSameBits() {
        Random r = new Random(2);
        for (int[] s : new int[][] {{1, 32, 128}, {3, 5, 7}, {2, 1, 80}, {2, 9, 64 + 16 + 3}, {1, 4, 1}}) {
            for (float divisor : new float[] {1f, s[1], 3f}) {
                try (Arena arena = Arena.ofConfined()) {
                    long outCount = (long) s[0] * s[2];
                    MemorySegment src = arena.allocate(4L * s[0] * s[1] * s[2]);
                    MemorySegment want = arena.allocate(4L * outCount), got = arena.allocate(4L * outCount);
                    for (long i = 0; i < src.byteSize() / 4; i++) src.setAtIndex(F, i, r.nextFloat() * 2 - 1);
                    ReduceF32Columns.sum(src, want, s[0], s[1], s[2], divisor);
                    ReduceF32Columns.sumOnHeap(src, got, s[0], s[1], s[2], divisor);
                    for (long i = 0; i < outCount; i++) {
                        assertEquals(Float.floatToRawIntBits(want.getAtIndex(F, i)), Float.floatToRawIntBits(got.getAtIndex(F, i)),
                                "[" + s[0] + "][" + s[1] + "][" + s[2] + "] / " + divisor + " at " + i);
                    }
                }
            }
        }
    }

    private static void check(Random r, int outer, int count, int inner, float divisor) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * outer * count * inner), dst = arena.allocate(4L * outer * inner);
            for (long i = 0; i < (long) outer * count * inner; i++) src.setAtIndex(F, i, r.nextFloat() * 2 - 1);
            ReduceF32Columns.sum(src, dst, outer, count, inner, divisor);
            for (int o = 0; o < outer; o++) {
                for (int i = 0; i < inner; i++) {
                    double want = 0;
                    for (int c = 0; c < count; c++) want += src.getAtIndex(F, ((long) o * count + c) * inner + i);
                    want /= divisor;
                    assertEquals(want, dst.getAtIndex(F, (long) o * inner + i), 1e-5 * count,
                            "[" + outer + "][" + count + "][" + inner + "] / " + divisor + " at " + o + "," + i);
                }
            }
        }
    }
}
