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
 * ONNX ScatterND (11, 13, 16, 18): a copy of data where the slice addressed by each last-axis tuple
 * of indices is replaced by (or combined with, {@code reduction} add, mul, max, min) the matching
 * slice of updates; updates has shape indices[:-1] + data[k:].
 */
public final class ScatterND implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape data = ctx.inputShape(0);
        Shape indices = ctx.inputShape(1);
        DType dtype = ctx.inputDType(0);
        if (ctx.inputDType(1) != DType.INT64) throw ctx.error("indices must be int64, got " + ctx.inputDType(1).onnxName());
        String reduction = ctx.attrString("reduction", "none");
        if (!reduction.matches("none|add|mul|max|min")) throw ctx.error("unknown reduction '" + reduction + "'");
        if (!reduction.equals("none") && !Elements.supported(dtype)) throw ctx.unsupported("reduction " + reduction + " on " + dtype.onnxName());
        int q = indices.rank();
        int r = data.rank();
        int k = (int) indices.dim(q - 1);
        if (k > r) throw ctx.error("index depth " + k + " exceeds data rank " + r);
        long tuples = indices.product(0, q - 1);
        long slice = data.product(k, r);
        if (ctx.inputShape(2).elementCount() != tuples * slice) {
            throw ctx.error("updates " + ctx.inputShape(2) + " must have shape indices[:-1] + data[" + k + ":]");
        }
        long[] dims = data.dims();
        long[] strides = StridedCopy.contiguousStrides(dims);
        int esize = OpArgs.elemBytes(ctx, dtype);
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(dtype, data), rc -> {
            ValuePlanned.copyAll(rc.input(0), rc.output(0));
            MemorySegment dst = rc.output(0).data();
            MemorySegment idx = rc.input(1).data();
            MemorySegment upd = rc.input(2).data();
            for (long t = 0; t < tuples; t++) {
                long offset = 0;
                for (int d = 0; d < k; d++) offset += Gather.checkedIndex(OpArgs.index(idx, true, t * k + d), dims[d], label) * strides[d];
                if (reduction.equals("none")) {
                    MemorySegment.copy(upd, t * slice * esize, dst, offset * esize, slice * esize);
                } else {
                    for (long e = 0; e < slice; e++) Elements.combine(dst, offset + e, upd, t * slice + e, dtype, reduction, esize);
                }
            }
        });
    }
}
