package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/** Keras {@code Concatenate} along a Keras axis, mapped to the IR layout's axis. */
public final class Concatenate implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        List<KTensor> xs = Merge.sameLayout(c, c.inputs());
        KTensor first = xs.get(0);
        int r = first.rank();
        long axis = c.config().integer("axis", -1);
        int a = (int) (axis < 0 ? axis + r : axis);
        if (a <= 0 || a >= r) throw c.error("axis " + axis + " out of range for rank " + r);
        List<String> names = new ArrayList<>();
        long[] shape = first.shape();
        shape[a] = 0;
        for (KTensor x : xs) {
            if (x.rank() != r) throw c.error("inputs have different ranks: " + xs);
            names.add(x.name());
            shape[a] = shape[a] < 0 || x.dim(a) < 0 ? -1 : shape[a] + x.dim(a);
        }
        String y = c.g().node("Concat", names, Attribute.of("axis", (long) first.irAxis(a)));
        return List.of(first.derive(y, shape));
    }
}
