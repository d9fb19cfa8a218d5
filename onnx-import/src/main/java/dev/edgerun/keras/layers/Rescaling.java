package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code Rescaling}: x * scale + offset (scalars or per-channel lists). */
public final class Rescaling implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        String y = c.g().node("Mul", List.of(x.name(), value(c, x, "scale", 1)));
        y = c.g().node("Add", List.of(y, value(c, x, "offset", 0)));
        return List.of(x.derive(y, x.shape()));
    }

    private static String value(LayerContext c, KTensor x, String key, float dflt) {
        Object v = c.config().raw(key);
        if (v == null) return c.g().scalar(key, dflt);
        if (v instanceof Number n) return c.g().scalar(key, n.floatValue());
        if (v instanceof List<?> l) {
            float[] f = new float[l.size()];
            for (int i = 0; i < f.length; i++) f[i] = ((Number) l.get(i)).floatValue();
            return c.g().channelConstant(key, f, x);
        }
        throw c.config().bad(key, "a number or a list of numbers", v);
    }
}
