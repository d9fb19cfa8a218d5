package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link F32Softmax#partialRowScalar}, the first runs of short rows, against the scalar reference. */
class F32SoftmaxColdRowTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Test
    void matchesTheReferenceForSoftmaxAndLogSoftmax() {
        Random rnd = new Random(7);
        for (int n : new int[] {1, 2, 10, 16}) {
            for (boolean log : new boolean[] {false, true}) {
                int rows = 3;
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment x = arena.allocate(4L * rows * n), cold = arena.allocate(4L * rows * n);
                    MemorySegment want = arena.allocate(4L * rows * n);
                    for (int i = 0; i < rows * n; i++) x.setAtIndex(F, i, rnd.nextFloat() * 20 - 10);
                    F32Softmax.partialRowScalar(log, x, cold, n, 0, rows);
                    F32Softmax.run(null, log, x, want, n, 1, 0, rows);
                    for (int i = 0; i < rows * n; i++) {
                        assertEquals(want.getAtIndex(F, i), cold.getAtIndex(F, i), 2e-6f * (1 + Math.abs(want.getAtIndex(F, i))),
                                "n=" + n + " log=" + log + " i=" + i);
                    }
                }
            }
        }
    }

    @Test
    void takesContiguousRowsOfAtMostOneVector() {
        var s256 = F32GemmTest.species(256);
        assertTrue(F32Softmax.isPartialRow(s256, 8, 1));
        assertFalse(F32Softmax.isPartialRow(s256, 9, 1));
        assertFalse(F32Softmax.isPartialRow(s256, 8, 2), "strided rows");
        assertFalse(F32Softmax.isPartialRow(null, 8, 1), "no vectors: nothing to avoid");
    }
}
