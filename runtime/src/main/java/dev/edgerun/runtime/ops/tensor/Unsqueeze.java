package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ONNX Unsqueeze (1, 11, 13, 21, 23): inserts size-1 axes (attribute before 13, input from 13), positions in the output's rank. */
public final class Unsqueeze implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        if (ctx.opset() < 13) {
            Shape out = unsqueeze(ctx, in, ctx.attrInts("axes", new long[0]));
            return ValuePlanned.kernel(ctx, ctx.inputDType(0), out.rank(), v -> ValuePlanned.view(out));
        }
        int outRank = in.rank() + (int) ctx.inputShape(1).elementCount();
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), outRank,
                v -> ValuePlanned.view(unsqueeze(ctx, in, OpArgs.longs(v.input(1)))), 1);
    }

    private static Shape unsqueeze(NodeContext ctx, Shape in, long[] axes) {
        int rank = in.rank() + axes.length;
        boolean[] inserted = new boolean[rank];
        for (int a : OpArgs.axes(ctx, axes, rank)) inserted[a] = true;
        long[] out = new long[rank];
        int next = 0;
        for (int i = 0; i < rank; i++) out[i] = inserted[i] ? 1 : in.dim(next++);
        return Shape.of(out);
    }
}
