package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/**
 * Keras {@code Normalization} (preprocessing): (x - mean) / max(sqrt(variance), 1e-7) per channel,
 * folded into one Mul and one Add. mean and variance come from the weights (adapted) or the config.
 */
public final class Normalization implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long ch = x.channels();
        float[] mean = values(c, "mean", 0, ch);
        float[] var = values(c, "variance", 1, ch);
        boolean invert = c.config().bool("invert", false);
        float[] scale = new float[mean.length];
        float[] shift = new float[mean.length];
        for (int i = 0; i < mean.length; i++) {
            double sd = Math.max(Math.sqrt(var[i]), 1e-7);
            scale[i] = (float) (invert ? sd : 1 / sd);
            shift[i] = (float) (invert ? mean[i] : -mean[i] / sd);
        }
        String y = c.g().node("Mul", List.of(x.name(), c.g().channelConstant("scale", scale, x)));
        y = c.g().node("Add", List.of(y, c.g().channelConstant("shift", shift, x)));
        return List.of(x.derive(y, x.shape()));
    }

    private static float[] values(LayerContext c, String key, int weight, long ch) {
        Object v = c.config().raw(key);
        float[] r;
        if (v instanceof Number n) {
            r = WeightOps.filled((int) ch, n.floatValue());
        } else if (v instanceof List<?> l) {
            r = new float[l.size()];
            for (int i = 0; i < r.length; i++) r[i] = ((Number) l.get(i)).floatValue();
        } else {
            if (c.weights().size() <= weight) throw c.error("no '" + key + "' in the config or the weights");
            r = c.weights().get(weight).data(); // stored (C,) or broadcastable (1, ..., C)
        }
        if (r.length == 1 && ch > 1) r = WeightOps.filled((int) ch, r[0]);
        if (r.length != ch) throw c.unsupported(key + " has " + r.length + " values for " + ch + " channels: only per-channel normalization over the last axis is supported");
        return r;
    }
}
