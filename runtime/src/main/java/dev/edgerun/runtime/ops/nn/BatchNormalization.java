package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Norm;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * BatchNormalization. Inference: per channel {@code y = x * s + t} with
 * {@code s = scale / sqrt(var + eps)}, {@code t = B - mean * s}. Training mode (opset 14+,
 * {@code training_mode=1}): the batch statistics normalize, and the running mean and variance
 * outputs are {@code input * momentum + batch * (1 - momentum)}.
 */
public final class BatchNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        for (int i = 0; i < 5; i++) Nn.requireFloat(ctx, i);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 2) throw ctx.error("X must be [N, C, ...], got " + ctx.inputShape(0));
        int c = (int) x[1];
        for (int i = 1; i < 5; i++) {
            if (ctx.inputShape(i).elementCount() != c) throw ctx.error("input " + i + " must have " + c + " elements, got " + ctx.inputShape(i));
        }
        float eps = ctx.attrFloat("epsilon", 1e-5f);
        float momentum = ctx.attrFloat("momentum", 0.9f);
        boolean training = ctx.opset() >= 14 && ctx.attrInt("training_mode", 0) != 0;
        int batch = (int) x[0];
        int plane = Nn.toInt(ctx, Nn.product(x, 2, x.length), "plane size");
        List<ValueType> types = new ArrayList<>();
        types.add(Nn.tensor(DType.FLOAT, ctx.inputShape(0)));
        for (int i = 1; i < ctx.outputCount(); i++) types.add(Nn.tensor(DType.FLOAT, c));
        if (training && ctx.outputCount() > 3) throw ctx.unsupported("more than 3 outputs in training mode");
        if (!training && ctx.outputCount() > 1) {
            throw ctx.unsupported("the training outputs of opset " + ctx.opset() + " (saved mean/variance); inference has one output");
        }
        return new Node(List.copyOf(types), batch, c, plane, eps, momentum, training);
    }

    private record Node(List<ValueType> outputTypes, int batch, int channels, int plane, float eps, float momentum,
                        boolean training) implements Kernel {
        @Override
        public long scratchBytes() {
            return 4L * 2 * channels;
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), y = ctx.output(0).data();
            MemorySegment scale = ctx.input(1).data(), bias = ctx.input(2).data();
            MemorySegment mean = ctx.input(3).data(), var = ctx.input(4).data();
            MemorySegment stats = ctx.scratch(); // [2, C]: batch mean, batch variance (training only)
            if (training) batchStatistics(x, stats);
            for (int ch = 0; ch < channels; ch++) {
                float m = training ? stats.getAtIndex(F, ch) : mean.getAtIndex(F, ch);
                float v = training ? stats.getAtIndex(F, channels + ch) : var.getAtIndex(F, ch);
                float s = scale.getAtIndex(F, ch) / (float) Math.sqrt(v + eps);
                float t = bias.getAtIndex(F, ch) - m * s;
                for (int n = 0; n < batch; n++) {
                    long off = 4L * ((long) n * channels + ch) * plane;
                    F32Norm.affine(Vectors.F32, x, off, y, off, plane, s, t);
                }
            }
            if (training) {
                for (int ch = 0; ch < channels; ch++) {
                    if (outputTypes.size() > 1) ctx.output(1).data().setAtIndex(F, ch,
                            mean.getAtIndex(F, ch) * momentum + stats.getAtIndex(F, ch) * (1 - momentum));
                    if (outputTypes.size() > 2) ctx.output(2).data().setAtIndex(F, ch,
                            var.getAtIndex(F, ch) * momentum + stats.getAtIndex(F, channels + ch) * (1 - momentum));
                }
            }
        }

        private void batchStatistics(MemorySegment x, MemorySegment stats) {
            long count = (long) batch * plane;
            for (int ch = 0; ch < channels; ch++) {
                double s = 0;
                for (int n = 0; n < batch; n++) s += F32Norm.sum(Vectors.F32, x, 4L * ((long) n * channels + ch) * plane, plane);
                float m = (float) (s / count);
                double ss = 0;
                for (int n = 0; n < batch; n++) {
                    ss += F32Norm.sumSquaredDeviations(Vectors.F32, x, 4L * ((long) n * channels + ch) * plane, plane, m);
                }
                stats.setAtIndex(F, ch, m);
                stats.setAtIndex(F, channels + ch, (float) (ss / count));
            }
        }
    }
}
