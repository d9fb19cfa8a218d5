package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * An N-dimensional gather where each output index along each axis reads one input index (or none):
 * {@code out[i0, i1, ...] = in[table0[i0], table1[i1], ...]}, and a fill element wherever some
 * table holds -1. Serves Pad (constant, edge, reflect, wrap), CenterCropPad and nearest Resize.
 * Runs where the innermost table is a run of consecutive indices are copied in one piece.
 */
public final class StridedGather {
    private final int[][] tables;     // (rank)(outLen of that axis)
    private final long[] inStrides;   // bytes
    private final long[] outStrides;  // bytes
    private final int elemBytes;
    private final MemorySegment fill; // one element, or null when no table holds -1
    private final int[] runLength;    // innermost table: length of the consecutive run starting at each index

    /**
     * @param inDims    input dimensions
     * @param tables    for each axis, the input index of every output index, -1 for the fill value
     * @param elemBytes bytes per element
     * @param fill      the fill element ({@code elemBytes} bytes); may be null when no table holds -1
     */
    public StridedGather(long[] inDims, int[][] tables, int elemBytes, MemorySegment fill) {
        int rank = inDims.length;
        this.tables = tables;
        this.elemBytes = elemBytes;
        this.fill = fill;
        this.inStrides = new long[rank];
        this.outStrides = new long[rank];
        long in = elemBytes;
        long out = elemBytes;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = in;
            outStrides[i] = out;
            in *= inDims[i];
            out *= tables[i].length;
        }
        int[] last = rank == 0 ? new int[0] : tables[rank - 1];
        runLength = new int[last.length];
        for (int j = last.length - 1; j >= 0; j--) {
            boolean continues = j + 1 < last.length && last[j] >= 0 && last[j + 1] == last[j] + 1;
            runLength[j] = last[j] < 0 ? 0 : continues ? runLength[j + 1] + 1 : 1;
        }
    }

    public void run(MemorySegment src, MemorySegment dst) {
        if (tables.length == 0) {
            MemorySegment.copy(src, 0, dst, 0, elemBytes);
            return;
        }
        for (int[] t : tables) if (t.length == 0) return;
        gather(0, src, 0, dst, 0, false);
    }

    private void gather(int axis, MemorySegment src, long so, MemorySegment dst, long dof, boolean filled) {
        int[] t = tables[axis];
        boolean last = axis == tables.length - 1;
        for (int j = 0; j < t.length; j++) {
            boolean f = filled || t[j] < 0;
            long s = f ? so : so + t[j] * inStrides[axis];
            long d = dof + j * outStrides[axis];
            if (!last) {
                gather(axis + 1, src, s, dst, d, f);
            } else if (f) {
                MemorySegment.copy(fill, 0, dst, d, elemBytes);
            } else {
                int run = runLength[j];
                MemorySegment.copy(src, s, dst, d, (long) run * elemBytes);
                j += run - 1;
            }
        }
    }
}
