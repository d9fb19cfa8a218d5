package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Activation;
import dev.edgerun.finetune.nn.Dense;
import dev.edgerun.finetune.nn.Layer;
import dev.edgerun.finetune.nn.Reshape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The new classifier head: {@code linear} or {@code mlp:H} (one hidden layer of H units with Relu). */
public record Head(int hidden) {

    public static Head parse(String spec) {
        if (spec.equals("linear")) return new Head(0);
        if (spec.startsWith("mlp:")) {
            int h;
            try {
                h = Integer.parseInt(spec.substring(4));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--head " + spec + ": expected mlp:H with a number of hidden units");
            }
            if (h <= 0) throw new IllegalArgumentException("--head " + spec + ": hidden units must be > 0");
            return new Head(h);
        }
        throw new IllegalArgumentException("unknown head '" + spec + "'; expected linear or mlp:H (such as mlp:128)");
    }

    /** Layers from a feature of shape {@code in} (flattened first when it is not a vector) to {@code classes} logits. */
    public List<Layer> layers(int[] in, int classes, Random rng) {
        List<Layer> l = new ArrayList<>();
        if (in.length != 1) l.add(Reshape.flatten());
        int features = 1;
        for (int d : in) features *= d;
        if (hidden > 0) {
            l.add(Dense.init("head.hidden", features, hidden, rng));
            l.add(Activation.relu());
            features = hidden;
        }
        Dense out = Dense.init("head.out", features, classes, rng);
        // a small output layer starts the softmax near uniform
        java.util.List<dev.edgerun.finetune.nn.Param> p = out.params();
        for (int i = 0; i < p.get(0).value.length; i++) p.get(0).value[i] *= 0.1f;
        l.add(out);
        return l;
    }

    @Override
    public String toString() {
        return hidden == 0 ? "linear" : "mlp:" + hidden;
    }
}
