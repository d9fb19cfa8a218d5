package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/** Keras {@code UnitNormalization}: x / sqrt(max(sum(x^2), 1e-12)) over the given Keras axes (default -1). */
public final class UnitNormalization implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        Object a = c.config().raw("axis");
        long[] kerasAxes = a == null ? new long[] {-1} : c.config().ints("axis", 0);
        long[] axes = new long[kerasAxes.length];
        for (int i = 0; i < axes.length; i++) axes[i] = x.irAxis((int) kerasAxes[i]);
        String sq = c.g().node("ReduceSumSquare", List.of(x.name()), Attribute.of("axes", axes), Attribute.of("keepdims", 1L));
        String norm = c.g().node("Sqrt", List.of(c.g().node("Max", List.of(sq, c.g().scalar("epsilon", 1e-12f)))));
        return List.of(x.derive(c.g().node("Div", List.of(x.name(), norm)), x.shape()));
    }
}
