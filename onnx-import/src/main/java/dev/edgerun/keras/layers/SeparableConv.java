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
 * Keras {@code SeparableConv1D}/{@code SeparableConv2D}: a depthwise Conv (weights
 * depthwise_kernel) followed by a 1x1 Conv (pointwise_kernel) with the bias.
 */
public final class SeparableConv implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long in = x.channels();
        long mult = c.config().integer("depth_multiplier", 1);
        long filters = c.config().integer("filters");
        long[] k = Spatial.tuple(c, "kernel_size", n, 1);
        long[] dshape = new long[n + 2];
        System.arraycopy(k, 0, dshape, 0, n);
        dshape[n] = in;
        dshape[n + 1] = mult;
        Weight depthwise = c.weight(0, "depthwise_kernel", dshape);
        long[] pshape = new long[n + 2];
        java.util.Arrays.fill(pshape, 1);
        pshape[n] = in * mult;
        pshape[n + 1] = filters;
        Weight pointwise = c.weight(1, "pointwise_kernel", pshape);
        KTensor d = DepthwiseConv.depthwise(c, x, depthwise, k, "depthwise_kernel");

        String w = c.g().constant("pointwise_kernel", WeightOps.permute(pointwise.data(), pointwise.shape(),
                WeightOps.kernelToOihw(n + 2)), WeightOps.permutedShape(pointwise.shape(), WeightOps.kernelToOihw(n + 2)));
        List<String> inputs = new ArrayList<>(List.of(d.name(), w));
        if (c.config().bool("use_bias", true)) {
            Weight bias = c.weight(2, "bias", filters);
            inputs.add(c.g().constant("bias", bias.data(), filters));
        }
        long[] ones = new long[n];
        java.util.Arrays.fill(ones, 1);
        String y = c.g().node("Conv", inputs, Attribute.of("kernel_shape", ones));
        long[] shape = d.shape();
        shape[shape.length - 1] = filters;
        return List.of(Activations.apply(c, new KTensor(y, KTensor.Layout.CHANNELS_FIRST, shape, x.dtype())));
    }
}
