package dev.edgerun.keras.layers;

import dev.edgerun.keras.Config;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.KerasLayer;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.keras.Weight;
import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras {@code Bidirectional} around SimpleRNN, LSTM or GRU: one ONNX node with
 * {@code direction=bidirectional}. The weights are the forward layer's, then the backward layer's.
 * ONNX already returns the backward sequence in input time order, which is what Keras' merge
 * sees (Keras flips the backward output back before merging).
 */
public final class Bidirectional implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        Config innerEntry = c.config().object("layer");
        KerasLayer inner = KerasLayer.of(innerEntry, c.layer().where());
        List<Weight> all = c.weights();
        if (all.size() % 2 != 0) throw c.error("expected forward and backward weights, found " + all);
        List<Weight> fw = all.subList(0, all.size() / 2);
        List<Weight> bw = all.subList(all.size() / 2, all.size());
        KTensor x = c.input();
        Recurrent rnn = switch (inner.className()) {
            case "LSTM" -> Recurrent.lstm();
            case "GRU" -> Recurrent.gru();
            case "SimpleRNN" -> Recurrent.simpleRnn();
            case "ConvLSTM2D" -> null;
            default -> throw c.unsupported("wrapped layer " + inner.className() + " (only SimpleRNN, LSTM, GRU and ConvLSTM2D)");
        };
        KerasLayer backward = c.config().has("backward_layer")
                ? KerasLayer.of(c.config().object("backward_layer"), c.layer().where()) : null;
        // one bidirectional ONNX node needs both directions alike; a differing backward layer runs on its own
        boolean alike = backward == null || sameCell(inner, backward);
        if (rnn == null || !alike) return twoPasses(c, inner, backward, x, fw, bw);
        LayerContext ic = c.inner(inner, List.of(x), fw);
        Recurrent.checkOptions(ic);
        Recurrent.Emitted e = rnn.emit(ic, x, List.of(fw, bw), "bidirectional");
        long u = Recurrent.units(ic);
        String merge = c.config().raw("merge_mode") == null ? "none" : c.config().string("merge_mode");
        boolean sequences = ic.config().bool("return_sequences", false);
        List<KTensor> out = new ArrayList<>();
        if (sequences) {
            // Y (T, 2, N, u) → (N, T, 2, u): direction is axis 2
            String y = c.g().transpose(e.y(), 2, 0, 1, 3);
            out.addAll(merge(c, y, 2, new long[] {x.dim(0), x.dim(1)}, u, merge, x));
        } else {
            // Y_h (2, N, u) → (N, 2, u): direction is axis 1
            String y = c.g().transpose(e.yh(), 1, 0, 2);
            out.addAll(merge(c, y, 1, new long[] {x.dim(0)}, u, merge, x));
        }
        if (ic.config().bool("return_state", false)) {
            for (String state : e.yc() == null ? List.of(e.yh()) : List.of(e.yh(), e.yc())) {
                out.add(direction(c, state, 0, x, u));
            }
            for (String state : e.yc() == null ? List.of(e.yh()) : List.of(e.yh(), e.yc())) {
                out.add(direction(c, state, 1, x, u));
            }
        }
        return out;
    }

    private static List<KTensor> merge(LayerContext c, String y, int dirAxis, long[] lead, long u, String mode, KTensor x) {
        long[] shape = java.util.Arrays.copyOf(lead, lead.length + 1);
        String r;
        switch (mode) {
            case "concat" -> {
                long[] target = new long[lead.length + 1];
                target[lead.length] = 2 * u; // zeros copy the leading dims
                r = c.g().reshape(y, target);
                shape[lead.length] = 2 * u;
            }
            case "sum", "ave", "mul" -> {
                String op = mode.equals("sum") ? "ReduceSum" : mode.equals("ave") ? "ReduceMean" : "ReduceProd";
                r = op.equals("ReduceSum")
                        ? c.g().node(op, List.of(y, c.g().int64s("axes", dirAxis)), Attribute.of("keepdims", 0L))
                        : c.g().node(op, List.of(y), Attribute.of("axes", new long[] {dirAxis}), Attribute.of("keepdims", 0L));
                shape[lead.length] = u;
            }
            case "none" -> {
                List<KTensor> both = new ArrayList<>();
                for (int d = 0; d < 2; d++) {
                    String g = c.g().node("Gather", List.of(y, c.g().scalarIndex(d)),
                            Attribute.of("axis", (long) dirAxis));
                    shape[lead.length] = u;
                    both.add(KTensor.channelsLast(g, shape, x.dtype()));
                }
                return both;
            }
            default -> throw c.error("merge_mode '" + mode + "' is not concat, sum, ave, mul or None");
        }
        return List.of(KTensor.channelsLast(r, shape, x.dtype()));
    }

    /**
     * Any other recurrent layer: a forward pass and a go_backwards pass, the backward sequence
     * flipped back to input time order, then merged along the last Keras axis, as Keras does.
     */
    private static List<KTensor> twoPasses(LayerContext c, KerasLayer inner, KerasLayer backward, KTensor x,
                                           List<Weight> fw, List<Weight> bw) {
        boolean back = inner.config().bool("go_backwards", false);
        KerasLayer f = new KerasLayer(inner.className(), inner.name() + "_forward", inner.config().with("go_backwards", back),
                inner.entry());
        KerasLayer bwLayer = backward == null ? inner : backward;
        KerasLayer b = new KerasLayer(bwLayer.className(), bwLayer.name() + "_backward",
                bwLayer.config().with("go_backwards", !back), bwLayer.entry());
        KTensor y = c.convertInner(f, List.of(x), fw).get(0);
        KTensor r = c.convertInner(b, List.of(x), bw).get(0);
        if (inner.config().bool("return_state", false)) throw c.unsupported("return_state on a wrapped " + inner.className());
        if (inner.config().bool("return_sequences", false)) {
            String rl = c.g().channelsLast(r);
            String flipped = c.g().node("Slice", List.of(rl, c.g().int64s("starts", -1), c.g().int64s("ends", Long.MIN_VALUE),
                    c.g().int64s("axes", 1), c.g().int64s("steps", -1)));
            r = KTensor.channelsLast(flipped, r.shape(), r.dtype());
        }
        List<KTensor> both = Merge.sameLayout(c, List.of(y, r));
        y = both.get(0);
        r = both.get(1);
        String mode = c.config().raw("merge_mode") == null ? "none" : c.config().string("merge_mode");
        return switch (mode) {
            case "concat" -> {
                long[] shape = y.shape();
                shape[shape.length - 1] = y.channels() < 0 ? -1 : 2 * y.channels();
                yield List.of(y.derive(c.g().node("Concat", List.of(y.name(), r.name()),
                        Attribute.of("axis", (long) y.irAxis(-1))), shape));
            }
            case "sum" -> List.of(y.derive(c.g().node("Add", List.of(y.name(), r.name())), y.shape()));
            case "mul" -> List.of(y.derive(c.g().node("Mul", List.of(y.name(), r.name())), y.shape()));
            case "ave" -> List.of(y.derive(c.g().node("Mean", List.of(y.name(), r.name())), y.shape()));
            case "none" -> List.of(y, r);
            default -> throw c.error("merge_mode '" + mode + "' is not concat, sum, ave, mul or None");
        };
    }

    /** Whether the backward layer's cell is configured as the forward one (so one ONNX node can run both). */
    private static boolean sameCell(KerasLayer a, KerasLayer b) {
        if (!a.className().equals(b.className())) return false;
        for (String key : List.of("units", "activation", "recurrent_activation", "use_bias", "reset_after", "return_sequences")) {
            if (!java.util.Objects.equals(a.config().raw(key), b.config().raw(key))) return false;
        }
        return true;
    }

    /** Direction {@code d} of a (2, N, u) state. */
    private static KTensor direction(LayerContext c, String state, int d, KTensor x, long u) {
        String s = c.g().node("Gather", List.of(state, c.g().scalarIndex(d)), Attribute.of("axis", 0L));
        return KTensor.channelsLast(s, new long[] {x.dim(0), u}, x.dtype());
    }
}
