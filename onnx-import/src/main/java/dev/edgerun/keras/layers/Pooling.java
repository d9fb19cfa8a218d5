package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code MaxPooling1D/2D/3D} and {@code AveragePooling1D/2D/3D} as ONNX MaxPool /
 * AveragePool, channels-first. Keras' average pooling with {@code same} padding divides by the
 * number of real (non-padding) elements, which is ONNX's {@code count_include_pad=0}.
 */
public final class Pooling implements LayerConverter {
    private final String onnxOp;

    private Pooling(String onnxOp) {
        this.onnxOp = onnxOp;
    }

    public static Pooling max() {
        return new Pooling("MaxPool");
    }

    public static Pooling average() {
        return new Pooling("AveragePool");
    }

    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long[] pool = Spatial.tuple(c, "pool_size", n, 2);
        long[] strides = c.config().has("strides") ? c.config().ints("strides", n) : pool;
        long[] ones = new long[n];
        java.util.Arrays.fill(ones, 1);
        Spatial.Window win = Spatial.window(c, Spatial.spatial(x), pool, strides, ones, c.config().string("padding", "valid"));
        String y = onnxOp.equals("AveragePool")
                ? c.g().node(onnxOp, List.of(c.g().channelsFirst(x)), Attribute.of("kernel_shape", pool),
                        Attribute.of("strides", strides), win.padAttribute(), Attribute.of("count_include_pad", 0L))
                : c.g().node(onnxOp, List.of(c.g().channelsFirst(x)), Attribute.of("kernel_shape", pool),
                        Attribute.of("strides", strides), win.padAttribute());
        return List.of(new KTensor(y, KTensor.Layout.CHANNELS_FIRST, Spatial.shape(x.dim(0), win.out(), x.channels()),
                x.dtype()));
    }
}
