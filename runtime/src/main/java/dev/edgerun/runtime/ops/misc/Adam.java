package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ai.onnx.preview.training Adam (opset 1): inputs R, T, X..., G..., V..., H...; outputs X_new...,
 * V_new..., H_new... with bias correction when T > 0 and the pre/post weight decays
 * {@code norm_coefficient}/{@code norm_coefficient_post}, as the ONNX reference.
 */
public final class Adam implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        TrainingUpdate u = new TrainingUpdate(ctx, 4);
        double alpha = ctx.attrFloat("alpha", 0.9f);
        double beta = ctx.attrFloat("beta", 0.999f);
        double epsilon = ctx.attrFloat("epsilon", 1e-6f);
        double norm = ctx.attrFloat("norm_coefficient", 0f);
        double normPost = ctx.attrFloat("norm_coefficient_post", 0f);
        int n = u.n;
        return Kernel.of(u.outputTypes(ctx, 3), rc -> {
            double r = rc.input(0).getAsDouble(0);
            long t = rc.input(1).getAsLong(0);
            double rate = t > 0 ? r * Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : r;
            for (int i = 0; i < n; i++) {
                MemorySegment x = rc.input(2 + i).data(), g = rc.input(2 + n + i).data();
                MemorySegment v = rc.input(2 + 2 * n + i).data(), h = rc.input(2 + 3 * n + i).data();
                MemorySegment xo = rc.output(i).data(), vo = rc.output(n + i).data(), ho = rc.output(2 * n + i).data();
                DType type = rc.input(2 + i).dtype();
                for (long k = 0; k < rc.input(2 + i).elementCount(); k++) {
                    double xv = Elements.get(x, type, k);
                    double gr = norm * xv + Elements.get(g, type, k);
                    double vn = alpha * Elements.get(v, type, k) + (1 - alpha) * gr;
                    double hn = beta * Elements.get(h, type, k) + (1 - beta) * gr * gr;
                    double xn = xv - rate * (vn / (Math.sqrt(hn) + epsilon));
                    Elements.put(vo, type, k, vn);
                    Elements.put(ho, type, k, hn);
                    Elements.put(xo, type, k, (1 - normPost) * xn);
                }
            }
        });
    }
}
