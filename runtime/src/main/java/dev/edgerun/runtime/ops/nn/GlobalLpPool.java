package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** GlobalLpPool: {@code (sum |x|^p)^(1/p)} of each (image, channel) plane (p default 2). */
public final class GlobalLpPool implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 2) throw ctx.error("input must be [N, C, spatial...], got " + ctx.inputShape(0));
        long[] y = new long[x.length];
        java.util.Arrays.fill(y, 1);
        y[0] = x[0];
        y[1] = x[1];
        long planes = x[0] * x[1], size = Nn.product(x, 2, x.length);
        double p = Nn.attrNumber(ctx, "p", 2);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, y), c -> {
            MemorySegment xs = c.input(0).data(), ys = c.output(0).data();
            for (long plane = 0; plane < planes; plane++) {
                double sum = 0;
                for (long i = 0; i < size; i++) sum += Math.pow(Math.abs(xs.getAtIndex(F, plane * size + i)), p);
                ys.setAtIndex(F, plane, (float) Math.pow(sum, 1 / p));
            }
        });
    }
}
