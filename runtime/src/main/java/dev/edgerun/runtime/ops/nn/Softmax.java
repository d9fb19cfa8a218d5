package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** Softmax: exp(x - max) / sum along the axis (see SoftmaxFamily for the opset rule). */
public final class Softmax implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return SoftmaxFamily.prepare(ctx, SoftmaxFamily.Mode.SOFTMAX);
    }
}
