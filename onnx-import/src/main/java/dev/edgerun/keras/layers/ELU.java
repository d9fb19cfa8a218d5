package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code ELU} layer with its {@code alpha} (default 1). */
public final class ELU implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        float a = (float) c.config().number("alpha", 1.0);
        return List.of(x.derive(c.g().node("Elu", List.of(x.name()), ReLU.alpha(a)), x.shape()));
    }
}
