package dev.edgerun.runtime.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

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
        boolean[] placed = new boolean[n];
        long total = 0;
        List<Integer> overlapping = new ArrayList<>();
        for (int item : order) {
            long size = align(Math.max(sizes[item], 1));
            overlapping.clear();
            for (int other = 0; other < n; other++) {
                if (placed[other] && first[other] <= last[item] && first[item] <= last[other]) overlapping.add(other);
            }
            overlapping.sort((a, b) -> Long.compare(offsets[a], offsets[b]));
            long best = -1;
            long bestGap = Long.MAX_VALUE;
            long end = 0;
            for (int other : overlapping) {
                long gap = offsets[other] - end;
                if (gap >= size && gap < bestGap) {
                    best = end;
                    bestGap = gap;
                }
                end = Math.max(end, offsets[other] + align(Math.max(sizes[other], 1)));
            }
            offsets[item] = best >= 0 ? best : end;
            placed[item] = true;
            total = Math.max(total, offsets[item] + size);
        }
        return new ArenaLayout(offsets, total);
    }
}
