package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ai.onnx.preview.training Momentum (opset 1): inputs R, T, X..., G..., V...; outputs X_new...,
 * V_new... with {@code v' = alpha·v + beta'·g'} (beta' = 1 at T = 0) and, in {@code standard}
 * mode, {@code x' = x - R·v'}, in {@code nesterov} mode {@code x' = x - R·(g' + alpha·v')}.
 */
public final class Momentum implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        TrainingUpdate u = new TrainingUpdate(ctx, 3);
        double alpha = ctx.attrFloat("alpha", Float.NaN);
        double beta = ctx.attrFloat("beta", Float.NaN);
        double norm = ctx.attrFloat("norm_coefficient", Float.NaN);
        String mode = ctx.attrString("mode", null);
        if (Double.isNaN(alpha) || Double.isNaN(beta) || Double.isNaN(norm) || mode == null) {
            throw ctx.error("attributes alpha, beta, mode and norm_coefficient are required");
        }
        if (!mode.equals("standard") && !mode.equals("nesterov")) throw ctx.error("mode must be standard or nesterov, got " + mode);
        boolean nesterov = mode.equals("nesterov");
        int n = u.n;
        return Kernel.of(u.outputTypes(ctx, 2), rc -> {
            double r = rc.input(0).getAsDouble(0);
            double betaAdjusted = rc.input(1).getAsLong(0) > 0 ? beta : 1;
            for (int i = 0; i < n; i++) {
                MemorySegment x = rc.input(2 + i).data(), g = rc.input(2 + n + i).data(), v = rc.input(2 + 2 * n + i).data();
                MemorySegment xo = rc.output(i).data(), vo = rc.output(n + i).data();
                DType t = rc.input(2 + i).dtype();
                for (long k = 0; k < rc.input(2 + i).elementCount(); k++) {
                    double xv = Elements.get(x, t, k);
                    double gr = norm * xv + Elements.get(g, t, k);
                    double vn = alpha * Elements.get(v, t, k) + betaAdjusted * gr;
                    Elements.put(vo, t, k, vn);
                    Elements.put(xo, t, k, nesterov ? xv - r * (gr + alpha * vn) : xv - r * vn);
                }
            }
        });
    }
}
