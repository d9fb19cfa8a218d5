package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras {@code DepthwiseConv1D}/{@code DepthwiseConv2D}: a grouped Conv with one group per input
 * channel. Keras' kernel (k..., in, multiplier) becomes (in * multiplier, 1, k...): output channel
 * {@code c * multiplier + m} is input channel c's m-th filter, as in Keras.
 */
public final class DepthwiseConv implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long in = x.channels();
        long mult = c.config().integer("depth_multiplier", 1);
        long[] k = Spatial.tuple(c, "kernel_size", n, 1);
        long[] kshape = new long[n + 2];
        System.arraycopy(k, 0, kshape, 0, n);
        kshape[n] = in;
        kshape[n + 1] = mult;
        Weight kernel = c.weight(0, "depthwise_kernel", kshape);
        KTensor y = depthwise(c, x, kernel, k, "kernel");
        if (c.config().bool("use_bias", true)) {
            Weight bias = c.weight(1, "bias", in * mult);
            String b = c.g().channelConstant("bias", bias.data(), y);
            y = y.derive(c.g().node("Add", List.of(y.name(), b)), y.shape());
        }
        return List.of(Activations.apply(c, y));
    }

    /** The depthwise part, shared with SeparableConv; no bias. */
    static KTensor depthwise(LayerContext c, KTensor x, Weight kernel, long[] k, String hint) {
        int n = x.rank() - 2;
        long in = x.channels();
        long mult = kernel.dim(-1);
        long[] strides = Spatial.tuple(c, "strides", n, 1);
        long[] dil = Spatial.tuple(c, "dilation_rate", n, 1);
        Spatial.Window win = Spatial.window(c, Spatial.spatial(x), k, strides, dil, c.config().string("padding", "valid"));
        // (k..., in, mult) → (in, mult, k...) → reshape (in * mult, 1, k...)
        int[] perm = new int[n + 2];
        perm[0] = n;
        perm[1] = n + 1;
        for (int i = 0; i < n; i++) perm[i + 2] = i;
        long[] wshape = new long[n + 2];
        wshape[0] = in * mult;
        wshape[1] = 1;
        System.arraycopy(k, 0, wshape, 2, n);
        String w = c.g().constant(hint, WeightOps.permute(kernel.data(), kernel.shape(), perm), wshape);
        List<String> inputs = new ArrayList<>(List.of(c.g().channelsFirst(x), w));
        String y = c.g().node("Conv", inputs, Attribute.of("kernel_shape", k), Attribute.of("strides", strides),
                Attribute.of("dilations", dil), Attribute.of("group", in), win.padAttribute());
        return new KTensor(y, KTensor.Layout.CHANNELS_FIRST, Spatial.shape(x.dim(0), win.out(), in * mult), x.dtype());
    }
}
