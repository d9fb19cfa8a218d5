package dev.edgerun.runtime.ops.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The LSTM's input projection in row chunks ({@link ChunkedProjection}): the chunk boundaries, and
 * the rows against a double-precision {@code X·Wᵀ + Wb + Rb}, computed by the steps' thread alone,
 * with a second thread helping, and by the helper alone before the steps ask (the same bits: the
 * chunks and their kernels are fixed; the helper's rows are read from its own buffer).
 */
class ChunkedProjectionTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final int ROWS = 49, IN = 40, COLUMNS = 256;

    @Test
    void chunksDoubleFromEightRowsAndAShortTailJoinsTheChunkBefore() {
        assertArrayEquals(new int[] {0, 8, 24, 49}, ChunkedProjection.bounds(49));
        assertArrayEquals(new int[] {0, 8, 24}, ChunkedProjection.bounds(24));
        assertArrayEquals(new int[] {0, 8, 30}, ChunkedProjection.bounds(30));
        assertArrayEquals(new int[] {0, 8, 24, 56, 100}, ChunkedProjection.bounds(100));
        assertArrayEquals(new int[] {0, 8, 24, 56, 120, 131}, ChunkedProjection.bounds(131));
    }

    @Test
    void shortSequencesAreNotChunked() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.wrap(DType.FLOAT, Shape.of(COLUMNS, IN), arena.allocate(4L * COLUMNS * IN, 64));
            assertNull(ChunkedProjection.plan(ChunkedProjection.MIN_ROWS - 1, COLUMNS, IN, true, w, 0, 0));
            assertNotNull(ChunkedProjection.plan(ChunkedProjection.MIN_ROWS, COLUMNS, IN, true, w, 0, 0));
        }
    }

    @Test
    void oneThreadAndTwoComputeTheSameRowsAsTheFormula() throws InterruptedException {
        for (boolean hasBias : new boolean[] {true, false, true, false}) {
            try (Arena arena = Arena.ofShared()) {
                Random rnd = new Random(hasBias ? 7 : 8);
                MemorySegment x = random(arena, rnd, ROWS * IN), w = random(arena, rnd, COLUMNS * IN);
                MemorySegment bias = random(arena, rnd, 2 * COLUMNS);
                long scratchAt = 4L * ROWS * COLUMNS; // the projection's rows from 0, then the chunks' flags and scratch
                ChunkedProjection p = ChunkedProjection.plan(ROWS, COLUMNS, IN, hasBias,
                        Tensor.wrap(DType.FLOAT, Shape.of(COLUMNS, IN), w), 0, scratchAt);
                assertNotNull(p);
                MemorySegment alone = arena.allocate(p.scratchEnd(), 64), helped = arena.allocate(p.scratchEnd(), 64);
                long[] aloneAt = new long[ROWS], helpedAt = new long[ROWS];
                p.reset(alone);
                for (int row = 0; row < ROWS; row++) aloneAt[row] = p.rowAt(row, x, w, bias, alone);
                p.reset(helped);
                Thread helper = new Thread(() -> p.help(x, w, bias, helped));
                helper.start();
                for (int row = 0; row < ROWS; row++) helpedAt[row] = p.rowAt(row, x, w, bias, helped);
                helper.join();
                MemorySegment helperFirst = arena.allocate(p.scratchEnd(), 64);
                long[] helperFirstAt = new long[ROWS];
                p.reset(helperFirst);
                p.help(x, w, bias, helperFirst); // every chunk claimed and done by the helper before the steps start
                for (int row = 0; row < ROWS; row++) helperFirstAt[row] = p.rowAt(row, x, w, bias, helperFirst);
                for (int row = 0; row < ROWS; row++) {
                    assertTrue(helperFirstAt[row] >= scratchAt, "helper first, row " + row + " from the helper's buffer");
                    assertEquals(4L * row * COLUMNS, aloneAt[row], "alone, every row in the steps' buffer");
                    for (int j = 0; j < COLUMNS; j++) {
                        double expected = hasBias ? bias.getAtIndex(F, j) + bias.getAtIndex(F, COLUMNS + j) : 0;
                        for (int k = 0; k < IN; k++) expected += (double) x.getAtIndex(F, (long) row * IN + k) * w.getAtIndex(F, (long) j * IN + k);
                        float a = alone.get(F, aloneAt[row] + 4L * j), h = helped.get(F, helpedAt[row] + 4L * j);
                        assertEquals(expected, a, 1e-4, "row " + row + " column " + j + ", bias " + hasBias);
                        assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(h), "two threads, row " + row + " column " + j);
                        assertEquals(Float.floatToRawIntBits(a), Float.floatToRawIntBits(helperFirst.get(F, helperFirstAt[row] + 4L * j)),
                                "helper first, row " + row + " column " + j);
                    }
                }
            }
        }
    }

    private static MemorySegment random(Arena arena, Random rnd, int n) {
        MemorySegment m = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) m.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
        return m;
    }
}
