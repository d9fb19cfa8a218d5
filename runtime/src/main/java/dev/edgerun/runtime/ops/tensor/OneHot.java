package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX OneHot (9, 11): inserts an axis of length {@code depth} at {@code axis}; position
 * index[...] (negative counts from the end) gets values[1], every other position values[0];
 * indices out of range give a row of values[0].
 */
public final class OneHot implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape indices = ctx.inputShape(0);
        DType dtype = ctx.inputDType(2);
        if (ctx.inputShape(2).elementCount() != 2) throw ctx.error("values must hold [off, on], got " + ctx.inputShape(2));
        int rank = indices.rank() + 1;
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", -1), rank);
        int esize = OpArgs.elemBytes(ctx, dtype);
        return ValuePlanned.kernel(ctx, dtype, rank, v -> plan(ctx, indices, axis, (long) v.input(1).getAsDouble(0), esize), 1);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape indices, int axis, long depth, int esize) {
        if (depth <= 0) throw ctx.error("depth must be positive, got " + depth);
        long[] out = new long[indices.rank() + 1];
        for (int i = 0, n = 0; i < out.length; i++) out[i] = i == axis ? depth : indices.dim(n++);
        Shape outShape = Shape.of(out);
        long outer = indices.product(0, axis);
        long inner = indices.product(axis, indices.rank());
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return outShape; }

            @Override
            public void run(RunContext rc, Tensor dst) {
                Tensor idx = rc.input(0);
                MemorySegment values = rc.input(2).data();
                MemorySegment d = dst.data();
                for (long o = 0; o < outer; o++) {
                    for (long k = 0; k < depth; k++) {
                        for (long i = 0; i < inner; i++) {
                            long at = (o * depth + k) * inner + i;
                            long index = (long) idx.getAsDouble(o * inner + i);
                            if (index < 0) index += depth;
                            StridedCopy.copyElement(values, index == k ? esize : 0, d, at * esize, esize);
                        }
                    }
                }
            }
        };
    }
}
