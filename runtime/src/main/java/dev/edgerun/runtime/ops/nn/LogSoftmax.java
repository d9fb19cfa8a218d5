package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** LogSoftmax: x - max - log(sum exp(x - max)) along the axis (see SoftmaxFamily). */
public final class LogSoftmax implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return SoftmaxFamily.prepare(ctx, SoftmaxFamily.Mode.LOG_SOFTMAX);
    }
}
