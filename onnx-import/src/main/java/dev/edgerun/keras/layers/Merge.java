package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import java.util.ArrayList;
import java.util.List;

/**
 * Keras' element-wise merge layers {@code Add}, {@code Subtract}, {@code Multiply},
 * {@code Average}, {@code Maximum}, {@code Minimum}. The inputs are brought to one layout
 * (channels-first only when all of them already are).
 */
public final class Merge implements LayerConverter {
    private final String op;

    private Merge(String op) {
        this.op = op;
    }

    public static Merge add() { return new Merge("Add"); }
    public static Merge subtract() { return new Merge("Sub"); }
    public static Merge multiply() { return new Merge("Mul"); }
    public static Merge average() { return new Merge("Mean"); }
    public static Merge maximum() { return new Merge("Max"); }
    public static Merge minimum() { return new Merge("Min"); }

    @Override
    public List<KTensor> convert(LayerContext c) {
        List<KTensor> xs = sameLayout(c, c.inputs());
        if (xs.size() < 2) throw c.error("needs at least two inputs, got " + xs.size());
        if (op.equals("Sub") && xs.size() != 2) throw c.error("Subtract needs exactly two inputs, got " + xs.size());
        List<String> names = new ArrayList<>();
        for (KTensor x : xs) names.add(x.name());
        String y;
        if (op.equals("Add") || op.equals("Mul") || op.equals("Sub")) {
            y = names.get(0);
            for (int i = 1; i < names.size(); i++) y = c.g().node(op, List.of(y, names.get(i)));
        } else {
            y = c.g().node(op, names);
        }
        return List.of(xs.get(0).derive(y, broadcastShape(xs)));
    }

    /** The inputs in one layout: channels-first only if every input of rank > 2 already is and ranks agree. */
    static List<KTensor> sameLayout(LayerContext c, List<KTensor> xs) {
        boolean allFirst = true;
        for (KTensor x : xs) allFirst &= x.channelsFirst() && x.rank() == xs.get(0).rank();
        KTensor.Layout layout = allFirst ? KTensor.Layout.CHANNELS_FIRST : KTensor.Layout.CHANNELS_LAST;
        List<KTensor> r = new ArrayList<>();
        for (KTensor x : xs) r.add(c.g().inLayout(x, layout));
        return r;
    }

    private static long[] broadcastShape(List<KTensor> xs) {
        long[] s = xs.get(0).shape();
        for (KTensor x : xs) {
            for (int i = 1; i <= Math.min(s.length, x.rank()); i++) {
                long d = x.dim(-i);
                long cur = s[s.length - i];
                if (cur == 1 || cur < 0 && d > 1) s[s.length - i] = d;
            }
        }
        return s;
    }
}
