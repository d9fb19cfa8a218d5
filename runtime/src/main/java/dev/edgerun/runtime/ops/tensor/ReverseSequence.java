package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/** ONNX ReverseSequence (10): for each batch entry b, reverses the first sequence_lens[b] steps along the time axis. */
public final class ReverseSequence implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        if (in.rank() < 2) throw ctx.error("input must have rank >= 2, got " + in);
        int timeAxis = (int) ctx.attrInt("time_axis", 0);
        int batchAxis = (int) ctx.attrInt("batch_axis", 1);
        if (!((timeAxis == 0 && batchAxis == 1) || (timeAxis == 1 && batchAxis == 0))) {
            throw ctx.error("time_axis and batch_axis must be 0 and 1 in some order, got " + timeAxis + " and " + batchAxis);
        }
        long steps = in.dim(timeAxis), batch = in.dim(batchAxis);
        long inner = in.product(2, in.rank());
        long[] strides = StridedCopy.contiguousStrides(in.dims());
        long timeStride = strides[timeAxis], batchStride = strides[batchAxis];
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        long rowBytes = inner * esize;
        String label = ctx.node().label();
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), in), rc -> {
            MemorySegment src = rc.input(0).data();
            MemorySegment dst = rc.output(0).data();
            for (long b = 0; b < batch; b++) {
                long len = rc.input(1).getAsLong(b);
                if (len < 0 || len > steps) throw new InvalidInputException("node '" + label + "': sequence_lens[" + b + "] = " + len + " is outside [0, " + steps + "]");
                for (long t = 0; t < steps; t++) {
                    long from = t < len ? len - 1 - t : t;
                    MemorySegment.copy(src, (from * timeStride + b * batchStride) * esize, dst, (t * timeStride + b * batchStride) * esize, rowBytes);
                }
            }
        });
    }
}
