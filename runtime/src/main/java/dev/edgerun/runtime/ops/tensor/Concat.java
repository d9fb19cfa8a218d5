package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;

/** ONNX Concat (1, 4, 11, 13, 23): joins the inputs along {@code axis}; each input is one strided block copy. */
public final class Concat implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        int n = ctx.inputCount();
        if (n == 0) throw ctx.error("needs at least one input");
        Shape first = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        int rank = first.rank();
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", ctx.opset() < 4 ? 1 : 0), rank);
        long[] out = first.dims();
        out[axis] = 0;
        for (int i = 0; i < n; i++) {
            Shape s = ctx.inputShape(i);
            if (ctx.inputDType(i) != dtype) throw ctx.error("input " + i + " is " + ctx.inputDType(i).onnxName() + ", input 0 is " + dtype.onnxName());
            if (s.rank() != rank) throw ctx.error("input " + i + " has shape " + s + ", rank differs from input 0 " + first);
            for (int d = 0; d < rank; d++) {
                if (d != axis && s.dim(d) != first.dim(d)) throw ctx.error("input " + i + " has shape " + s + ", incompatible with input 0 " + first + " outside axis " + axis);
            }
            out[axis] += s.dim(axis);
        }
        Shape outShape = Shape.of(out);
        int esize = OpArgs.elemBytes(ctx, dtype);
        long outer = outShape.product(0, axis);
        long inner = outShape.product(axis + 1, rank);
        long outRow = out[axis] * inner;
        StridedCopy[] copies = new StridedCopy[n];
        long[] offsets = new long[n];
        long offset = 0;
        for (int i = 0; i < n; i++) {
            long block = ctx.inputShape(i).dim(axis) * inner;
            copies[i] = new StridedCopy(new long[] {outer, block}, new long[] {block, 1}, new long[] {outRow, 1}, esize);
            offsets[i] = offset * esize;
            offset += block;
        }
        return Kernel.of(ValueType.tensor(dtype, outShape), rc -> run(rc, copies, offsets));
    }

    private static void run(RunContext rc, StridedCopy[] copies, long[] offsets) {
        var dst = rc.output(0).data();
        for (int i = 0; i < copies.length; i++) copies[i].run(rc.input(i).data(), 0, dst, offsets[i]);
    }
}
