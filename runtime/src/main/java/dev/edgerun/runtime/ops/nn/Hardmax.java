package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** Hardmax: one-hot of the first maximum along the axis (see SoftmaxFamily). */
public final class Hardmax implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return SoftmaxFamily.prepare(ctx, SoftmaxFamily.Mode.HARDMAX);
    }
}
