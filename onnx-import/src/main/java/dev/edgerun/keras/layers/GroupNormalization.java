package dev.edgerun.keras.layers;

import dev.edgerun.keras.KTensor;
import dev.edgerun.keras.LayerContext;
import dev.edgerun.keras.LayerConverter;
import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras {@code GroupNormalization} over the last (channels) axis: channels are split into
 * {@code groups}; each sample's group is normalized over its spatial positions and channels
 * (mean and biased variance, epsilon inside the square root), then scaled by gamma and shifted by
 * beta per channel. Built from Reshape and ReduceMean, channels-last.
 */
public final class GroupNormalization implements LayerConverter {
    @Override
    public List<KTensor> convert(LayerContext c) {
        KTensor x = c.input();
        long axis = c.config().integer("axis", -1);
        if (axis != -1 && axis != x.rank() - 1) throw c.unsupported("axis " + axis + " (only the channels axis, -1)");
        long ch = x.channels();
        long groups = c.config().integer("groups", 32);
        if (ch < 0 || groups <= 0 || ch % groups != 0) throw c.error(ch + " channels do not split into " + groups + " groups");
        int r = x.rank();
        // (N, d1..dk, C) → (N, d1..dk, G, C/G); zeros copy the leading dimensions
        long[] grouped = new long[r + 1];
        grouped[r - 1] = groups;
        grouped[r] = ch / groups;
        long[] axes = new long[r - 1];
        for (int i = 1; i < r - 1; i++) axes[i - 1] = i;
        axes[r - 2] = r;
        String in = c.g().channelsLast(x);
        String g = c.g().reshape(in, grouped);
        String mean = c.g().node("ReduceMean", List.of(g), Attribute.of("axes", axes), Attribute.of("keepdims", 1L));
        String centered = c.g().node("Sub", List.of(g, mean));
        String var = c.g().node("ReduceMean", List.of(c.g().node("Mul", List.of(centered, centered))),
                Attribute.of("axes", axes), Attribute.of("keepdims", 1L));
        String std = c.g().node("Sqrt", List.of(c.g().node("Add", List.of(var,
                c.g().scalar("epsilon", (float) c.config().number("epsilon", 1e-3))))));
        long[] back = new long[r];
        back[r - 1] = ch;
        String y = c.g().reshape(c.g().node("Div", List.of(centered, std)), back);
        int i = 0;
        if (c.config().bool("scale", true)) y = c.g().node("Mul", List.of(y, c.g().constant("gamma", c.weight(i++, "gamma", ch).data(), ch)));
        if (c.config().bool("center", true)) y = c.g().node("Add", List.of(y, c.g().constant("beta", c.weight(i, "beta", ch).data(), ch)));
        return List.of(KTensor.channelsLast(y, x.shape(), x.dtype()));
    }
}
