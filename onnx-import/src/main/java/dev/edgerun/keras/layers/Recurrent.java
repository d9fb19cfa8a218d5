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
 * Keras {@code SimpleRNN}, {@code LSTM} and {@code GRU} as ONNX RNN, LSTM and GRU (time-major, as
 * every engine supports it).
 *
 * <p><b>Gate orders.</b> Keras concatenates gate blocks along the last axis of its kernels:
 * LSTM i, f, c, o; GRU z, r, h. ONNX stacks them along the first axis of W and R: LSTM i, o, f, c
 * (so Keras blocks 0, 3, 1, 2); GRU z, r, h (the same order). Keras' kernels are (in, gates*units);
 * ONNX's W is (gates*hidden, in), hence a transpose. ONNX's B is [Wb; Rb]: Keras' single bias is
 * Wb with Rb = 0, except GRU with {@code reset_after=True}, whose bias is (2, 3*units) = [input
 * bias; recurrent bias] and whose reset gate is applied after the recurrent matmul, which is ONNX's
 * {@code linear_before_reset=1}.
 */
public final class Recurrent implements LayerConverter {
    private final String onnxOp;
    private final int gates;
    private final int[] gateOrder;

    private Recurrent(String onnxOp, int gates, int[] gateOrder) {
        this.onnxOp = onnxOp;
        this.gates = gates;
        this.gateOrder = gateOrder;
    }

    public static Recurrent simpleRnn() { return new Recurrent("RNN", 1, new int[] {0}); }
    public static Recurrent lstm() { return new Recurrent("LSTM", 4, new int[] {0, 3, 1, 2}); }
    public static Recurrent gru() { return new Recurrent("GRU", 3, new int[] {0, 1, 2}); }

    @Override
    public List<KTensor> convert(LayerContext c) {
        checkOptions(c);
        KTensor x = c.input();
        boolean backwards = c.config().bool("go_backwards", false);
        Emitted e = emit(c, x, List.of(c.weights()), backwards ? "reverse" : "forward");
        long units = units(c);
        List<KTensor> out = new ArrayList<>();
        if (c.config().bool("return_sequences", false)) {
            // Y (T, 1, N, u) → (N, T, u); go_backwards emits the steps in processing (reversed) order.
            String y = c.g().node("Squeeze", List.of(e.y, c.g().int64s("axes", 1)));
            if (backwards) y = reverseTime(c, y);
            y = c.g().transpose(y, 1, 0, 2);
            out.add(KTensor.channelsLast(y, new long[] {x.dim(0), x.dim(1), units}, x.dtype()));
        } else {
            out.add(lastState(c, e.yh, x, units));
        }
        if (c.config().bool("return_state", false)) {
            out.add(lastState(c, e.yh, x, units));
            if (e.yc != null) out.add(lastState(c, e.yc, x, units));
        }
        return out;
    }

    /** The node's outputs: Y (T, dirs, N, u), Y_h (dirs, N, u), and Y_c for LSTM. */
    record Emitted(String y, String yh, String yc) {}

    /** Emits one RNN/LSTM/GRU node; {@code perDirection} holds each direction's Keras weights. */
    Emitted emit(LayerContext c, KTensor x, List<List<Weight>> perDirection, String direction) {
        if (x.rank() != 3) throw c.error("expects a (batch, time, features) input, got " + x);
        long units = units(c);
        long in = x.channels();
        int dirs = perDirection.size();
        int g = gates;
        float[][] w = new float[dirs][];
        float[][] r = new float[dirs][];
        float[][] b = new float[dirs][];
        for (int d = 0; d < dirs; d++) {
            List<Weight> ws = perDirection.get(d);
            Weight kernel = check(c, ws, 0, "kernel", in, g * units);
            Weight rec = check(c, ws, 1, "recurrent_kernel", units, g * units);
            w[d] = WeightOps.reorderBlocks(WeightOps.permute(kernel.data(), kernel.shape(), 1, 0), g, gateOrder);
            r[d] = WeightOps.reorderBlocks(WeightOps.permute(rec.data(), rec.shape(), 1, 0), g, gateOrder);
            b[d] = bias(c, ws, (int) units);
        }
        // (N, T, F) → (T, N, F); a channels-first rank-3 value is (N, F, T).
        String seq = x.channelsFirst() ? c.g().transpose(x.name(), 2, 0, 1) : c.g().transpose(x.name(), 1, 0, 2);
        List<String> inputs = List.of(seq,
                c.g().constant("W", WeightOps.concat(w), dirs, g * units, in),
                c.g().constant("R", WeightOps.concat(r), dirs, g * units, units),
                c.g().constant("B", WeightOps.concat(b), dirs, 2L * g * units));
        List<Attribute> attrs = new ArrayList<>();
        attrs.add(Attribute.of("hidden_size", units));
        attrs.add(Attribute.of("direction", direction));
        addActivations(c, attrs, dirs);
        if (onnxOp.equals("GRU")) attrs.add(Attribute.of("linear_before_reset", resetAfter(c, perDirection.get(0), units) ? 1L : 0L));
        int outputs = onnxOp.equals("LSTM") ? 3 : 2;
        List<String> outs = c.g().nodeOutputs(onnxOp, inputs, outputs, attrs.toArray(new Attribute[0]));
        return new Emitted(outs.get(0), outs.get(1), outputs == 3 ? outs.get(2) : null);
    }

