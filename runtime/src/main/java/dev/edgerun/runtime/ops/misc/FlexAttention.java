package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.MemorySegment;
import java.util.Map;

/**
 * ai.onnx.preview FlexAttention (opset 1): attention over 4-D Q [B, Hq, Sq, D], K [B, Hkv, Sk, D],
 * V [B, Hkv, Sk, Dv] (each KV head serving Hq/Hkv consecutive query heads) whose scaled scores
 * pass through the optional {@code score_mod} and {@code mask_mod} subgraphs and whose softmax
 * probabilities pass through {@code prob_mod}; each subgraph maps the whole [B, Hq, Sq, Sk] tensor.
 */
public final class FlexAttention implements Operator {

    private record Spec(DType dtype, int batch, int qHeads, int kvHeads, int qLen, int kvLen, int d, int dv, double scale,
                        Subgraph scoreMod, String scoreIn, Subgraph maskMod, String maskIn, Subgraph probMod, String probIn) {}

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        Shape q = ctx.inputShape(0), k = ctx.inputShape(1), v = ctx.inputShape(2);
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) throw ctx.error("Q, K and V must be 4-D, got " + q + ", " + k + ", " + v);
        int qHeads = (int) q.dim(1), kvHeads = (int) k.dim(1);
        if (qHeads % kvHeads != 0) throw ctx.error("query heads " + qHeads + " must be a multiple of KV heads " + kvHeads);
        float scaleAttr = ctx.attrFloat("scale", Float.NaN);
        double scale = Float.isNaN(scaleAttr) ? 1 / Math.sqrt(q.dim(3)) : scaleAttr;
        Graph score = ctx.hasAttr("score_mod") ? ctx.attrGraph("score_mod") : null;
        Graph mask = ctx.hasAttr("mask_mod") ? ctx.attrGraph("mask_mod") : null;
        Graph prob = ctx.hasAttr("prob_mod") ? ctx.attrGraph("prob_mod") : null;
        Spec s = new Spec(dtype, (int) q.dim(0), qHeads, kvHeads, (int) q.dim(2), (int) k.dim(2), (int) q.dim(3), (int) v.dim(3),
                scale, compile(ctx, score), inputName(score), compile(ctx, mask), inputName(mask), compile(ctx, prob), inputName(prob));
        return Kernel.of(ValueType.tensor(dtype, Shape.of(s.batch, qHeads, s.qLen, s.dv)), rc -> run(rc, s));
    }

    private static Subgraph compile(NodeContext ctx, Graph g) {
        if (g == null) return null;
        if (g.inputs().size() != 1 || g.outputs().size() != 1) {
            throw ctx.error("modifier subgraph '" + g.name() + "' must have one input and one output");
        }
        return ctx.compileSubgraph(g);
    }

    private static String inputName(Graph g) {
        return g == null ? null : g.inputs().get(0).name();
    }

    private static void run(RunContext rc, Spec s) {
        DType t = s.dtype;
        MemorySegment q = rc.input(0).data(), k = rc.input(1).data(), v = rc.input(2).data();
        int group = s.qHeads / s.kvHeads;
        Tensor scores = rc.allocateTemp(t, Shape.of(s.batch, s.qHeads, s.qLen, s.kvLen));
        for (int b = 0; b < s.batch; b++) {
            for (int h = 0; h < s.qHeads; h++) {
                long kBase = ((long) b * s.kvHeads + h / group) * s.kvLen;
                for (int i = 0; i < s.qLen; i++) {
                    long qRow = (((long) b * s.qHeads + h) * s.qLen + i) * s.d;
                    for (int j = 0; j < s.kvLen; j++) {
                        double dot = 0;
                        for (int d = 0; d < s.d; d++) dot += Elements.get(q, t, qRow + d) * Elements.get(k, t, (kBase + j) * s.d + d);
                        Elements.put(scores.data(), t, (((long) b * s.qHeads + h) * s.qLen + i) * s.kvLen + j, dot * s.scale);
                    }
                }
            }
        }
        scores = apply(rc, s.scoreMod, s.scoreIn, scores);
        scores = apply(rc, s.maskMod, s.maskIn, scores);
        Tensor probs = rc.allocateTemp(t, scores.shape());
        long rows = (long) s.batch * s.qHeads * s.qLen;
        for (long r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < s.kvLen; j++) max = Math.max(max, Elements.get(scores.data(), scores.dtype(), r * s.kvLen + j));
            double sum = 0;
            for (int j = 0; j < s.kvLen; j++) sum += Math.exp(Elements.get(scores.data(), scores.dtype(), r * s.kvLen + j) - max);
            for (int j = 0; j < s.kvLen; j++) {
                double e = Math.exp(Elements.get(scores.data(), scores.dtype(), r * s.kvLen + j) - max);
                Elements.put(probs.data(), t, r * s.kvLen + j, e / sum);
            }
        }
        probs = apply(rc, s.probMod, s.probIn, probs);
        MemorySegment y = rc.output(0).data();
        for (int b = 0; b < s.batch; b++) {
            for (int h = 0; h < s.qHeads; h++) {
                long vBase = ((long) b * s.kvHeads + h / group) * s.kvLen;
                for (int i = 0; i < s.qLen; i++) {
                    long pRow = (((long) b * s.qHeads + h) * s.qLen + i) * s.kvLen;
                    for (int m = 0; m < s.dv; m++) {
                        double acc = 0;
                        for (int j = 0; j < s.kvLen; j++) {
                            acc += Elements.get(probs.data(), probs.dtype(), pRow + j) * Elements.get(v, t, (vBase + j) * s.dv + m);
                        }
                        Elements.put(y, t, (((long) b * s.qHeads + h) * s.qLen + i) * s.dv + m, acc);
                    }
                }
            }
        }
    }

    private static Tensor apply(RunContext rc, Subgraph mod, String input, Tensor value) {
        if (mod == null) return value;
        Object out = rc.runSubgraph(mod, Map.of(input, value)).get(0);
        if (!(out instanceof Tensor t) || !t.shape().sameDims(value.shape()) || !Elements.supported(t.dtype())) {
            throw new EdgerunException("FlexAttention: modifier subgraph must return a tensor of shape " + value.shape()
                    + ", got " + out);
        }
        return t;
    }
}
