package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.runtime.ir.Attribute;

/**
 * Windowed-operation arithmetic shared by convolution and pooling: output sizes and ONNX pads for
 * Keras' {@code valid}, {@code same} (TensorFlow's rule: the odd padding element goes at the end,
 * which is ONNX's SAME_UPPER) and {@code causal} (all padding at the start) paddings.
 */
final class Spatial {
    private Spatial() {}

    /**
     * Output sizes and pads for a window op.
     *
     * @param out  output spatial sizes (-1 when unknown)
     * @param pads ONNX pads (begins, then ends), or null when only {@code auto_pad=SAME_UPPER} can say
     */
    record Window(long[] out, long[] pads) {
        /** The {@code pads} or {@code auto_pad} attribute. */
        Attribute padAttribute() {
            return pads == null ? Attribute.of("auto_pad", "SAME_UPPER") : Attribute.of("pads", pads);
        }
    }

    static Window window(LayerContext c, long[] in, long[] kernel, long[] strides, long[] dilations, String padding) {
        int n = in.length;
        long[] out = new long[n];
        long[] pads = new long[2 * n];
        boolean known = true;
        for (int i = 0; i < n; i++) {
            long span = (kernel[i] - 1) * dilations[i] + 1;
            switch (padding) {
                case "valid" -> out[i] = in[i] < 0 ? -1 : Math.floorDiv(in[i] - span, strides[i]) + 1;
                case "causal" -> {
                    pads[i] = span - 1;
                    out[i] = in[i] < 0 ? -1 : Math.floorDiv(in[i] - 1, strides[i]) + 1;
                }
                case "same" -> {
                    if (in[i] < 0) {
                        out[i] = -1;
                        if (strides[i] != 1) {
                            known = false;
                        } else {
                            pads[i] = (span - 1) / 2;
                            pads[n + i] = span - 1 - pads[i];
                        }
                    } else {
                        out[i] = (in[i] + strides[i] - 1) / strides[i];
                        long total = Math.max((out[i] - 1) * strides[i] + span - in[i], 0);
                        pads[i] = total / 2;
                        pads[n + i] = total - pads[i];
                    }
                }
                default -> throw c.error("padding '" + padding + "' is not valid, same or causal");
            }
            if (out[i] == 0 || out[i] < -1) throw c.error("window " + kernel[i] + " does not fit input size " + in[i]);
        }
        return new Window(out, known ? pads : null);
    }

    /** The spatial sizes (Keras dims 1..rank-2) of a tensor. */
    static long[] spatial(KTensor x) {
        long[] s = new long[x.rank() - 2];
        for (int i = 0; i < s.length; i++) s[i] = x.dim(i + 1);
        return s;
    }

    /** A Keras shape: batch, spatial sizes, channels. */
    static long[] shape(long batch, long[] spatial, long channels) {
        long[] s = new long[spatial.length + 2];
        s[0] = batch;
        System.arraycopy(spatial, 0, s, 1, spatial.length);
        s[s.length - 1] = channels;
        return s;
    }

    /** Refuses channels_first models: their Keras tensors are laid out differently. */
    static void requireChannelsLast(LayerContext c) {
        String f = c.config().string("data_format", "channels_last");
        if (!f.equals("channels_last")) {
            throw c.unsupported("data_format '" + f + "': only channels_last models are imported (Keras' default)");
        }
    }

    /** The config's n-dimensional int tuple (kernel_size, strides, ...), or {@code dflt} repeated. */
    static long[] tuple(LayerContext c, String key, int n, long dflt) {
        if (!c.config().has(key)) {
            long[] r = new long[n];
            java.util.Arrays.fill(r, dflt);
            return r;
        }
        return c.config().ints(key, n);
    }
}
