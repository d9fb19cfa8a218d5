package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.NodeContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** Small helpers shared by the shape and data-movement operators: axes, index tensors, element widths. */
public final class OpArgs {
    private OpArgs() {}

    /** {@code axis} in [-rank, rank) made non-negative, or a model error naming the range. */
    public static int axis(NodeContext ctx, long axis, int rank) {
        if (axis < -rank || axis >= Math.max(rank, 1)) {
            throw ctx.error("axis " + axis + " is out of range [" + -rank + ", " + (rank - 1) + "]");
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** Every axis normalised; duplicates are a model error. */
    public static int[] axes(NodeContext ctx, long[] axes, int rank) {
        int[] r = new int[axes.length];
        boolean[] seen = new boolean[Math.max(rank, 1)];
        for (int i = 0; i < axes.length; i++) {
            r[i] = axis(ctx, axes[i], rank);
            if (seen[r[i]]) throw ctx.error("axis " + axes[i] + " is repeated in " + Arrays.toString(axes));
            seen[r[i]] = true;
        }
        return r;
    }

    /** The elements of an integer tensor (int64, int32, ...) as longs. */
    public static long[] longs(Tensor t) {
        long n = t.elementCount();
        long[] r = new long[Math.toIntExact(n)];
        for (int i = 0; i < r.length; i++) r[i] = t.getAsLong(i);
        return r;
    }

    /** The elements of a float tensor (float, double, float16) as doubles. */
    public static double[] doubles(Tensor t) {
        double[] r = new double[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < r.length; i++) r[i] = t.getAsDouble(i);
        return r;
    }

    /** Bytes per element for a dtype that data-movement kernels can copy, or an unsupported error. */
    public static int elemBytes(NodeContext ctx, DType dtype) {
        if (dtype.byteSize() == 0) throw ctx.unsupported("dtype " + dtype.onnxName() + " (no whole-byte element width)");
        return dtype.byteSize();
    }

    /** Reads element {@code i} of an int32 or int64 index segment. */
    public static long index(MemorySegment seg, boolean int64, long i) {
        return int64 ? seg.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i) : seg.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
    }

    /** Checks that input {@code i} holds int32 or int64 indices; true for int64. */
    public static boolean indexType(NodeContext ctx, int i) {
        DType t = ctx.inputDType(i);
        if (t != DType.INT64 && t != DType.INT32) {
            throw ctx.error("input " + i + " must hold int32 or int64 indices, got " + t.onnxName());
        }
        return t == DType.INT64;
    }

    public static Shape shape(long[] dims) {
        return Shape.of(dims);
    }

    /** A rank-{@code rank} shape whose dimensions are all unknown (rank < 0: unknown rank, null). */
    public static Shape unknownShape(int rank) {
        if (rank < 0) return null;
        long[] d = new long[rank];
        Arrays.fill(d, -1);
        return Shape.symbolic(d, null);
    }

    /** Element offsets of every index of {@code dims} (row-major order), given a stride per dimension. */
    public static long[] offsets(long[] dims, long[] strides) {
        long count = 1;
        for (long d : dims) count *= d;
        long[] r = new long[Math.toIntExact(count)];
        long[] idx = new long[dims.length];
        long off = 0;
        for (int i = 0; i < r.length; i++) {
            r[i] = off;
            for (int d = dims.length - 1; d >= 0; d--) {
                idx[d]++;
                off += strides[d];
                if (idx[d] < dims[d]) break;
                off -= idx[d] * strides[d];
                idx[d] = 0;
            }
        }
        return r;
    }

    /** An axis length that per-axis index tables can hold (int), or a model error naming the axis. */
    public static int tableLength(NodeContext ctx, long length, int axis) {
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw ctx.error("axis " + axis + " would have length " + length + ", outside [0, " + (Integer.MAX_VALUE - 8) + "]");
        }
        return (int) length;
    }
}
