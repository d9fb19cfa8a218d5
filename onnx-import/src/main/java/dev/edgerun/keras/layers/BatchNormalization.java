package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import java.util.List;

/**
 * Keras {@code BatchNormalization} at inference: y = x * scale + shift with
 * scale = gamma / sqrt(moving_variance + epsilon) and shift = beta - moving_mean * scale, folded
 * here once. Works in either layout (the constants are shaped for the input's channel axis), so
 * a Conv → BN → ReLU chain stays channels-first. Weights: gamma (if scale), beta (if center),
 * moving_mean, moving_variance.
 */
public final class BatchNormalization implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        int axis = axis(c, x);
        if (axis != x.rank() - 1) throw c.unsupported("axis " + axis + ": only the channels (last) axis is supported");
        long ch = x.channels();
        boolean hasScale = c.config().bool("scale", true);
        boolean hasCenter = c.config().bool("center", true);
        int i = 0;
        float[] gamma = hasScale ? c.weight(i++, "gamma", ch).data() : WeightOps.filled((int) ch, 1f);
        float[] beta = hasCenter ? c.weight(i++, "beta", ch).data() : new float[(int) ch];
        Weight mean = c.weight(i++, "moving_mean", ch);
        Weight var = c.weight(i, "moving_variance", ch);
        double eps = c.config().number("epsilon", 1e-3);
        float[] scale = new float[(int) ch];
        float[] shift = new float[(int) ch];
        for (int k = 0; k < ch; k++) {
            double s = gamma[k] / Math.sqrt(var.data()[k] + eps);
            scale[k] = (float) s;
            shift[k] = (float) (beta[k] - mean.data()[k] * s);
        }
        String y = c.g().node("Mul", List.of(x.name(), c.g().channelConstant("scale", scale, x)));
        y = c.g().node("Add", List.of(y, c.g().channelConstant("shift", shift, x)));
        return List.of(x.derive(y, x.shape()));
    }

    private static int axis(LayerContext c, KTensor x) {
        Object a = c.config().raw("axis");
        long v = a instanceof List<?> l && l.size() == 1 ? ((Number) l.get(0)).longValue()
                : c.config().integer("axis", -1);
        return (int) (v < 0 ? v + x.rank() : v);
    }
}
