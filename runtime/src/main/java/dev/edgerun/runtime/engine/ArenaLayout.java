package dev.edgerun.runtime.engine;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Offsets for buffers with known sizes and lifetimes (first and last step that touches them), so
 * that buffers whose lifetimes do not overlap share memory. Greedy by size, best fit: the largest
 * buffers are placed first, each in the smallest gap between already placed buffers that are
 * alive at the same time (as TensorFlow Lite's arena planner does). Offsets are 64-byte aligned.
 */
final class ArenaLayout {
    static final long ALIGN = 64;

    final long[] offsets;
    final long totalBytes;

    private ArenaLayout(long[] offsets, long totalBytes) {
        this.offsets = offsets;
        this.totalBytes = totalBytes;
    }

    static long align(long bytes) {
        return (bytes + ALIGN - 1) & -ALIGN;
    }

    static ArenaLayout plan(long[] sizes, int[] first, int[] last) {
        int n = sizes.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // Largest first, then by first use. Comparators written out: Comparator.comparingLong and its kin
        // make lambdas of the JDK's own, which the start-up archive does not hold (about 1 ms each to spin).
        Arrays.sort(order, (a, b) -> sizes[a] != sizes[b] ? Long.compare(sizes[b], sizes[a]) : Integer.compare(first[a], first[b]));
        long[] offsets = new long[n];
        long[] ends = new long[n];
        int[] byOffset = new int[n];   // the items placed so far, by offset
        int placed = 0;
        long total = 0;
        for (int item : order) {
            long size = align(Math.max(sizes[item], 1));
            offsets[item] = bestFit(size, first[item], last[item], byOffset, placed, offsets, ends, first, last);
            ends[item] = offsets[item] + size;
            insertByOffset(item, byOffset, placed++, offsets);
            total = Math.max(total, ends[item]);
        }
        return new ArenaLayout(offsets, total);
    }

    /**
     * The start of the smallest gap of at least {@code size} bytes between the placed buffers alive
     * at the same time as [{@code from}, {@code to}], else the end of the last of them. Plain arrays
     * walked in offset order: a list of the overlapping buffers sorted per item cost MobileNet-sized
     * plans (100-200 buffers) 2-5 ms in the interpreter of a fresh JVM, where a first compile runs it.
     */
    private static long bestFit(long size, int from, int to, int[] byOffset, int placed, long[] offsets, long[] ends,
                                int[] first, int[] last) {
        long best = -1;
        long bestGap = Long.MAX_VALUE;
        long end = 0;
        for (int p = 0; p < placed; p++) {
            int other = byOffset[p];
            if (first[other] > to || from > last[other]) continue;
            long gap = offsets[other] - end;
            if (gap >= size && gap < bestGap) {
                best = end;
                bestGap = gap;
            }
            end = Math.max(end, ends[other]);
        }
        return best >= 0 ? best : end;
    }

    /** Inserts {@code item} into the first {@code placed} entries of {@code byOffset}, after those at the same offset. */
    private static void insertByOffset(int item, int[] byOffset, int placed, long[] offsets) {
        int at = placed;
        while (at > 0 && offsets[byOffset[at - 1]] > offsets[item]) at--;
        System.arraycopy(byOffset, at, byOffset, at + 1, placed - at);
        byOffset[at] = item;
    }
}
