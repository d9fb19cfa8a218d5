package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ONNX GatherND (11, 12, 13): each last-axis tuple of indices (length k) addresses a slice of data
 * after {@code batch_dims} shared leading axes; output shape indices[:-1] + data[batch_dims + k:].
 */
public final class GatherND implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape data = ctx.inputShape(0);
        Shape indices = ctx.inputShape(1);
        if (ctx.inputDType(1) != dev.edgerun.runtime.DType.INT64) throw ctx.error("indices must be int64, got " + ctx.inputDType(1).onnxName());
        int b = (int) ctx.attrInt("batch_dims", 0);
        int q = indices.rank();
        int r = data.rank();
        if (q < 1) throw ctx.error("indices must have rank >= 1");
        int k = (int) indices.dim(q - 1);
        if (b < 0 || b >= Math.min(q, r) || k > r - b) {
            throw ctx.error("batch_dims " + b + " and index depth " + k + " do not fit data " + data + " and indices " + indices);
        }
        for (int i = 0; i < b; i++) {
            if (data.dim(i) != indices.dim(i)) throw ctx.error("batch dimension " + i + " differs: data " + data + ", indices " + indices);
        }
        long[] out = new long[q - 1 + r - b - k];
        int n = 0;
        for (int i = 0; i < q - 1; i++) out[n++] = indices.dim(i);
        for (int i = b + k; i < r; i++) out[n++] = data.dim(i);
        long batches = data.product(0, b);
        long tuplesPerBatch = indices.product(b, q - 1);
        long sliceElems = data.product(b + k, r);
        long batchElems = data.product(b, r);
        long[] dataStrides = StridedCopy.contiguousStrides(data.dims());
        long[] dims = data.dims();
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), Shape.of(out)), rc -> {
            MemorySegment src = rc.input(0).data();
            MemorySegment idx = rc.input(1).data();
            MemorySegment dst = rc.output(0).data();
            long t = 0;
            for (long batch = 0; batch < batches; batch++) {
                for (long j = 0; j < tuplesPerBatch; j++, t++) {
                    long offset = batch * batchElems;
                    for (int d = 0; d < k; d++) {
                        long v = OpArgs.index(idx, true, t * k + d);
                        offset += Gather.checkedIndex(v, dims[b + d], label) * dataStrides[b + d];
                    }
                    MemorySegment.copy(src, offset * esize, dst, t * sliceElems * esize, sliceElems * esize);
                }
            }
        });
    }
}
