package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a channels-last converter on a layer of a {@code channels_first} Keras model (or a
 * BatchNormalization over axis 1).
 *
 * <p>In such a layer the Keras tensor itself is (N, C, D1, ...). That is exactly the channels-first
 * IR layout of the channels-last tensor (N, D1, ..., C), so the input is re-labelled (no data
 * moves) as a channels-first {@link KTensor} of shape (N, D1, ..., C), the wrapped converter runs
 * unchanged, and its outputs are re-labelled back to Keras' (N, C', D1', ...) order (transposing
 * only if the converter produced a channels-last value, such as Flatten, which Keras also flattens
 * in channels-last order).
 */
public final class ChannelsFirst implements LayerConverter {
    private final LayerConverter inner;

    public ChannelsFirst(LayerConverter inner) {
        this.inner = inner;
    }

    /** Whether {@code config} describes a channels-first layer. */
    public static boolean applies(dev.edgerun.keras.KerasLayer layer) {
        if ("channels_first".equals(layer.config().string("data_format", "channels_last"))) return true;
        if (!layer.className().equals("BatchNormalization")) return false;
        Object a = layer.config().raw("axis");
        long axis = a instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Number n ? n.longValue()
                : a instanceof Number n ? n.longValue() : -1;
        return axis == 1;
    }

    @Override
    public List<KTensor> convert(LayerContext c) {
        List<KTensor> viewed = new ArrayList<>();
        for (KTensor t : c.inputs()) {
            if (t.rank() <= 2) {
                viewed.add(t);
            } else {
                viewed.add(new KTensor(c.g().channelsLast(t), KTensor.Layout.CHANNELS_FIRST, toChannelsLast(t.shape()), t.dtype()));
            }
        }
        var config = c.config().with("data_format", "channels_last");
        if (c.layer().className().equals("BatchNormalization")) config = config.with("axis", -1L);
        List<KTensor> out = new ArrayList<>();
        for (KTensor o : inner.convert(c.with(config, viewed))) {
            if (o.rank() <= 2) {
                out.add(o);
            } else {
                out.add(KTensor.channelsLast(c.g().channelsFirst(o), toChannelsFirst(o.shape()), o.dtype()));
            }
        }
        return out;
    }

    /** (N, C, D1, ...) → (N, D1, ..., C). */
    static long[] toChannelsLast(long[] s) {
        long[] r = new long[s.length];
        r[0] = s[0];
        System.arraycopy(s, 2, r, 1, s.length - 2);
        r[s.length - 1] = s[1];
        return r;
    }

    /** (N, D1, ..., C) → (N, C, D1, ...). */
    static long[] toChannelsFirst(long[] s) {
        long[] r = new long[s.length];
        r[0] = s[0];
        r[1] = s[s.length - 1];
        System.arraycopy(s, 1, r, 2, s.length - 2);
        return r;
    }
}
