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

/**
 * GroupNormalization: the channels of each image split into {@code num_groups} groups, each
 * normalized over its channels and spatial positions. Scale and bias are per channel from opset
 * 21, per group in opset 18.
 */
public final class GroupNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        for (int i = 0; i < 3; i++) Nn.requireFloat(ctx, i);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 2) throw ctx.error("input must be [N, C, ...], got " + ctx.inputShape(0));
        int groups = (int) ctx.attrInt("num_groups", -1);
        int c = (int) x[1];
        if (groups <= 0 || c % groups != 0) throw ctx.error("num_groups " + groups + " must divide the " + c + " channels");
        boolean perChannel = ctx.opset() >= 21;
        int params = perChannel ? c : groups;
        if (ctx.inputShape(1).elementCount() != params || ctx.inputShape(2).elementCount() != params) {
            throw ctx.error("scale and bias must have " + params + " elements at opset " + ctx.opset() + ", got "
                    + ctx.inputShape(1) + " and " + ctx.inputShape(2));
        }
        int batch = (int) x[0], plane = Nn.toInt(ctx, Nn.product(x, 2, x.length), "plane size");
        int perGroup = c / groups;
        int groupSize = perGroup * plane;
        float eps = ctx.attrFloat("epsilon", 1e-5f);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, ctx.inputShape(0)), r -> {
            MemorySegment xs = r.input(0).data(), ys = r.output(0).data();
            MemorySegment scale = r.input(1).data(), bias = r.input(2).data();
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < groups; g++) {
                    long off = 4L * ((long) n * groups + g) * groupSize;
                    float m = (float) (F32Norm.sum(Vectors.F32, xs, off, groupSize) / groupSize);
                    float inv = (float) (1 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, xs, off, groupSize, m) / groupSize + eps));
                    for (int k = 0; k < perGroup; k++) {
                        int ch = g * perGroup + k;
                        int p = perChannel ? ch : g;
                        float s = scale.getAtIndex(F, p) * inv;
                        long at = off + 4L * k * plane;
                        F32Norm.affine(Vectors.F32, xs, at, ys, at, plane, s, bias.getAtIndex(F, p) - m * s);
                    }
                }
            }
        });
    }
}
