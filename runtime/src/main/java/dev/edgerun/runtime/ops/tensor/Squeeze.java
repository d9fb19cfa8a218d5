package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.Arrays;

/** ONNX Squeeze (1, 11, 13, 21, 23): removes the given size-1 axes (attribute before 13, input from 13), or all of them. */
public final class Squeeze implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        if (ctx.opset() < 13) {
            Shape out = squeeze(ctx, in, ctx.attrInts("axes", null));
            return ValuePlanned.kernel(ctx, ctx.inputDType(0), out.rank(), v -> ValuePlanned.view(out));
        }
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), -1, v -> {
            Tensor axes = ctx.hasInput(1) ? v.input(1) : null;
            return ValuePlanned.view(squeeze(ctx, in, axes == null ? null : OpArgs.longs(axes)));
        }, 1);
    }

    private static Shape squeeze(NodeContext ctx, Shape in, long[] axes) {
        long[] dims = in.dims();
        boolean[] drop = new boolean[dims.length];
        if (axes == null) {
            for (int i = 0; i < dims.length; i++) drop[i] = dims[i] == 1;
        } else {
            for (int a : OpArgs.axes(ctx, axes, dims.length)) {
                if (dims[a] != 1) throw ctx.error("cannot squeeze axis " + a + " of " + in + ": its size is " + dims[a] + ", not 1");
                drop[a] = true;
            }
        }
        long[] out = new long[dims.length];
        int n = 0;
        for (int i = 0; i < dims.length; i++) if (!drop[i]) out[n++] = dims[i];
        return Shape.of(Arrays.copyOf(out, n));
    }
}
