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
 * Keras {@code Conv1D}, {@code Conv2D}, {@code Conv3D} as ONNX Conv. The input is used
 * channels-first (Conv's layout); the kernel (k..., in/groups, filters) is transposed to ONNX's
 * (filters, in/groups, k...) here, once.
 */
public final class Conv implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long filters = c.config().integer("filters");
        long groups = c.config().integer("groups", 1);
        long[] k = Spatial.tuple(c, "kernel_size", n, 1);
        long[] strides = Spatial.tuple(c, "strides", n, 1);
        long[] dil = Spatial.tuple(c, "dilation_rate", n, 1);
        String padding = c.config().string("padding", "valid");
        long in = x.channels();
        long[] kshape = new long[n + 2];
        System.arraycopy(k, 0, kshape, 0, n);
        kshape[n] = in < 0 ? -1 : in / groups;
        kshape[n + 1] = filters;
        Weight kernel = c.weight(0, "kernel", kshape);
        Spatial.Window win = Spatial.window(c, Spatial.spatial(x), k, strides, dil, padding);

        String w = c.g().constant("kernel", WeightOps.permute(kernel.data(), kernel.shape(), WeightOps.kernelToOihw(n + 2)),
                WeightOps.permutedShape(kernel.shape(), WeightOps.kernelToOihw(n + 2)));
        List<String> inputs = new ArrayList<>(List.of(c.g().channelsFirst(x), w));
        if (c.config().bool("use_bias", true)) {
            Weight bias = c.weight(1, "bias", filters);
            inputs.add(c.g().constant("bias", bias.data(), filters));
        }
        String y = c.g().node("Conv", inputs, Attribute.of("kernel_shape", k), Attribute.of("strides", strides),
                Attribute.of("dilations", dil), Attribute.of("group", groups), win.padAttribute());
        KTensor out = new KTensor(y, KTensor.Layout.CHANNELS_FIRST, Spatial.shape(x.dim(0), win.out(), filters), x.dtype());
        return List.of(Activations.apply(c, out));
    }
}
