package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.List;

/** RMSNormalization (opset 23): {@code y = x / sqrt(mean(x^2) + eps) * scale} over the block from {@code axis}. */
public final class RMSNormalization implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        long[] x = ctx.inputShape(0).dims();
        int axis = Nn.axis(ctx, ctx.attrInt("axis", -1), x.length);
        int rows = Nn.toInt(ctx, Nn.product(x, 0, axis), "rows");
        int n = Nn.toInt(ctx, Nn.product(x, axis, x.length), "normalized size");
        if (ctx.inputShape(1).elementCount() != n) {
            throw ctx.unsupported("scale broadcast to the normalized shape (scale " + ctx.inputShape(1) + ", normalized size " + n + ")");
        }
        List<ValueType> types = List.of(Nn.tensor(DType.FLOAT, ctx.inputShape(0)));
        return new LayerNormalization.Node(types, rows, n, ctx.attrFloat("epsilon", 1e-5f), ctx.threads(), true);
    }
}
