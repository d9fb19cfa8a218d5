package dev.edgerun.keras;

import java.util.List;

/**
 * Where a Keras file keeps its weights. Both containers hand out each layer's weights in the order
 * of Keras' {@code layer.weights} (Dense: kernel, bias; BatchNormalization: gamma, beta,
 * moving_mean, moving_variance; Bidirectional: forward weights, then backward).
 */
interface WeightStore {

    /** The place of one (possibly nested) model's layers in the store. */
    interface Scope {}

    /** The scope of the top-level model, whose layers are {@code layers} in config order. */
    Scope root(List<KerasLayer> layers);

    /** The scope of a model used as a layer of {@code parent}, whose layers are {@code layers}. */
    Scope nested(Scope parent, KerasLayer model, List<KerasLayer> layers);

    /** The weights of {@code layer} (empty when it has none). */
    List<Weight> weights(Scope scope, KerasLayer layer);
}
