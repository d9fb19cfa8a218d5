package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code Cropping1D/2D/3D}: ONNX Slice over the spatial axes, in whichever layout the input is. */
public final class Cropping implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long[][] p = Padding.pairs(c, "cropping", n);
        long[] starts = new long[n];
        long[] ends = new long[n];
        long[] axes = new long[n];
        long[] shape = x.shape();
        for (int i = 0; i < n; i++) {
            axes[i] = x.irAxis(i + 1);
            starts[i] = p[i][0];
            ends[i] = p[i][1] == 0 ? Long.MAX_VALUE : -p[i][1];
            if (shape[i + 1] >= 0) {
                shape[i + 1] = Math.max(0, shape[i + 1] - p[i][0] - p[i][1]); // Keras too yields an empty tensor
            }
        }
        String y = c.g().node("Slice", List.of(x.name(), c.g().int64s("starts", starts), c.g().int64s("ends", ends),
                c.g().int64s("axes", axes)));
        return List.of(x.derive(y, shape));
    }
}
