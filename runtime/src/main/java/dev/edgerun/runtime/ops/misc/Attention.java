package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Attention (opsets 23, 24): scaled dot-product attention over Q, K, V in 4-D
 * [batch, heads, seq, head_size] or 3-D [batch, seq, heads * head_size] layout, with a KV cache
 * (past_key/past_value → present_key/present_value), grouped-query heads (each KV head serves
 * q_heads/kv_heads consecutive query heads), an additive or boolean mask (padded with -inf past
 * its last column), causal masking aligned bottom-right to the cache, per-batch valid KV lengths
 * (nonpad_kv_seqlen), softcap, and the optional qk_matmul_output (mode 0 scaled QK, 1 after
 * softcap, 2 after the mask, 3 after softmax), as in the ONNX reference.
 * Inputs: Q, K, V, attn_mask, past_key, past_value, nonpad_kv_seqlen.
 */
public final class Attention implements Operator {
    private static final java.lang.foreign.ValueLayout.OfDouble D = java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private record Spec(DType dtype, boolean threeD, int batch, int qHeads, int kvHeads, int qLen, int kvLen, int past,
                        int headSize, int vHeadSize, double scale, boolean causal, double softcap, int mode,
                        boolean hasMask, DType maskType, int[] maskDims, boolean hasPast, boolean hasNonpad) {
        int total() {
            return past + kvLen;
        }
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (dtype != DType.FLOAT && dtype != DType.FLOAT16 && dtype != DType.DOUBLE && dtype != DType.BFLOAT16) {
            throw ctx.unsupported("dtype " + dtype.onnxName());
        }
        Shape q = ctx.inputShape(0), k = ctx.inputShape(1), v = ctx.inputShape(2);
        boolean threeD = q.rank() == 3;
        if (q.rank() != k.rank() || q.rank() != v.rank() || (q.rank() != 3 && q.rank() != 4)) {
            throw ctx.error("Q, K and V must all be 3-D or all 4-D, got " + q + ", " + k + ", " + v);
        }
        int batch = (int) q.dim(0);
        int qHeads, kvHeads, qLen, kvLen, headSize, vHeadSize;
        if (threeD) {
            qHeads = (int) ctx.attrInt("q_num_heads", 0);
            kvHeads = (int) ctx.attrInt("kv_num_heads", 0);
            if (qHeads <= 0 || kvHeads <= 0) throw ctx.error("3-D inputs need attributes q_num_heads and kv_num_heads");
            qLen = (int) q.dim(1);
            kvLen = (int) k.dim(1);
            headSize = (int) (q.dim(2) / qHeads);
            vHeadSize = (int) (v.dim(2) / kvHeads);
        } else {
            qHeads = (int) q.dim(1);
            kvHeads = (int) k.dim(1);
            qLen = (int) q.dim(2);
            kvLen = (int) k.dim(2);
            headSize = (int) q.dim(3);
            vHeadSize = (int) v.dim(3);
        }
        if (qHeads % kvHeads != 0) throw ctx.error("q heads " + qHeads + " must be a multiple of kv heads " + kvHeads);
        boolean hasPast = ctx.hasInput(4);
        int past = hasPast ? (int) ctx.inputShape(4).dim(2) : 0;
        boolean hasMask = ctx.hasInput(3);
        int[] maskDims = null;
        if (hasMask) {
            Shape m = ctx.inputShape(3);
            if (m.rank() < 2 || m.rank() > 4) throw ctx.error("attn_mask must have rank 2 to 4, got " + m);
            maskDims = new int[4];
            for (int i = 0; i < 4; i++) maskDims[i] = i < 4 - m.rank() ? 1 : (int) m.dim(i - (4 - m.rank()));
        }
        float scaleAttr = ctx.attrFloat("scale", Float.NaN);
        double scale = Float.isNaN(scaleAttr) ? 1 / Math.sqrt(headSize) : scaleAttr;
        Spec s = new Spec(dtype, threeD, batch, qHeads, kvHeads, qLen, kvLen, past, headSize, vHeadSize, scale,
                ctx.attrInt("is_causal", 0) != 0, ctx.attrFloat("softcap", 0f), (int) ctx.attrInt("qk_matmul_output_mode", 0),
                hasMask, hasMask ? ctx.inputDType(3) : null, maskDims, hasPast, ctx.hasInput(6));
        List<ValueType> types = new ArrayList<>();
        types.add(ValueType.tensor(dtype, threeD ? Shape.of(batch, qLen, (long) qHeads * vHeadSize)
                : Shape.of(batch, qHeads, qLen, vHeadSize)));
        types.add(ValueType.tensor(dtype, Shape.of(batch, kvHeads, s.total(), headSize)));
        types.add(ValueType.tensor(dtype, Shape.of(batch, kvHeads, s.total(), vHeadSize)));
        types.add(ValueType.tensor(dtype, Shape.of(batch, qHeads, qLen, s.total())));
        int outputs = ctx.outputCount();
        boolean[] want = new boolean[4];
        for (int i = 0; i < 4; i++) want[i] = ctx.hasOutput(i);
        List<ValueType> declared = List.copyOf(types.subList(0, Math.max(1, outputs)));
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return declared; }
            /** One row of scores and one of probabilities, in double. */
            @Override public long scratchBytes() { return 16L * s.total(); }
            @Override public void run(RunContext rc) { Attention.run(rc, s, want); }
        };
    }

    private static void run(RunContext rc, Spec s, boolean[] want) {
        DType t = s.dtype;
        int total = s.total();
        MemorySegment q = rc.input(0).data(), k = rc.input(1).data(), v = rc.input(2).data();
        MemorySegment pastK = s.hasPast ? rc.input(4).data() : null, pastV = s.hasPast ? rc.input(5).data() : null;
        Tensor mask = s.hasMask ? rc.input(3) : null;
        Tensor nonpad = s.hasNonpad ? rc.input(6) : null;
        MemorySegment y = rc.output(0).data();
        if (want.length > 1 && want[1]) writePresent(rc.output(1).data(), pastK, k, s, s.headSize, t);
        if (want.length > 2 && want[2]) writePresent(rc.output(2).data(), pastV, v, s, s.vHeadSize, t);
        MemorySegment qkOut = want.length > 3 && want[3] ? rc.output(3).data() : null;
        MemorySegment scores = rc.scratch();     // (total) doubles
        long probs = 8L * total;                // byte offset of (total) doubles in the same scratch
        int group = s.qHeads / s.kvHeads;
        for (int b = 0; b < s.batch; b++) {
            long valid = nonpad == null ? total : nonpad.getAsLong(b);
            for (int h = 0; h < s.qHeads; h++) {
                int kh = h / group;
                for (int i = 0; i < s.qLen; i++) {
                    for (int j = 0; j < total; j++) {
                        double dot = 0;
                        for (int d = 0; d < s.headSize; d++) {
                            dot += Elements.get(q, t, qIndex(s, b, h, i, d)) * key(s, pastK, k, b, kh, j, d, s.headSize, t);
                        }
                        double score = dot * s.scale;
                        if (s.softcap > 0) score = s.softcap * Math.tanh(score / s.softcap);
                        if (qkOut != null && s.mode <= 1) put(qkOut, t, s, b, h, i, j, score);
                        score += bias(s, mask, b, h, i, j, valid);
                        if (qkOut != null && s.mode == 2) put(qkOut, t, s, b, h, i, j, score);
                        scores.setAtIndex(D, j, score);
                    }
                    softmax(scores, probs, total);
                    if (qkOut != null && s.mode == 3) for (int j = 0; j < total; j++) put(qkOut, t, s, b, h, i, j, scores.get(D, probs + 8L * j));
                    for (int d = 0; d < s.vHeadSize; d++) {
                        double acc = 0;
                        for (int j = 0; j < total; j++) acc += scores.get(D, probs + 8L * j) * key(s, pastV, v, b, kh, j, d, s.vHeadSize, t);
                        long at = s.threeD ? ((long) b * s.qLen + i) * s.qHeads * s.vHeadSize + (long) h * s.vHeadSize + d
                                : (((long) b * s.qHeads + h) * s.qLen + i) * s.vHeadSize + d;
                        Elements.put(y, t, at, acc);
                    }
                }
            }
        }
    }

    private static void put(MemorySegment out, DType t, Spec s, int b, int h, int i, int j, double v) {
        Elements.put(out, t, (((long) b * s.qHeads + h) * s.qLen + i) * s.total() + j, v);
    }

    private static long qIndex(Spec s, int b, int h, int i, int d) {
        return s.threeD ? ((long) b * s.qLen + i) * s.qHeads * s.headSize + (long) h * s.headSize + d
                : (((long) b * s.qHeads + h) * s.qLen + i) * s.headSize + d;
    }

    /** Element d of key (or value) position j of KV head kh: from the cache for j < past, else from K (V). */
    private static double key(Spec s, MemorySegment past, MemorySegment cur, int b, int kh, int j, int d, int size, DType t) {
        if (j < s.past) return Elements.get(past, t, (((long) b * s.kvHeads + kh) * s.past + j) * size + d);
        int jj = j - s.past;
        long at = s.threeD ? ((long) b * s.kvLen + jj) * s.kvHeads * size + (long) kh * size + d
                : (((long) b * s.kvHeads + kh) * s.kvLen + jj) * size + d;
        return Elements.get(cur, t, at);
    }

    private static void writePresent(MemorySegment out, MemorySegment past, MemorySegment cur, Spec s, int size, DType t) {
        long at = 0;
        for (int b = 0; b < s.batch; b++) {
            for (int kh = 0; kh < s.kvHeads; kh++) {
                for (int j = 0; j < s.total(); j++) {
                    for (int d = 0; d < size; d++) Elements.put(out, t, at++, key(s, past, cur, b, kh, j, d, size, t));
                }
            }
        }
    }

    /** The additive bias of score (b, h, i, j): mask, causal frontier and padding, 0 or -inf (or the mask's value). */
    private static double bias(Spec s, Tensor mask, int b, int h, int i, int j, long valid) {
        double bias = 0;
        if (mask != null) {
            int[] m = s.maskDims;
            if (j >= m[3]) {
                bias = Double.NEGATIVE_INFINITY;
            } else {
                long at = (((long) (m[0] == 1 ? 0 : b) * m[1] + (m[1] == 1 ? 0 : h)) * m[2] + (m[2] == 1 ? 0 : i)) * m[3] + j;
                if (s.maskType == DType.BOOL) bias = mask.getAsLong(at) != 0 ? 0 : Double.NEGATIVE_INFINITY;
                else bias = mask.getAsDouble(at);
            }
        }
        if (s.causal) {
            long offset = !s.hasPast && s.hasNonpad ? valid - s.qLen : s.past;
            if (j > i + offset) bias += Double.NEGATIVE_INFINITY;
        }
        if (s.hasNonpad && j >= valid) bias += Double.NEGATIVE_INFINITY;
        return bias;
    }

    /** Softmax of the n scores at the start of {@code row} into the n doubles at byte {@code out}; all -inf gives NaN, as the reference. */
    private static void softmax(MemorySegment row, long out, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, row.getAtIndex(D, j));
        double sum = 0;
        for (int j = 0; j < n; j++) {
            double e = Math.exp(row.getAtIndex(D, j) - max);
            row.set(D, out + 8L * j, e);
            sum += e;
        }
        for (int j = 0; j < n; j++) row.set(D, out + 8L * j, row.get(D, out + 8L * j) / sum);
    }
}
