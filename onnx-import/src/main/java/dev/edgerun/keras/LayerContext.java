package dev.edgerun.keras;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.util.Arrays;
import java.util.List;

/**
 * What a {@link LayerConverter} works with: the layer's configuration, its input tensors, its
 * weights (read on first use), the graph emitter, and the Keras major version of the file (a few
 * defaults changed between Keras 2 and 3).
 */
public final class LayerContext {
    private final KerasLayer layer;
    private final List<KTensor> inputs;
    private final GraphEmitter emitter;
    private final WeightSupplier weightSupplier;
    private final int kerasMajor;
    private List<Weight> weights;

    interface WeightSupplier {
        List<Weight> get();
    }

    LayerContext(KerasLayer layer, List<KTensor> inputs, GraphEmitter emitter, WeightSupplier weights,
                 int kerasMajor) {
        this.layer = layer;
        this.inputs = List.copyOf(inputs);
        this.emitter = emitter;
        this.weightSupplier = weights;
        this.kerasMajor = kerasMajor;
    }

    public KerasLayer layer() {
        return layer;
    }

    public Config config() {
        return layer.config();
    }

    public GraphEmitter g() {
        return emitter;
    }

    /** 2 for Keras 2 / tf.keras files, 3 for Keras 3. */
    public int kerasMajor() {
        return kerasMajor;
    }

    public List<KTensor> inputs() {
        return inputs;
    }

    /** The single input of a one-input layer. */
    public KTensor input() {
        if (inputs.size() != 1) {
            throw new ModelFormatException(layer.where() + ": expects one input, got " + inputs.size());
        }
        return inputs.get(0);
    }

    /** All weights of the layer, in Keras' {@code layer.weights} order. */
    public List<Weight> weights() {
        if (weights == null) weights = List.copyOf(weightSupplier.get());
        return weights;
    }

    /**
     * Weight {@code index}, checked against {@code expected} (-1 accepts any size in that
     * dimension): a disagreement between file and config is a {@link ModelFormatException}.
     */
    public Weight weight(int index, String role, long... expected) {
        List<Weight> w = weights();
        if (index >= w.size()) {
            throw new ModelFormatException(layer.where() + ": missing weight '" + role + "' (#" + index + "); the file has "
                    + w.size() + " weight(s) for this layer: " + w);
        }
        Weight x = w.get(index);
        boolean ok = x.rank() == expected.length;
        for (int i = 0; ok && i < expected.length; i++) ok = expected[i] < 0 || expected[i] == x.shape()[i];
        if (!ok) {
            throw new ModelFormatException(layer.where() + ": weight '" + role + "' (" + x.name() + ") has shape "
                    + Arrays.toString(x.shape()) + " but the config implies " + Arrays.toString(expected)
                    + " (-1: any)");
        }
        return x;
    }

    /** Checks the number of weights the layer has. */
    public void expectWeightCount(int n) {
        if (weights().size() != n) {
            throw new ModelFormatException(layer.where() + ": expected " + n + " weight(s) from the config, the file has "
                    + weights().size() + ": " + weights());
        }
    }

    /** The same layer seen with another config and other inputs (see ChannelsFirst). */
    public LayerContext with(Config newConfig, List<KTensor> newInputs) {
        KerasLayer l = new KerasLayer(layer.className(), layer.name(), newConfig, layer.entry());
        LayerContext c = new LayerContext(l, newInputs, emitter, weightSupplier, kerasMajor);
        c.weights = weights;
        return c;
    }

    /** A context for a layer wrapped by this one (Bidirectional, TimeDistributed), with its own weights. */
    public LayerContext inner(KerasLayer innerLayer, List<KTensor> innerInputs, List<Weight> innerWeights) {
        return new LayerContext(innerLayer, innerInputs, emitter, () -> innerWeights, kerasMajor);
    }

    /** Converts an inner layer with its own class's converter. */
    public List<KTensor> convertInner(KerasLayer innerLayer, List<KTensor> innerInputs, List<Weight> innerWeights) {
        return KerasLayers.converter(innerLayer, kerasMajor).convert(inner(innerLayer, innerInputs, innerWeights));
    }

    /** The configuration is not valid for this layer. */
    public ModelFormatException error(String message) {
        return new ModelFormatException(layer.where() + ": " + message);
    }

    /** This layer uses an option the importer cannot express; {@code why} says which and why. */
    public UnsupportedOperatorException unsupported(String why) {
        return KerasLayers.unsupported(List.of(new UnsupportedOperatorException.Miss(layer.className(), "keras",
                kerasMajor, layer.name(), why)));
    }
}
