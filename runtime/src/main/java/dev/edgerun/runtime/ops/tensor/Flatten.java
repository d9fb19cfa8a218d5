package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ONNX Flatten (1, 9, 11, 13, 21, 23): [d0 * ... * d(axis-1), d(axis) * ... * d(n-1)]. */
public final class Flatten implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        long axis = ctx.attrInt("axis", 1);
        int rank = in.rank();
        if (axis < -rank || axis > rank) throw ctx.error("axis " + axis + " is out of range [" + -rank + ", " + rank + "]");
        int a = (int) (axis < 0 ? axis + rank : axis);
        Shape out = Shape.of(in.product(0, a), in.product(a, rank));
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), 2, v -> ValuePlanned.view(out));
    }
}
