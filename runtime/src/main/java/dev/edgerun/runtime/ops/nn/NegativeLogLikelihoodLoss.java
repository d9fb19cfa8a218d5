package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * NegativeLogLikelihoodLoss: {@code loss[n, d...] = -input[n, target[n, d...], d...] * weight[target]},
 * zero where the target equals {@code ignore_index}; reduction {@code none}, {@code sum}, or
 * {@code mean} (divided by the summed weights of the targets not ignored).
 */
public final class NegativeLogLikelihoodLoss implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The planned loss over {@code [N, C, D]} log-probabilities and {@code [N, D]} targets. */
    record Loss(int batch, int classes, int inner, String reduction, boolean hasIgnore, long ignoreIndex, DType targetType) {

        static Loss plan(NodeContext ctx, long[] x, long[] target) {
            if (x.length < 2) throw ctx.error("input must be [N, C, d...], got rank " + x.length);
            if (target.length != x.length - 1 || target[0] != x[0]) {
                throw ctx.error("target must be [N, d...] matching input [N, C, d...]");
            }
            for (int i = 1; i < target.length; i++) {
                if (target[i] != x[i + 1]) throw ctx.error("target dimension " + i + " is " + target[i] + ", input has " + x[i + 1]);
            }
            DType tt = ctx.inputDType(1);
            if (tt != DType.INT64 && tt != DType.INT32) throw ctx.error("target must be int32 or int64, got " + tt.onnxName());
            String reduction = ctx.attrString("reduction", "mean");
            if (!reduction.equals("none") && !reduction.equals("sum") && !reduction.equals("mean")) {
                throw ctx.error("reduction must be none, sum or mean, got '" + reduction + "'");
            }
            return new Loss((int) x[0], (int) x[1], Nn.toInt(ctx, Nn.product(x, 2, x.length), "positions"), reduction,
                    ctx.hasAttr("ignore_index"), ctx.attrInt("ignore_index", 0), tt);
        }

        ValueType outputType(long[] target) {
            return reduction.equals("none") ? Nn.tensor(DType.FLOAT, target) : Nn.tensor(DType.FLOAT);
        }

        /** Computes the loss from log-probabilities {@code logp} into {@code out}. */
        void compute(MemorySegment logp, MemorySegment target, MemorySegment weight, MemorySegment out) {
            double total = 0, weights = 0;
            boolean none = reduction.equals("none");
            for (int n = 0; n < batch; n++) {
                for (int d = 0; d < inner; d++) {
                    long at = (long) n * inner + d;
                    long t = targetType == DType.INT64 ? target.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, at)
                            : target.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, at);
                    float loss = 0, w = 0;
                    if (!(hasIgnore && t == ignoreIndex)) {
                        if (t < 0 || t >= classes) {
                            throw new IndexOutOfBoundsException("target " + t + " at " + at + " is outside [0, " + classes + ")");
                        }
                        w = weight == null ? 1f : weight.getAtIndex(F, t);
                        loss = -logp.getAtIndex(F, ((long) n * classes + t) * inner + d) * w;
                    }
                    if (none) out.setAtIndex(F, at, loss);
                    total += loss;
                    weights += w;
                }
            }
            if (!none) out.setAtIndex(F, 0, (float) (reduction.equals("sum") ? total : total / weights));
        }
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims(), target = ctx.inputShape(1).dims();
        Loss loss = Loss.plan(ctx, x, target);
        if (ctx.hasInput(2)) Nn.requireFloat(ctx, 2);
        return Kernel.of(loss.outputType(target), r -> {
            Tensor w = r.inputCount() > 2 ? r.input(2) : null;
            loss.compute(r.input(0).data(), r.input(1).data(), w == null ? null : w.data(), r.output(0).data());
        });
    }
}
