package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** LpPool: {@code (sum |x|^p)^(1/p)} over each window (p default 2), geometry as AveragePool. */
public final class LpPool implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return AveragePool.prepareWindowed(ctx, true);
    }
}
