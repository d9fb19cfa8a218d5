package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code LeakyReLU}: slope {@code alpha} (Keras 2) or {@code negative_slope} (Keras 3), default 0.3. */
public final class LeakyReLU implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        double a = c.config().number("negative_slope", c.config().number("alpha", 0.3));
        return List.of(x.derive(c.g().node("LeakyRelu", List.of(x.name()), ReLU.alpha((float) a)), x.shape()));
    }
}
