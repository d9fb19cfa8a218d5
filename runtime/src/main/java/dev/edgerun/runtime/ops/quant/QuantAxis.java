package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ops.NodeContext;

/**
 * Maps an element of a tensor to its element in a scale or zero-point tensor: per tensor (one
 * value), per axis (a 1-D tensor along {@code axis}) or blocked (same rank, {@code axis} divided
 * in blocks of {@code blockSize}). Element {@code i} of the data maps to
 * {@code outer*outerStride + (a / block)*axisStride + inner*innerStride}.
 */
final class QuantAxis {
    final long axisDim;
    final long inner;
    final long outerStride;
    final long axisStride;
    final long innerStride;
    final long block;

    private QuantAxis(long axisDim, long inner, long outerStride, long axisStride, long innerStride, long block) {
        this.axisDim = axisDim;
        this.inner = inner;
        this.outerStride = outerStride;
        this.axisStride = axisStride;
        this.innerStride = innerStride;
        this.block = block;
    }

    static QuantAxis of(NodeContext ctx, Shape data, Shape scale, long axisAttr, long blockSize) {
        int rank = data.rank();
        if (scale.rank() == 0 || (scale.elementCount() == 1 && blockSize == 0)) {
            return new QuantAxis(1, 1, 0, 0, 0, 1);
        }
        int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank) throw ctx.error("attribute 'axis' " + axisAttr + " is out of range for rank " + rank);
        long axisDim = data.dim(axis);
        long inner = data.product(axis + 1, rank);
        if (blockSize <= 0) {
            if (scale.rank() != 1 || scale.dim(0) != axisDim) {
                throw ctx.error("per-axis scale must have shape [" + axisDim + "] (axis " + axis + " of " + data + "), got " + scale);
            }
            return new QuantAxis(axisDim, inner, 0, 1, 0, 1);
        }
        long blocks = (axisDim + blockSize - 1) / blockSize;
        boolean ok = scale.rank() == rank;
        for (int d = 0; ok && d < rank; d++) ok = scale.dim(d) == (d == axis ? blocks : data.dim(d));
        if (!ok) throw ctx.error("blocked scale must match " + data + " with axis " + axis + " of size " + blocks + ", got " + scale);
        return new QuantAxis(axisDim, inner, blocks * inner, inner, 1, blockSize);
    }

    long paramIndex(long i) {
        if (outerStride == 0 && axisStride == 0) return 0;
        long in = i % inner;
        long rest = i / inner;
        long a = rest % axisDim;
        long outer = rest / axisDim;
        return outer * outerStride + (a / block) * axisStride + in * innerStride;
    }
}
