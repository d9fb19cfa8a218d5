package dev.edgerun.keras.layers;

import dev.edgerun.keras.Activations;
import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code ReLU} layer: f(x) = x for x >= threshold, negative_slope * (x - threshold) below,
 * capped at max_value. The plain cases become Relu, Clip (ReLU6) and LeakyRelu.
 */
public final class ReLU implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        Object maxValue = c.config().raw("max_value");
        double slope = c.config().number("negative_slope", 0);
        double threshold = c.config().number("threshold", 0);
        String in = x.name();
        String y;
        if (threshold == 0 && slope == 0) {
            y = maxValue instanceof Number m ? Activations.clip(c.g(), in, 0f, m.floatValue()) : c.g().node("Relu", List.of(in));
        } else {
            // x >= t ? x : slope * (x - t)
            String t = c.g().scalar("threshold", (float) threshold);
            String below = c.g().node("Mul", List.of(c.g().node("Sub", List.of(in, t)), c.g().scalar("slope", (float) slope)));
            y = c.g().node("Where", List.of(c.g().node("GreaterOrEqual", List.of(in, t)), in, below));
            if (maxValue instanceof Number m) y = c.g().node("Min", List.of(y, c.g().scalar("max_value", m.floatValue())));
        }
        return List.of(x.derive(y, x.shape()));
    }

    static Attribute alpha(float a) {
        return Attribute.of("alpha", a);
    }
}
