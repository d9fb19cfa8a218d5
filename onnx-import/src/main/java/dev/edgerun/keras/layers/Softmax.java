package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/** Keras {@code Softmax} layer over one Keras axis (default -1), wherever the layout put it. */
public final class Softmax implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        Object a = c.config().raw("axis");
        long axis = a instanceof List<?> l && l.size() == 1 ? ((Number) l.get(0)).longValue() : c.config().integer("axis", -1);
        String y = c.g().node("Softmax", List.of(x.name()), Attribute.of("axis", (long) x.irAxis((int) axis)));
        return List.of(x.derive(y, x.shape()));
    }
}
