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
 * Keras {@code Conv1DTranspose}/{@code Conv2DTranspose}/{@code Conv3DTranspose} as ONNX
 * ConvTranspose. Keras' kernel is (k..., filters, in); ONNX wants (in, filters, k...).
 * Padding follows TensorFlow's transposed-convolution rule: {@code valid} gives
 * (n - 1) * s + k, {@code same} gives n * s with the padding total k - s split as in the forward
 * convolution (extra element at the end).
 */
public final class ConvTranspose implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Spatial.requireChannelsLast(c);
        KTensor x = c.input();
        int n = x.rank() - 2;
        long filters = c.config().integer("filters");
        long[] k = Spatial.tuple(c, "kernel_size", n, 1);
        long[] s = Spatial.tuple(c, "strides", n, 1);
        long[] d = Spatial.tuple(c, "dilation_rate", n, 1);
        String padding = c.config().string("padding", "valid");
        if (c.config().has("output_padding")) throw c.unsupported("output_padding is not supported");
        long[] kshape = new long[n + 2];
        System.arraycopy(k, 0, kshape, 0, n);
        kshape[n] = filters;
        kshape[n + 1] = x.channels();
        Weight kernel = c.weight(0, "kernel", kshape);

        long[] pads = new long[2 * n];
        long[] outPad = new long[n];
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long span = (k[i] - 1) * d[i] + 1;
            long in = x.dim(i + 1);
            if (padding.equals("valid")) {
                out[i] = in < 0 ? -1 : (in - 1) * s[i] + span;
                if (span < s[i]) outPad[i] = s[i] - span; // TF: output is at least n * s
                if (in >= 0 && span < s[i]) out[i] = in * s[i];
            } else if (padding.equals("same")) {
                out[i] = in < 0 ? -1 : in * s[i];
                long total = span - s[i];
                if (total >= 0) {
                    pads[i] = total / 2;
                    pads[n + i] = total - pads[i];
                } else {
                    outPad[i] = -total;
                }
            } else {
                throw c.error("padding '" + padding + "' is not valid or same");
            }
        }
        int[] perm = new int[n + 2];
        perm[0] = n + 1;
        perm[1] = n;
        for (int i = 0; i < n; i++) perm[i + 2] = i;
        String w = c.g().constant("kernel", WeightOps.permute(kernel.data(), kernel.shape(), perm),
                WeightOps.permutedShape(kernel.shape(), perm));
        List<String> inputs = new ArrayList<>(List.of(c.g().channelsFirst(x), w));
        if (c.config().bool("use_bias", true)) {
            Weight bias = c.weight(1, "bias", filters);
            inputs.add(c.g().constant("bias", bias.data(), filters));
        }
        String y = c.g().node("ConvTranspose", inputs, Attribute.of("kernel_shape", k), Attribute.of("strides", s),
                Attribute.of("dilations", d), Attribute.of("pads", pads), Attribute.of("output_padding", outPad));
        KTensor t = new KTensor(y, KTensor.Layout.CHANNELS_FIRST, Spatial.shape(x.dim(0), out, filters), x.dtype());
        return List.of(Activations.apply(c, t));
    }
}
