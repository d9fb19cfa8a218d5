package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ArenaLayoutTest {

    @Test
    void buffersAliveAtTheSameTimeNeverOverlap() {
        Random rnd = new Random(42);
        for (int round = 0; round < 200; round++) {
            int n = 1 + rnd.nextInt(60);
            long[] sizes = new long[n];
            int[] first = new int[n];
            int[] last = new int[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(100_000);
                first[i] = rnd.nextInt(40);
                last[i] = first[i] + rnd.nextInt(10);
            }
            ArenaLayout layout = ArenaLayout.plan(sizes, first, last);
            long sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(0, layout.offsets[i] % ArenaLayout.ALIGN, "64-byte aligned");
                long end = layout.offsets[i] + ArenaLayout.align(Math.max(1, sizes[i]));
                assertTrue(end <= layout.totalBytes);
                sum += ArenaLayout.align(Math.max(1, sizes[i]));
                for (int j = 0; j < i; j++) {
                    boolean together = first[i] <= last[j] && first[j] <= last[i];
                    long endJ = layout.offsets[j] + ArenaLayout.align(Math.max(1, sizes[j]));
                    boolean disjoint = end <= layout.offsets[j] || endJ <= layout.offsets[i];
                    assertTrue(!together || disjoint, "round " + round + ": buffers " + i + " and " + j + " overlap");
                }
            }
            assertTrue(layout.totalBytes <= sum);
            assertTrue(layout.totalBytes >= peakAlive(sizes, first, last), "no layout can beat the live peak");
        }
    }

    @Test
    void aChainNeedsTwoBuffers() {
        long[] sizes = {1000, 1000, 1000, 1000, 1000};
        int[] first = {0, 1, 2, 3, 4};
        int[] last = {1, 2, 3, 4, 5};
        assertEquals(2 * ArenaLayout.align(1000), ArenaLayout.plan(sizes, first, last).totalBytes);
    }

    @Test
    void aSmallBufferFillsTheBestFittingGap() {
        // 0: [0,9] 1 KiB, 1: [0,1] 4 KiB (freed early), 2: [0,9] 1 KiB, 3: [2,9] 2 KiB, 4: [2,9] 2 KiB
        long[] sizes = {1024, 4096, 1024, 2048, 2048};
        int[] first = {0, 0, 0, 2, 2};
        int[] last = {9, 1, 9, 9, 9};
        // 3 and 4 both fit in the 4 KiB that 1 leaves behind: nothing grows past 4 + 1 + 1 KiB.
        assertEquals(6144, ArenaLayout.plan(sizes, first, last).totalBytes);
    }

    @Test
    void offsetsEqualThoseOfTheListBasedPlacementItReplaced() {
        Random rnd = new Random(7);
        for (int round = 0; round < 300; round++) {
            int n = 1 + rnd.nextInt(120);
            long[] sizes = new long[n];
            int[] first = new int[n];
            int[] last = new int[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = rnd.nextInt(4) == 0 ? 64L * (1 + rnd.nextInt(4)) : rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(100_000);
                first[i] = rnd.nextInt(80);
                last[i] = first[i] + rnd.nextInt(rnd.nextInt(6) == 0 ? 60 : 6);
            }
            ArenaLayout layout = ArenaLayout.plan(sizes, first, last);
            long[] want = listBasedOffsets(sizes, first, last);
            for (int i = 0; i < n; i++) assertEquals(want[i], layout.offsets[i], "round " + round + ", buffer " + i);
        }
    }

    /** The placement ArenaLayout made before it walked plain arrays (a sorted list of the overlapping buffers per item). */
    private static long[] listBasedOffsets(long[] sizes, int[] first, int[] last) {
        int n = sizes.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> sizes[a] != sizes[b] ? Long.compare(sizes[b], sizes[a]) : Integer.compare(first[a], first[b]));
        long[] offsets = new long[n];
        boolean[] placed = new boolean[n];
        java.util.List<Integer> overlapping = new java.util.ArrayList<>();
        for (int item : order) {
            long size = ArenaLayout.align(Math.max(sizes[item], 1));
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
                end = Math.max(end, offsets[other] + ArenaLayout.align(Math.max(sizes[other], 1)));
            }
            offsets[item] = best >= 0 ? best : end;
            placed[item] = true;
        }
        return offsets;
    }

    private static long peakAlive(long[] sizes, int[] first, int[] last) {
        long peak = 0;
        for (int t = 0; t < 60; t++) {
            long alive = 0;
            for (int i = 0; i < sizes.length; i++) if (first[i] <= t && t <= last[i]) alive += ArenaLayout.align(Math.max(1, sizes[i]));
            peak = Math.max(peak, alive);
        }
        return peak;
    }
}
