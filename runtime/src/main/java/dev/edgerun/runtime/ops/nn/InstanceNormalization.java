package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Norm;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** InstanceNormalization: each (image, channel) plane normalized, then {@code * scale[c] + B[c]}. */
public final class InstanceNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        for (int i = 0; i < 3; i++) Nn.requireFloat(ctx, i);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 3) throw ctx.error("input must be [N, C, spatial...], got " + ctx.inputShape(0));
        int c = (int) x[1];
        if (ctx.inputShape(1).elementCount() != c || ctx.inputShape(2).elementCount() != c) {
            throw ctx.error("scale and B must have " + c + " elements, got " + ctx.inputShape(1) + " and " + ctx.inputShape(2));
        }
        int planes = Nn.toInt(ctx, x[0] * x[1], "planes");
        int size = Nn.toInt(ctx, Nn.product(x, 2, x.length), "plane size");
        float eps = ctx.attrFloat("epsilon", 1e-5f);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, ctx.inputShape(0)), r -> {
            MemorySegment xs = r.input(0).data(), ys = r.output(0).data();
            MemorySegment scale = r.input(1).data(), bias = r.input(2).data();
            for (int p = 0; p < planes; p++) {
                long off = 4L * p * size;
                float m = (float) (F32Norm.sum(Vectors.F32, xs, off, size) / size);
                float inv = (float) (1 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, xs, off, size, m) / size + eps));
                float s = scale.getAtIndex(F, p % c) * inv;
                F32Norm.affine(Vectors.F32, xs, off, ys, off, size, s, bias.getAtIndex(F, p % c) - m * s);
            }
        });
    }
}
