package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ops.NodeContext;

/**
 * The numpy matmul shape rule for two operands: 1-D operands promoted (and the added dimension
 * dropped again), batch dimensions broadcast. Gives M, K, N, the output shape and, per output
 * batch, the element offsets of the A and B matrices.
 */
final class MatMulShape {
    final int m;
    final int k;
    final int n;
    final Shape out;
    final long[] aOffsets;
    final long[] bOffsets;

    MatMulShape(NodeContext ctx, Shape a, Shape b) {
        long[] ad = a.rank() == 1 ? new long[] {1, a.dim(0)} : a.dims();
        long[] bd = b.rank() == 1 ? new long[] {b.dim(0), 1} : b.dims();
        if (a.rank() == 0 || b.rank() == 0) throw ctx.error("matmul operands must have rank >= 1, got " + a + " and " + b);
        m = (int) ad[ad.length - 2];
        k = (int) ad[ad.length - 1];
        n = (int) bd[bd.length - 1];
        if (bd[bd.length - 2] != k) throw ctx.error("inner dimensions differ: A " + a + ", B " + b);
        int batchRank = Math.max(ad.length, bd.length) - 2;
        long[] batch = new long[batchRank];
        for (int i = 0; i < batchRank; i++) {
            long da = dimFromEnd(ad, batchRank - i + 2);
            long db = dimFromEnd(bd, batchRank - i + 2);
            if (da != db && da != 1 && db != 1) throw ctx.error("batch dimensions do not broadcast: A " + a + ", B " + b);
            batch[i] = Math.max(da, db);
        }
        int batches = 1;
        for (long d : batch) batches = Math.multiplyExact(batches, (int) d);
        aOffsets = new long[batches];
        bOffsets = new long[batches];
        long[] index = new long[batchRank];
        for (int t = 0; t < batches; t++) {
            aOffsets[t] = batchOffset(ad, index, batchRank) * m * k;
            bOffsets[t] = batchOffset(bd, index, batchRank) * k * n;
            for (int i = batchRank - 1; i >= 0; i--) {
                if (++index[i] < batch[i]) break;
                index[i] = 0;
            }
        }
        int outRank = batchRank + (a.rank() == 1 ? 0 : 1) + (b.rank() == 1 ? 0 : 1);
        long[] od = new long[outRank];
        System.arraycopy(batch, 0, od, 0, batchRank);
        int p = batchRank;
        if (a.rank() != 1) od[p++] = m;
        if (b.rank() != 1) od[p] = n;
        out = Shape.of(od);
    }

    /** dims[rank - back], or 1 when the operand has fewer dimensions. */
    private static long dimFromEnd(long[] dims, int back) {
        int i = dims.length - back;
        return i < 0 ? 1 : dims[i];
    }

    /** The matrix index of an operand for the output batch index (broadcast dimensions read 0). */
    private static long batchOffset(long[] dims, long[] index, int batchRank) {
        int own = dims.length - 2;
        long offset = 0;
        for (int i = 0; i < own; i++) {
            long idx = index[batchRank - own + i];
            offset = offset * dims[i] + (dims[i] == 1 ? 0 : idx);
        }
        return offset;
    }

    int batches() {
        return aOffsets.length;
    }
}
