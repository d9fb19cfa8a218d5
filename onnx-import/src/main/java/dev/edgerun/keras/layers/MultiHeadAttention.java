package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code MultiHeadAttention} over the sequence axis of rank-3 inputs (query, value[, key]),
 * without masks: per-head projections (Keras' einsum kernels (D, heads, dim) become one MatMul each),
 * query scaled by 1/sqrt(key_dim), softmax over the keys, and the output projection
 * (heads, value_dim, D_out). Weights: query, key, value and output kernels, each followed by its
 * bias when {@code use_bias}.
 */
public final class MultiHeadAttention implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        List<KTensor> in = c.inputs();
        if (in.size() < 2 || in.size() > 3) throw c.error("expects query, value and optionally key; got " + in.size() + " inputs");
        if (c.config().has("attention_axes")) throw c.unsupported("attention_axes (only the default sequence axis)");
        KTensor q = in.get(0), v = in.get(1), k = in.size() == 3 ? in.get(2) : in.get(1);
        for (KTensor t : in) if (t.rank() != 3) throw c.unsupported("inputs of rank " + t.rank() + " (only (batch, seq, features))");
        long heads = c.config().integer("num_heads");
        long kd = c.config().integer("key_dim");
        long vd = c.config().has("value_dim") ? c.config().integer("value_dim") : kd;
        boolean bias = c.config().bool("use_bias", true);
        long dOut = c.config().has("output_shape") ? outputDim(c) : q.channels();
        int i = 0;
        Weight wq = c.weight(i++, "query kernel", q.channels(), heads, kd);
        Weight bq = bias ? c.weight(i++, "query bias", heads, kd) : null;
        Weight wk = c.weight(i++, "key kernel", k.channels(), heads, kd);
        Weight bk = bias ? c.weight(i++, "key bias", heads, kd) : null;
        Weight wv = c.weight(i++, "value kernel", v.channels(), heads, vd);
        Weight bv = bias ? c.weight(i++, "value bias", heads, vd) : null;
        Weight wo = c.weight(i++, "output kernel", heads, vd, dOut);
        Weight bo = bias ? c.weight(i, "output bias", dOut) : null;

        String qh = heads(c, q, wq, bq, heads, kd, "query");                                 // (N, H, Tq, kd)
        qh = c.g().node("Mul", List.of(qh, c.g().scalar("scale", (float) (1 / Math.sqrt(kd)))));
        String kh = c.g().transpose(project(c, k, wk, bk, heads, kd, "key"), 0, 2, 3, 1); // (N, H, kd, Tk)
        String vh = heads(c, v, wv, bv, heads, vd, "value");                                 // (N, H, Tv, vd)
        String scores = c.g().node("Softmax", List.of(c.g().node("MatMul", List.of(qh, kh))), Attribute.of("axis", -1L));
        String ctx = c.g().transpose(c.g().node("MatMul", List.of(scores, vh)), 0, 2, 1, 3); // (N, Tq, H, vd)
        ctx = c.g().reshape(ctx, 0, 0, heads * vd);
        String y = c.g().node("MatMul", List.of(ctx, c.g().constant("output_kernel", wo.data(), heads * vd, dOut)));
        if (bo != null) y = c.g().node("Add", List.of(y, c.g().constant("output_bias", bo.data(), dOut)));
        return List.of(KTensor.channelsLast(y, new long[] {q.dim(0), q.dim(1), dOut}, q.dtype()));
    }

    /** (N, T, D) → (N, T, H, dim) projections. */
    private static String project(LayerContext c, KTensor x, Weight w, Weight b, long heads, long dim, String hint) {
        String y = c.g().node("MatMul", List.of(c.g().channelsLast(x), c.g().constant(hint + "_kernel", w.data(), x.channels(), heads * dim)));
        if (b != null) y = c.g().node("Add", List.of(y, c.g().constant(hint + "_bias", b.data(), heads * dim)));
        return c.g().reshape(y, 0, 0, heads, dim);
    }

    /** (N, T, D) → (N, H, T, dim). */
    private static String heads(LayerContext c, KTensor x, Weight w, Weight b, long heads, long dim, String hint) {
        return c.g().transpose(project(c, x, w, b, heads, dim, hint), 0, 2, 1, 3);
    }

    private static long outputDim(LayerContext c) {
        Object o = c.config().raw("output_shape");
        if (o instanceof Number n) return n.longValue();
        if (o instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Number n) return n.longValue();
        throw c.unsupported("output_shape " + o + " (only a single last dimension)");
    }
}
