package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * LRN, local response normalization across channels:
 * {@code y = x / (bias + alpha / size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta}.
 */
public final class LRN implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 3) throw ctx.error("input must be [N, C, spatial...], got " + ctx.inputShape(0));
        long size = ctx.attrInt("size", -1);
        if (size <= 0) throw ctx.error("attribute 'size' is required and must be positive");
        float alpha = ctx.attrFloat("alpha", 1e-4f), beta = ctx.attrFloat("beta", 0.75f), bias = ctx.attrFloat("bias", 1f);
        int before = (int) ((size - 1) / 2), after = (int) (size - 1 - before);
        long batch = x[0], channels = x[1], plane = Nn.product(x, 2, x.length);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, ctx.inputShape(0)), r -> {
            MemorySegment xs = r.input(0).data(), ys = r.output(0).data();
            for (long n = 0; n < batch; n++) {
                for (long c = 0; c < channels; c++) {
                    long c0 = Math.max(0, c - before), c1 = Math.min(channels - 1, c + after);
                    for (long q = 0; q < plane; q++) {
                        double sq = 0;
                        for (long k = c0; k <= c1; k++) {
                            float v = xs.getAtIndex(F, (n * channels + k) * plane + q);
                            sq += (double) v * v;
                        }
                        long at = (n * channels + c) * plane + q;
                        ys.setAtIndex(F, at, (float) (xs.getAtIndex(F, at) / Math.pow(bias + alpha / size * sq, beta)));
                    }
                }
            }
        });
    }
}