    private static Weight check(LayerContext c, List<Weight> ws, int i, String role, long... shape) {
        if (i >= ws.size()) throw c.error("missing weight '" + role + "'; found " + ws);
        Weight w = ws.get(i);
        if (w.rank() != shape.length || w.dim(0) != shape[0] || w.dim(1) != shape[1]) {
            throw c.error("weight '" + role + "' (" + w.name() + ") has shape " + java.util.Arrays.toString(w.shape())
                    + ", the config implies " + java.util.Arrays.toString(shape));
        }
        return w;
    }

    /** GRU reset_after: from the config, or (old files without the key) from the bias having two rows. */
    private static boolean resetAfter(LayerContext c, List<Weight> ws, long units) {
        if (c.config().has("reset_after")) return c.config().bool("reset_after", false);
        return ws.size() > 2 && ws.get(2).data().length == 2 * 3 * units;
    }

    /** ONNX B for one direction: [Wb (gates*u), Rb (gates*u)]. */
    private float[] bias(LayerContext c, List<Weight> ws, int units) {
        int n = gates * units;
        if (!c.config().bool("use_bias", true)) return new float[2 * n];
        if (ws.size() < 3) throw c.error("missing weight 'bias'; found " + ws);
        Weight b = ws.get(2);
        if (b.data().length == 2 * n && onnxOp.equals("GRU")) {
            // reset_after: (2, 3u) = input bias, recurrent bias; each in z, r, h order.
            float[] wb = java.util.Arrays.copyOfRange(b.data(), 0, n);
            float[] rb = java.util.Arrays.copyOfRange(b.data(), n, 2 * n);
            return WeightOps.concat(WeightOps.reorderBlocks(wb, gates, gateOrder), WeightOps.reorderBlocks(rb, gates, gateOrder));
        }
        if (b.data().length != n) throw c.error("weight 'bias' (" + b.name() + ") has " + b.data().length + " values, expected " + n);
        return WeightOps.concat(WeightOps.reorderBlocks(b.data(), gates, gateOrder), new float[n]);
    }

    private void addActivations(LayerContext c, List<Attribute> attrs, int dirs) {
        List<String> names = new ArrayList<>();
        List<Float> alphas = new ArrayList<>();
        List<Float> betas = new ArrayList<>();
        String act = c.config().has("activation") ? Activations.name(c, "activation") : "tanh";
        // ONNX's per-direction functions: RNN f; GRU f (gates), g (candidate); LSTM f, g, h (cell output).
        List<String> keras = switch (onnxOp) {
            case "RNN" -> List.of(act);
            case "GRU" -> List.of(recurrentActivation(c), act);
            default -> List.of(recurrentActivation(c), act, act);
        };
        for (int d = 0; d < dirs; d++) {
            for (String k : keras) names.add(onnxActivation(c, k, alphas, betas));
        }
        attrs.add(Attribute.ofStrings("activations", names));
        if (!alphas.isEmpty()) attrs.add(Attribute.of("activation_alpha", toArray(alphas)));
        if (!betas.isEmpty()) attrs.add(Attribute.of("activation_beta", toArray(betas)));
    }

    private static String recurrentActivation(LayerContext c) {
        return c.config().has("recurrent_activation") ? Activations.name(c, "recurrent_activation") : "sigmoid";
    }

    private static String onnxActivation(LayerContext c, String keras, List<Float> alphas, List<Float> betas) {
        return switch (keras) {
            case "tanh" -> "Tanh";
            case "sigmoid" -> "Sigmoid";
            case "relu" -> "Relu";
            case "softsign" -> "Softsign";
            case "softplus" -> "Softplus";
            case "elu" -> {
                alphas.add(1f);
                yield "Elu";
            }
            case "linear" -> {
                alphas.add(1f);
                betas.add(0f);
                yield "Affine";
            }
            case "hard_sigmoid" -> {
                alphas.add(c.kerasMajor() >= 3 ? 1f / 6f : 0.2f);
                betas.add(0.5f);
                yield "HardSigmoid";
            }
            default -> throw c.unsupported("activation '" + keras + "' inside a recurrent layer (supported: tanh, sigmoid,"
                    + " hard_sigmoid, relu, elu, softsign, softplus, linear)");
        };
    }

    private static float[] toArray(List<Float> l) {
        float[] r = new float[l.size()];
        for (int i = 0; i < r.length; i++) r[i] = l.get(i);
        return r;
    }

    static long units(LayerContext c) {
        return c.config().integer("units");
    }

    /** A (1, N, u) state → (N, u). */
    static KTensor lastState(LayerContext c, String state, KTensor x, long units) {
        String s = c.g().node("Squeeze", List.of(state, c.g().int64s("axes", 0)));
        return KTensor.channelsLast(s, new long[] {x.dim(0), units}, x.dtype());
    }

    /** Reverses axis 0 (time) of a time-major value. */
    static String reverseTime(LayerContext c, String y) {
        return c.g().node("Slice", List.of(y, c.g().int64s("starts", -1), c.g().int64s("ends", Long.MIN_VALUE),
                c.g().int64s("axes", 0), c.g().int64s("steps", -1)));
    }

    static void checkOptions(LayerContext c) {
        if (c.config().bool("stateful", false)) throw c.unsupported("stateful=True keeps state between calls; export a stateless model");
        if (c.config().bool("time_major", false)) throw c.unsupported("time_major=True is not supported");
    }
}
