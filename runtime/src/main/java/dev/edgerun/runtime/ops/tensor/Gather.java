package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX Gather (1, 11, 13): picks slices of {@code data} along {@code axis} at the (possibly negative)
 * indices; output shape data[:axis] + indices.shape + data[axis+1:]. Each picked slice is one copy
 * of contiguous bytes.
 */
public final class Gather implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape data = ctx.inputShape(0);
        Shape indices = ctx.inputShape(1);
        boolean int64 = OpArgs.indexType(ctx, 1);
        int rank = data.rank();
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", 0), rank);
        long[] out = new long[rank - 1 + indices.rank()];
        int n = 0;
        for (int i = 0; i < axis; i++) out[n++] = data.dim(i);
        for (int i = 0; i < indices.rank(); i++) out[n++] = indices.dim(i);
        for (int i = axis + 1; i < rank; i++) out[n++] = data.dim(i);
        long outer = data.product(0, axis);
        long axisLen = data.dim(axis);
        long count = indices.elementCount();
        long sliceBytes = data.product(axis + 1, rank) * OpArgs.elemBytes(ctx, ctx.inputDType(0));
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), Shape.of(out)),
                rc -> gather(rc, int64, outer, axisLen, count, sliceBytes, label));
    }

    private static void gather(RunContext rc, boolean int64, long outer, long axisLen, long count, long sliceBytes, String label) {
        MemorySegment src = rc.input(0).data();
        MemorySegment idx = rc.input(1).data();
        MemorySegment dst = rc.output(0).data();
        for (long j = 0; j < count; j++) {
            long k = checkedIndex(OpArgs.index(idx, int64, j), axisLen, label);
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(src, (o * axisLen + k) * sliceBytes, dst, (o * count + j) * sliceBytes, sliceBytes);
            }
        }
    }

    /** A negative index counts from the end; out of range is an input error naming the node. */
    static long checkedIndex(long k, long length, String node) {
        long r = k < 0 ? k + length : k;
        if (r < 0 || r >= length) {
            throw new InvalidInputException("node '" + node + "': index " + k + " is out of range [" + -length + ", " + (length - 1) + "]");
        }
        return r;
    }
}
