package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras 2 {@code ThresholdedReLU}: x if x > theta else 0 (ONNX ThresholdedRelu). */
public final class ThresholdedReLU implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        float theta = (float) c.config().number("theta", 1.0);
        return List.of(x.derive(c.g().node("ThresholdedRelu", List.of(x.name()), ReLU.alpha(theta)), x.shape()));
    }
}
