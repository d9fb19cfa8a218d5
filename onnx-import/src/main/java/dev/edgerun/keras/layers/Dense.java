package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import java.util.List;

/** Keras {@code Dense}: MatMul over the last (channels) axis, plus bias and activation. */
public final class Dense implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long units = c.config().integer("units");
        Weight kernel = c.weight(0, "kernel", x.channels(), units);
        // MatMul contracts the last axis, so the input must be channels-last (element order matters).
        String in = c.g().channelsLast(x);
        String y = c.g().node("MatMul", List.of(in, c.g().constant("kernel", kernel.data(), kernel.shape())));
        if (c.config().bool("use_bias", true)) {
            Weight bias = c.weight(1, "bias", units);
            y = c.g().node("Add", List.of(y, c.g().constant("bias", bias.data(), units)));
        }
        long[] shape = x.shape();
        shape[shape.length - 1] = units;
        return List.of(Activations.apply(c, KTensor.channelsLast(y, shape, x.dtype())));
    }
}
