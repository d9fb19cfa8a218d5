package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;

/**
 * ONNX ScatterElements (11, 13, 16, 18) and the deprecated Scatter (9, 11): a copy of data where
 * data[index[i][j]][j] (axis 0) is replaced by, or combined with ({@code reduction} add, mul, max,
 * min), updates[i][j]. Indices are applied in order, so later duplicates win for "none".
 */
public final class ScatterElements implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape data = ctx.inputShape(0);
        Shape indices = ctx.inputShape(1);
        DType dtype = ctx.inputDType(0);
        boolean int64 = OpArgs.indexType(ctx, 1);
        int rank = data.rank();
        if (indices.rank() != rank || !ctx.inputShape(2).sameDims(indices)) {
            throw ctx.error("indices " + indices + " and updates " + ctx.inputShape(2) + " must have one shape of data's rank " + rank);
        }
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", 0), rank);
        String reduction = ctx.attrString("reduction", "none");
        if (!reduction.matches("none|add|mul|max|min")) throw ctx.error("unknown reduction '" + reduction + "'");
        if (!reduction.equals("none") && !Elements.supported(dtype)) throw ctx.unsupported("reduction " + reduction + " on " + dtype.onnxName());
        long[] strides = StridedCopy.contiguousStrides(data.dims());
        long axisStride = strides[axis];
        strides[axis] = 0;
        long[] base = OpArgs.offsets(indices.dims(), strides);
        int esize = OpArgs.elemBytes(ctx, dtype);
        long axisLen = data.dim(axis);
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(dtype, data), rc -> {
            MemorySegment dst = rc.output(0).data();
            ValuePlanned.copyAll(rc.input(0), rc.output(0));
            MemorySegment idx = rc.input(1).data();
            MemorySegment upd = rc.input(2).data();
            for (int i = 0; i < base.length; i++) {
                long k = Gather.checkedIndex(OpArgs.index(idx, int64, i), axisLen, label);
                Elements.combine(dst, base[i] + k * axisStride, upd, i, dtype, reduction, esize);
            }
        });
    }
}
