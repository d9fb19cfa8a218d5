package dev.edgerun.keras;

import java.util.List;

/**
 * Converts one call of one Keras layer class into IR nodes. Implementations live in
 * {@code dev.edgerun.keras.layers}, one per Keras layer class (or one small family sharing its
 * code, such as the pooling layers), and are listed in {@link KerasLayers}.
 */
@FunctionalInterface
public interface LayerConverter {

    /** Emits the layer's nodes; returns its output tensors, in Keras' order. */
    List<KTensor> convert(LayerContext c);
}
