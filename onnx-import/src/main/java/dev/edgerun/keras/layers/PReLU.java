package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import java.util.List;

/**
 * Keras {@code PReLU}: the learned slope has the input's shape without the batch axis (1 along
 * {@code shared_axes}) and broadcasts against the channels-last input in ONNX PRelu.
 */
public final class PReLU implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long[] expected = new long[x.rank() - 1];
        for (int i = 0; i < expected.length; i++) expected[i] = -1;
        Weight alpha = c.weight(0, "alpha", expected);
        String y = c.g().node("PRelu", List.of(c.g().channelsLast(x), c.g().constant("alpha", alpha.data(), alpha.shape())));
        return List.of(KTensor.channelsLast(y, x.shape(), x.dtype()));
    }
}
