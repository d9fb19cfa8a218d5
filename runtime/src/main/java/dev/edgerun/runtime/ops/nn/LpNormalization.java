package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** LpNormalization: {@code x / ||x||_p} along {@code axis} (p is 1 or 2, default 2; axis default -1); zero where the norm is zero. */
public final class LpNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        int axis = Nn.axis(ctx, ctx.attrInt("axis", -1), x.length);
        long p = ctx.attrInt("p", 2);
        if (p != 1 && p != 2) throw ctx.error("p must be 1 or 2, got " + p);
        long outer = Nn.product(x, 0, axis), n = x.length == 0 ? 1 : x[axis], inner = Nn.product(x, axis + 1, x.length);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, ctx.inputShape(0)), r -> {
            MemorySegment xs = r.input(0).data(), ys = r.output(0).data();
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) {
                    long base = o * n * inner + i;
                    double norm = 0;
                    for (long j = 0; j < n; j++) {
                        float v = xs.getAtIndex(F, base + j * inner);
                        norm += p == 1 ? Math.abs(v) : (double) v * v;
                    }
                    float div = (float) (p == 1 ? norm : Math.sqrt(norm));
                    for (long j = 0; j < n; j++) ys.setAtIndex(F, base + j * inner, div == 0 ? 0f : xs.getAtIndex(F, base + j * inner) / div);
                }
            }
        });
    }
}
