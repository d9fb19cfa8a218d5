package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras {@code ConvLSTM2D}, unrolled over its (static) time steps, since ONNX has no convolutional
 * LSTM. The input convolution of all steps runs as one Conv on (N*T, C, H, W); each step adds the
 * recurrent convolution of h (padding same, stride 1, as Keras), splits the 4F channels into the
 * Keras gates i, f, c, o, and updates c = f*c + i*act(g), h = o*act(c). At the first step h and c
 * are zero, so the recurrent term is left out. Handles both data formats itself.
 */
public final class ConvLSTM2D implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        if (x.rank() != 5) throw c.error("expects a rank-5 input (batch, time, rows, cols, channels), got " + x);
        boolean first = c.config().string("data_format", "channels_last").equals("channels_first");
        long steps = x.dim(1);
        if (steps < 1) throw c.unsupported("the number of time steps must be fixed in the model's input shape to unroll ConvLSTM2D");
        long ch = first ? x.dim(2) : x.dim(4);
        long[] hw = first ? new long[] {x.dim(3), x.dim(4)} : new long[] {x.dim(2), x.dim(3)};
        long f = c.config().integer("filters");
        long[] k = Spatial.tuple(c, "kernel_size", 2, 1);
        long[] s = Spatial.tuple(c, "strides", 2, 1);
        long[] d = Spatial.tuple(c, "dilation_rate", 2, 1);
        Weight kernel = c.weight(0, "kernel", k[0], k[1], ch, 4 * f);
        Weight rec = c.weight(1, "recurrent_kernel", k[0], k[1], f, 4 * f);
        Spatial.Window win = Spatial.window(c, hw, k, s, d, c.config().string("padding", "valid"));
        long oh = win.out()[0];
        long ow = win.out()[1];
        if (oh < 0 || ow < 0 || ch < 0) throw c.unsupported("rows, cols and channels must be fixed in the input shape");

        // x as (N, T, C, H, W), then (N*T, C, H, W)
        String in = c.g().channelsLast(x);
        if (!first) in = c.g().transpose(in, 0, 1, 4, 2, 3);
        String flat = c.g().reshape(in, -1, ch, hw[0], hw[1]);
        List<String> convIn = new ArrayList<>(List.of(flat, oihw(c, kernel, "kernel")));
        if (c.config().bool("use_bias", true)) convIn.add(c.g().constant("bias", c.weight(2, "bias", 4 * f).data(), 4 * f));
        String xg = c.g().node("Conv", convIn, Attribute.of("kernel_shape", k), Attribute.of("strides", s),
                Attribute.of("dilations", d), win.padAttribute());
        xg = c.g().reshape(xg, -1, steps, 4 * f, oh, ow); // (N, T, 4F, H', W')

        String recW = oihw(c, rec, "recurrent_kernel");
        long[] recPads = {(k[0] - 1) / 2, (k[1] - 1) / 2, k[0] - 1 - (k[0] - 1) / 2, k[1] - 1 - (k[1] - 1) / 2};
        String act = c.config().has("activation") ? Activations.name(c, "activation") : "tanh";
        String recAct = c.config().has("recurrent_activation") ? Activations.name(c, "recurrent_activation") : "hard_sigmoid";
        boolean backwards = c.config().bool("go_backwards", false);
        String h = null;
        String cell = null;
        List<String> hs = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            long t = backwards ? steps - 1 - i : i;
            String z = c.g().node("Gather", List.of(xg, c.g().scalarIndex(t)), Attribute.of("axis", 1L));
            if (h != null) {
                z = c.g().node("Add", List.of(z, c.g().node("Conv", List.of(h, recW), Attribute.of("kernel_shape", k),
                        Attribute.of("pads", recPads))));
            }
            List<String> gates = c.g().nodeOutputs("Split", List.of(z, c.g().int64s("split", f, f, f, f)), 4,
                    Attribute.of("axis", 1L));
            String ig = apply(c, gates.get(0), recAct);
            String fg = apply(c, gates.get(1), recAct);
            String gg = apply(c, gates.get(2), act);
            String og = apply(c, gates.get(3), recAct);
            String ic = c.g().node("Mul", List.of(ig, gg));
            cell = cell == null ? ic : c.g().node("Add", List.of(c.g().node("Mul", List.of(fg, cell)), ic));
            h = c.g().node("Mul", List.of(og, apply(c, cell, act)));
            hs.add(h);
        }
        List<KTensor> out = new ArrayList<>();
        if (c.config().bool("return_sequences", false)) {
            List<String> expanded = new ArrayList<>();
            for (String step : hs) expanded.add(c.g().node("Unsqueeze", List.of(step, c.g().int64s("axes", 1))));
            String seq = c.g().node("Concat", expanded, Attribute.of("axis", 1L)); // (N, T, F, H', W')
            out.add(first ? KTensor.channelsLast(seq, new long[] {x.dim(0), steps, f, oh, ow}, x.dtype())
                    : KTensor.channelsLast(c.g().transpose(seq, 0, 1, 3, 4, 2), new long[] {x.dim(0), steps, oh, ow, f}, x.dtype()));
        } else {
            out.add(state(h, first, x.dim(0), f, oh, ow));
        }
        if (c.config().bool("return_state", false)) {
            out.add(state(h, first, x.dim(0), f, oh, ow));
            out.add(state(cell, first, x.dim(0), f, oh, ow));
        }
        return out;
    }

    /** A (N, F, H', W') value as a Keras tensor of the layer's data format. */
    private static KTensor state(String v, boolean channelsFirstModel, long n, long f, long oh, long ow) {
        return channelsFirstModel ? KTensor.channelsLast(v, new long[] {n, f, oh, ow}, DType.FLOAT)
                : new KTensor(v, KTensor.Layout.CHANNELS_FIRST, new long[] {n, oh, ow, f}, DType.FLOAT);
    }

    private static String oihw(LayerContext c, Weight w, String hint) {
        return c.g().constant(hint, WeightOps.permute(w.data(), w.shape(), WeightOps.kernelToOihw(4)),
                WeightOps.permutedShape(w.shape(), WeightOps.kernelToOihw(4)));
    }

    private static String apply(LayerContext c, String v, String activation) {
        return Activations.apply(c, KTensor.channelsLast(v, new long[] {-1, -1}, DType.FLOAT), activation).name();
    }
}
