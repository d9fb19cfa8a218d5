package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code Attention} (Luong dot-product) on (query, value[, key]) of shape (N, T, D):
 * softmax(query · keyᵀ [* scale]) · value. The {@code concat} score mode and causal masking are
 * refused.
 */
public final class Attention implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        List<KTensor> in = c.inputs();
        if (in.size() < 2 || in.size() > 3) throw c.error("expects query, value and optionally key; got " + in.size() + " inputs");
        if (!c.config().string("score_mode", "dot").equals("dot")) throw c.unsupported("score_mode '" + c.config().raw("score_mode") + "' (only dot)");
        if (c.config().bool("causal", false)) throw c.unsupported("causal masking");
        KTensor q = in.get(0), v = in.get(1), k = in.size() == 3 ? in.get(2) : in.get(1);
        for (KTensor t : in) if (t.rank() != 3) throw c.unsupported("inputs of rank " + t.rank() + " (only (batch, seq, features))");
        String kt = c.g().transpose(c.g().channelsLast(k), 0, 2, 1);
        String scores = c.g().node("MatMul", List.of(c.g().channelsLast(q), kt));
        if (c.config().bool("use_scale", false)) {
            Weight scale = c.weight(0, "scale");
            scores = c.g().node("Mul", List.of(scores, c.g().scalar("scale", scale.data()[0])));
        }
        String weights = c.g().node("Softmax", List.of(scores), Attribute.of("axis", -1L));
        String y = c.g().node("MatMul", List.of(weights, c.g().channelsLast(v)));
        return List.of(KTensor.channelsLast(y, new long[] {q.dim(0), q.dim(1), v.channels()}, q.dtype()));
    }
}
