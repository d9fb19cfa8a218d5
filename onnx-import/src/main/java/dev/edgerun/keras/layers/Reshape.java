package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code Reshape}: the target shape excludes the batch axis, which ONNX's 0 copies through. */
public final class Reshape implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long[] target = c.config().dims("target_shape");
        long[] onnx = new long[target.length + 1];
        long[] keras = new long[target.length + 1];
        keras[0] = x.dim(0);
        long known = 1;
        int unknown = -1;
        for (int i = 0; i < target.length; i++) {
            onnx[i + 1] = target[i];
            keras[i + 1] = target[i];
            if (target[i] < 0) unknown = i + 1; else known *= target[i];
        }
        if (unknown > 0) keras[unknown] = inferred(x, known);
        String y = c.g().reshape(c.g().channelsLast(x), onnx);
        return List.of(KTensor.channelsLast(y, keras, x.dtype()));
    }

    private static long inferred(KTensor x, long known) {
        long n = 1;
        for (int i = 1; i < x.rank(); i++) {
            if (x.dim(i) < 0) return -1;
            n *= x.dim(i);
        }
        return known == 0 ? -1 : n / known;
    }
}
