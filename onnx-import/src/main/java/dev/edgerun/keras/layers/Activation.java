package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code Activation}: any built-in activation, element-wise in the input's layout. */
public final class Activation implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        return List.of(Activations.apply(c, c.input()));
    }
}
