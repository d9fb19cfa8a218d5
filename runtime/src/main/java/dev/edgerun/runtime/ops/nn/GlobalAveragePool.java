package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Pool;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * GlobalAveragePool: the mean of each (image, channel) plane, output {@code [N, C, 1, ...]}; on
 * oneDNN where it is in use ({@link OneDnnPooling}).
 */
public final class GlobalAveragePool implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return prepareGlobal(ctx, false);
    }

    /** Global average, or global max when {@code max}. */
    static Kernel prepareGlobal(NodeContext ctx, boolean max) {
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 2) throw ctx.error("input must be [N, C, spatial...], got " + ctx.inputShape(0));
        long[] y = new long[x.length];
        java.util.Arrays.fill(y, 1);
        y[0] = x[0];
        y[1] = x[1];
        int planes = Nn.toInt(ctx, x[0] * x[1], "planes");
        int size = Nn.toInt(ctx, Nn.product(x, 2, x.length), "plane size");
        Kernel java = Kernel.of((ValueType) Nn.tensor(DType.FLOAT, y), c -> {
            MemorySegment xs = c.input(0).data(), ys = c.output(0).data();
            F32Pool.global(Vectors.F32, max, xs, ys, size, 0, planes);
        });
        return OneDnnPooling.global(java, max, x, y, ctx.threads());
    }
}
