package dev.edgerun.runtime.ops.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.kernels.StridedGather;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link StridedCopy} and {@link StridedGather} against a per-element reference, for every element width. */
class StridedCopyTest {
    private static final int[] WIDTHS = {1, 2, 4, 8, 16};

    /** Reference: walks every destination index and copies byte by byte. */
    private static byte[] reference(byte[] src, long srcBase, long[] dims, long[] ss, long[] ds, int esize, int outBytes) {
        byte[] out = new byte[outBytes];
        long n = 1;
        for (long d : dims) n *= d;
        long[] idx = new long[dims.length];
        for (long e = 0; e < n; e++) {
            long s = srcBase, d = 0, rem = e;
            for (int k = dims.length - 1; k >= 0; k--) {
                idx[k] = rem % dims[k];
                rem /= dims[k];
            }
            for (int k = 0; k < dims.length; k++) {
                s += idx[k] * ss[k];
                d += idx[k] * ds[k];
            }
            System.arraycopy(src, (int) (s * esize), out, (int) (d * esize), esize);
        }
        return out;
    }

    private static byte[] run(byte[] src, long srcBase, long[] dims, long[] ss, long[] ds, int esize, int outBytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(src.length);
            s.copyFrom(MemorySegment.ofArray(src));
            MemorySegment d = arena.allocate(outBytes);
            new StridedCopy(dims, ss, ds, esize).run(s, srcBase * esize, d, 0);
            return d.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void transposesEveryPermutationOf4dAtEveryWidth() {
        Random r = new Random(1);
        long[] in = {3, 17, 5, 19}; // odd sizes, tiles with tails
        long[] inStrides = StridedCopy.contiguousStrides(in);
        int[][] perms = {{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 3, 2}, {2, 0, 3, 1}};
        for (int esize : WIDTHS) {
            byte[] src = randomBytes(r, (int) (3 * 17 * 5 * 19 * esize));
            for (int[] p : perms) {
                long[] out = new long[4], ss = new long[4];
                for (int i = 0; i < 4; i++) {
                    out[i] = in[p[i]];
                    ss[i] = inStrides[p[i]];
                }
                long[] ds = StridedCopy.contiguousStrides(out);
                assertArrayEquals(reference(src, 0, out, ss, ds, esize, src.length), run(src, 0, out, ss, ds, esize, src.length),
                        "perm " + java.util.Arrays.toString(p) + " width " + esize);
            }
        }
    }

    @Test
    void largeTransposesUseTilesAndMatch() {
        Random r = new Random(2);
        long[] out = {2, 600, 530}; // from (2, 530, 600): both sides long enough to tile, with tails
        long[] inStrides = StridedCopy.contiguousStrides(new long[] {2, 530, 600});
        long[] ss = {inStrides[0], inStrides[2], inStrides[1]};
        long[] ds = StridedCopy.contiguousStrides(out);
        byte[] src = randomBytes(r, 2 * 530 * 600 * 4);
        assertTrue(new StridedCopy(out, ss, ds, 4).tiled());
        assertFalse(new StridedCopy(new long[] {2, 64, 3136}, new long[] {64 * 3136, 1, 3136}, new long[] {64 * 3136, 3136, 1}, 4).tiled());
        assertArrayEquals(reference(src, 0, out, ss, ds, 4, src.length), run(src, 0, out, ss, ds, 4, src.length));
    }

    @Test
    void reversedSlicesAndBroadcastsMatch() {
        Random r = new Random(3);
        byte[] src = randomBytes(r, 6 * 7 * 8);
        // out[i][j] = in[5 - i][2j + 1] of a (6, 7) int64... as bytes: (6, 7) of 8-byte elements
        long[] dims = {6, 3};
        long[] ss = {-7, 2};
        long[] ds = {3, 1};
        assertArrayEquals(reference(src, 5 * 7 + 1, dims, ss, ds, 8, 6 * 3 * 8), run(src, 5 * 7 + 1, dims, ss, ds, 8, 6 * 3 * 8));
        // broadcast a row of 7 to (5, 7) and a column to (7, 5)
        assertArrayEquals(reference(src, 0, new long[] {5, 7}, new long[] {0, 1}, new long[] {7, 1}, 4, 140),
                run(src, 0, new long[] {5, 7}, new long[] {0, 1}, new long[] {7, 1}, 4, 140));
        assertArrayEquals(reference(src, 0, new long[] {7, 5}, new long[] {1, 0}, new long[] {5, 1}, 4, 140),
                run(src, 0, new long[] {7, 5}, new long[] {1, 0}, new long[] {5, 1}, 4, 140));
    }

    @Test
    void gatherFollowsItsTablesAndFills() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4 * 6);
            for (int i = 0; i < 6; i++) src.setAtIndex(ValueLayout.JAVA_INT, i, i + 1); // (2, 3) = [[1,2,3],[4,5,6]]
            MemorySegment fill = arena.allocate(4);
            fill.set(ValueLayout.JAVA_INT, 0, -9);
            int[][] tables = {{1, -1, 0}, {2, 0, 1, 2, -1}};
            MemorySegment dst = arena.allocate(4 * 15);
            new StridedGather(new long[] {2, 3}, tables, 4, fill).run(src, dst);
            int[] expected = {6, 4, 5, 6, -9, -9, -9, -9, -9, -9, 3, 1, 2, 3, -9};
            assertArrayEquals(expected, dst.toArray(ValueLayout.JAVA_INT));
        }
    }

    @Test
    void emptyCopiesDoNothing() {
        StridedCopy c = new StridedCopy(new long[] {3, 0, 2}, new long[] {0, 2, 1}, new long[] {0, 2, 1}, 4);
        assertEquals(0, c.elements());
        c.run(MemorySegment.NULL, 0, MemorySegment.NULL, 0);
    }
}
