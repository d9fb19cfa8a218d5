package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.Arrays;

/** ONNX Shape (1, 13, 15, 19, 21, 23): the input's dimensions [start, end) as int64, known at compile time. */
public final class Shape implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        long[] dims = ctx.inputShape(0).dims();
        int rank = dims.length;
        int start = clamp(ctx.attrInt("start", 0), rank);
        int end = clamp(ctx.attrInt("end", rank), rank);
        long[] slice = end > start ? Arrays.copyOfRange(dims, start, end) : new long[0];
        return Kernel.constant(Tensor.of(slice, slice.length));
    }

    private static int clamp(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        return (int) Math.max(0, Math.min(rank, a));
    }
}
