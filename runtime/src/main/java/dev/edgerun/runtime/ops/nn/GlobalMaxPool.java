package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** GlobalMaxPool: the maximum of each (image, channel) plane, output {@code [N, C, 1, ...]}. */
public final class GlobalMaxPool implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return GlobalAveragePool.prepareGlobal(ctx, true);
    }
}
