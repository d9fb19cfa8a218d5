package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.List;

/** Keras {@code ZeroPadding1D/2D/3D}: ONNX Pad over the spatial axes, in whichever layout the input is. */
public final class ZeroPadding implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long[][] p = Padding.pairs(c, "padding", n);
        long[] pads = new long[2 * x.rank()];
        long[] shape = x.shape();
        for (int i = 0; i < n; i++) {
            int ax = x.irAxis(i + 1);
            pads[ax] = p[i][0];
            pads[x.rank() + ax] = p[i][1];
            if (shape[i + 1] >= 0) shape[i + 1] += p[i][0] + p[i][1];
        }
        String y = c.g().node("Pad", List.of(x.name(), c.g().int64s("pads", pads)));
        return List.of(x.derive(y, shape));
    }
}
