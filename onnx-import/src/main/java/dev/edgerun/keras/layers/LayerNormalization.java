package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code LayerNormalization} over the last axis as ONNX LayerNormalization (opset 17).
 * Weights: gamma (if scale), beta (if center).
 */
public final class LayerNormalization implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        Object a = c.config().raw("axis");
        long axis = a instanceof List<?> l && l.size() == 1 ? ((Number) l.get(0)).longValue() : c.config().integer("axis", -1);
        if (axis != -1 && axis != x.rank() - 1) throw c.unsupported("axis " + a + ": only the last axis is supported");
        if (c.config().bool("rms_scaling", false)) throw c.unsupported("rms_scaling is not supported");
        long ch = x.channels();
        int i = 0;
        float[] gamma = c.config().bool("scale", true) ? c.weight(i++, "gamma", ch).data() : WeightOps.filled((int) ch, 1f);
        float[] beta = c.config().bool("center", true) ? c.weight(i, "beta", ch).data() : new float[(int) ch];
        String in = c.g().channelsLast(x);
        String y = c.g().node("LayerNormalization", List.of(in, c.g().constant("gamma", gamma, ch),
                c.g().constant("beta", beta, ch)), Attribute.of("axis", -1L),
                Attribute.of("epsilon", (float) c.config().number("epsilon", 1e-3)));
        return List.of(KTensor.channelsLast(y, x.shape(), x.dtype()));
    }
}
