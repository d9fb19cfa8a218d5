package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * ONNX LinearAttention (opset 27): recurrent linear attention over [batch, time, heads * size]
 * inputs with a state S [batch, kv_heads, d_k, d_v] per KV head. Per step: with gating
 * ({@code gated}, {@code gated_delta}) S *= exp(decay); with delta correction ({@code delta},
 * {@code gated_delta}) v ← beta·(v - Sᵀ(erase ⊙ k)); then S += k ⊗ v and the output of each query
 * head is scale · qᵀS of its KV head. Inputs: query, key, value, past_state, decay, beta,
 * erase_gate; outputs: output, present_state.
 */
public final class LinearAttention implements Operator {

    private record Spec(DType dtype, DType stateType, int batch, int time, int qHeads, int kvHeads, int dk, int dv,
                        double scale, boolean gating, boolean delta, boolean decayPerKey, int betaHeads,
                        boolean hasPast, boolean hasErase) {}

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        int qHeads = (int) ctx.attrInt("q_num_heads", 0);
        int kvHeads = (int) ctx.attrInt("kv_num_heads", 0);
        if (qHeads <= 0 || kvHeads <= 0 || qHeads % kvHeads != 0) {
            throw ctx.error("q_num_heads " + qHeads + " must be a positive multiple of kv_num_heads " + kvHeads);
        }
        String rule = ctx.attrString("update_rule", "gated_delta");
        boolean gating = rule.equals("gated") || rule.equals("gated_delta");
        boolean delta = rule.equals("delta") || rule.equals("gated_delta");
        if (!gating && !delta && !rule.equals("linear")) throw ctx.error("unknown update_rule '" + rule + "'");
        if (gating != ctx.hasInput(4)) throw ctx.error("update_rule '" + rule + "' " + (gating ? "requires" : "forbids") + " the decay input");
        if (delta != ctx.hasInput(5)) throw ctx.error("update_rule '" + rule + "' " + (delta ? "requires" : "forbids") + " the beta input");
        Shape q = ctx.inputShape(0), v = ctx.inputShape(2);
        if (q.rank() != 3 || ctx.inputShape(1).rank() != 3 || v.rank() != 3) throw ctx.error("query, key and value must be [B, T, H*D]");
        int batch = (int) q.dim(0), time = (int) q.dim(1);
        int dk = (int) (q.dim(2) / qHeads), dv = (int) (v.dim(2) / kvHeads);
        boolean decayPerKey = gating && ctx.inputShape(4).dim(2) == (long) kvHeads * dk;
        int betaHeads = delta ? (int) ctx.inputShape(5).dim(2) : 0;
        boolean hasPast = ctx.hasInput(3);
        DType stateType = hasPast ? ctx.inputDType(3) : dtype;
        float scaleAttr = ctx.attrFloat("scale", 0f);
        double scale = scaleAttr == 0f ? 1 / Math.sqrt(dk) : scaleAttr;
        Spec s = new Spec(dtype, stateType, batch, time, qHeads, kvHeads, dk, dv, scale, gating, delta, decayPerKey,
                betaHeads, hasPast, ctx.hasInput(6));
        List<ValueType> types = List.of(ValueType.tensor(dtype, Shape.of(batch, time, (long) qHeads * dv)),
                ValueType.tensor(stateType, Shape.of(batch, kvHeads, dk, dv)));
        return Kernel.of(types, rc -> run(rc, s));
    }

    private static void run(RunContext rc, Spec s) {
        DType t = s.dtype;
        MemorySegment q = rc.input(0).data(), k = rc.input(1).data(), v = rc.input(2).data();
        MemorySegment decay = s.gating ? rc.input(4).data() : null;
        MemorySegment beta = s.delta ? rc.input(5).data() : null;
        MemorySegment erase = s.hasErase ? rc.input(6).data() : null;
        MemorySegment out = rc.output(0).data();
        int group = s.qHeads / s.kvHeads;
        double[] state = new double[s.dk * s.dv];
        double[] vt = new double[s.dv];
        for (int b = 0; b < s.batch; b++) {
            for (int h = 0; h < s.kvHeads; h++) {
                long stateBase = ((long) b * s.kvHeads + h) * s.dk * s.dv;
                for (int i = 0; i < state.length; i++) {
                    state[i] = s.hasPast ? (float) Elements.get(rc.input(3).data(), s.stateType, stateBase + i) : 0;
                }
                for (int step = 0; step < s.time; step++) {
                    long row = (long) b * s.time + step;
                    long kBase = row * s.kvHeads * s.dk + (long) h * s.dk;
                    long vBase = row * s.kvHeads * s.dv + (long) h * s.dv;
                    if (s.gating) {
                        for (int d = 0; d < s.dk; d++) {
                            long at = s.decayPerKey ? kBase + d : row * s.kvHeads + h;
                            double g = Math.exp(Elements.get(decay, t, at));
                            for (int m = 0; m < s.dv; m++) state[d * s.dv + m] *= g;
                        }
                    }
                    for (int m = 0; m < s.dv; m++) vt[m] = Elements.get(v, t, vBase + m);
                    if (s.delta) {
                        double bt = Elements.get(beta, t, row * s.betaHeads + (s.betaHeads == 1 ? 0 : h));
                        for (int m = 0; m < s.dv; m++) {
                            double retrieved = 0;
                            for (int d = 0; d < s.dk; d++) {
                                double kd = Elements.get(k, t, kBase + d);
                                if (erase != null) kd *= Elements.get(erase, t, kBase + d);
                                retrieved += state[d * s.dv + m] * kd;
                            }
                            vt[m] = bt * (vt[m] - retrieved);
                        }
                    }
                    for (int d = 0; d < s.dk; d++) {
                        double kd = Elements.get(k, t, kBase + d);
                        for (int m = 0; m < s.dv; m++) state[d * s.dv + m] += kd * vt[m];
                    }
                    for (int g = 0; g < group; g++) {
                        int qh = h * group + g;
                        long qBase = row * s.qHeads * s.dk + (long) qh * s.dk;
                        long oBase = row * s.qHeads * s.dv + (long) qh * s.dv;
                        for (int m = 0; m < s.dv; m++) {
                            double acc = 0;
                            for (int d = 0; d < s.dk; d++) acc += Elements.get(q, t, qBase + d) * state[d * s.dv + m];
                            Elements.put(out, t, oBase + m, s.scale * acc);
                        }
                    }
                }
                for (int i = 0; i < state.length; i++) Elements.put(rc.output(1).data(), s.stateType, stateBase + i, state[i]);
            }
        }
    }
}
