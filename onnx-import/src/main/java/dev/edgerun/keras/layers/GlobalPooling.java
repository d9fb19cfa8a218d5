package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code GlobalMaxPooling1D/2D/3D} and {@code GlobalAveragePooling1D/2D/3D}: a ReduceMax /
 * ReduceMean over the spatial axes of whichever layout the input is in, so no transpose is needed.
 */
public final class GlobalPooling implements LayerConverter {
    private final String reduceOp;

    private GlobalPooling(String reduceOp) {
        this.reduceOp = reduceOp;
    }

    public static GlobalPooling max() {
        return new GlobalPooling("ReduceMax");
    }

    public static GlobalPooling average() {
        return new GlobalPooling("ReduceMean");
    }

    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        boolean keep = c.config().bool("keepdims", false);
        long[] axes = new long[x.rank() - 2];
        for (int i = 0; i < axes.length; i++) axes[i] = x.irAxis(i + 1);
        String y = c.g().node(reduceOp, List.of(x.name()), Attribute.of("axes", axes), Attribute.of("keepdims", keep ? 1L : 0L));
        if (!keep) return List.of(KTensor.channelsLast(y, new long[] {x.dim(0), x.channels()}, x.dtype()));
        long[] shape = x.shape();
        for (int i = 1; i < shape.length - 1; i++) shape[i] = 1;
        return List.of(x.derive(y, shape));
    }
}
