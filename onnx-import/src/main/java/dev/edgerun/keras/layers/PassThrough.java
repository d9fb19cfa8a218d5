package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/**
 * Layers that do nothing at inference: InputLayer, Dropout and its spatial/alpha/Gaussian
 * variants, GaussianNoise, ActivityRegularization, Identity. No node is emitted.
 */
public final class PassThrough implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        return List.of(c.input());
    }
}
