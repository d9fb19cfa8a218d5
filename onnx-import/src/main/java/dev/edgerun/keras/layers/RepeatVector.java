package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code RepeatVector}: (N, F) → (N, n, F) by Unsqueeze and Tile. */
public final class RepeatVector implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long n = c.config().integer("n");
        String u = c.g().node("Unsqueeze", List.of(x.name(), c.g().int64s("axes", 1)));
        String y = c.g().node("Tile", List.of(u, c.g().int64s("repeats", 1, n, 1)));
        return List.of(KTensor.channelsLast(y, new long[] {x.dim(0), n, x.dim(1)}, x.dtype()));
    }
}
