package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/** Keras {@code Flatten}: flattens in channels-last order, so a channels-first input is transposed back first. */
public final class Flatten implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        String y = c.g().node("Flatten", List.of(c.g().channelsLast(x)), Attribute.of("axis", 1L));
        long n = 1;
        for (int i = 1; i < x.rank(); i++) n = x.dim(i) < 0 || n < 0 ? -1 : n * x.dim(i);
        return List.of(KTensor.channelsLast(y, new long[] {x.dim(0), n}, x.dtype()));
    }
}
