package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/**
 * ai.onnx.preview.training Adagrad (opset 1): inputs R, T, X..., G..., H...; outputs X_new...,
 * H_new... with {@code r' = R / (1 + T·decay_factor)}, {@code g' = norm_coefficient·x + g},
 * {@code h' = h + g'²}, {@code x' = x - r'·g' / (sqrt(h') + epsilon)}.
 */
public final class Adagrad implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        TrainingUpdate u = new TrainingUpdate(ctx, 3);
        double decay = ctx.attrFloat("decay_factor", 0f);
        double epsilon = ctx.attrFloat("epsilon", 1e-6f);
        double norm = ctx.attrFloat("norm_coefficient", 0f);
        int n = u.n;
        return Kernel.of(u.outputTypes(ctx, 2), rc -> {
            double r = rc.input(0).getAsDouble(0) / (1 + rc.input(1).getAsLong(0) * decay);
            for (int i = 0; i < n; i++) {
                MemorySegment x = rc.input(2 + i).data(), g = rc.input(2 + n + i).data(), h = rc.input(2 + 2 * n + i).data();
                MemorySegment xo = rc.output(i).data(), ho = rc.output(n + i).data();
                DType t = rc.input(2 + i).dtype();
                for (long k = 0; k < rc.input(2 + i).elementCount(); k++) {
                    double xv = Elements.get(x, t, k);
                    double gr = norm * xv + Elements.get(g, t, k);
                    double hn = Elements.get(h, t, k) + gr * gr;
                    Elements.put(ho, t, k, hn);
                    Elements.put(xo, t, k, xv - r * gr / (Math.sqrt(hn) + epsilon));
                }
            }
        });
    }
}
