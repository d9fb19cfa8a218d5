package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX GatherElements (11, 13): out[i][j][k] = data[index[i][j][k]][j][k] for axis 0 (likewise for
 * other axes); the output has the indices' shape. The data offset of every position but the axis
 * is tabled at compile time.
 */
public final class GatherElements implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape data = ctx.inputShape(0);
        Shape indices = ctx.inputShape(1);
        boolean int64 = OpArgs.indexType(ctx, 1);
        int rank = data.rank();
        if (indices.rank() != rank) throw ctx.error("indices " + indices + " must have the rank of data " + data);
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", 0), rank);
        long[] strides = StridedCopy.contiguousStrides(data.dims());
        long axisStride = strides[axis];
        strides[axis] = 0;
        long[] base = OpArgs.offsets(indices.dims(), strides);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        long axisLen = data.dim(axis);
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), indices),
                rc -> run(rc, base, int64, axisLen, axisStride, esize, label));
    }

    private static void run(RunContext rc, long[] base, boolean int64, long axisLen, long axisStride, int esize, String label) {
        MemorySegment src = rc.input(0).data();
        MemorySegment idx = rc.input(1).data();
        MemorySegment dst = rc.output(0).data();
        for (int i = 0; i < base.length; i++) {
            long k = Gather.checkedIndex(OpArgs.index(idx, int64, i), axisLen, label);
            StridedCopy.copyElement(src, (base[i] + k * axisStride) * esize, dst, (long) i * esize, esize);
        }
    }
}
