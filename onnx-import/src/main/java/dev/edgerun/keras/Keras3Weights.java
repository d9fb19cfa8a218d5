package dev.edgerun.keras;

import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Weights of a Keras 3 {@code .keras} archive ({@code model.weights.h5}). Keras 3 stores a model's
 * layers under {@code layers/<key>}, where the key is the snake-cased class name plus a counter in
 * container order ({@code conv2d}, {@code conv2d_1}, ...), not the layer's name. Each object's own
 * variables are datasets {@code vars/0, vars/1, ...}; sub-objects (an RNN's {@code cell}, a
 * Bidirectional's {@code forward_layer}/{@code backward_layer}, a nested model's {@code layers})
 * are groups beside {@code vars}.
 */
final class Keras3Weights implements WeightStore {
    /** Sub-objects in the order Keras lists their variables in {@code layer.weights}. */
    private static final List<String> CHILD_ORDER = List.of(
            "cell", "forward_layer", "backward_layer", "layer",
            "_query_dense", "query_dense", "_key_dense", "key_dense", "_value_dense", "value_dense",
            "_output_dense", "output_dense");

    private final Hdf5 h5;

    Keras3Weights(Hdf5 h5) {
        this.h5 = h5;
    }

    /** A model's layers group and the key of each of its layers. */
    private record Keras3Scope(String path, Map<String, String> keys) implements Scope {}

    @Override
    public Scope root(List<KerasLayer> layers) {
        return scope("layers", layers);
    }

    @Override
    public Scope nested(Scope parent, KerasLayer model, List<KerasLayer> layers) {
        Keras3Scope p = (Keras3Scope) parent;
        return scope(p.path + "/" + p.keys.get(model.name()) + "/layers", layers);
    }

    private Scope scope(String path, List<KerasLayer> layers) {
        Map<String, Integer> used = new HashMap<>();
        Map<String, String> keys = new HashMap<>();
        for (KerasLayer l : layers) {
            String base = snakeCase(className(l));
            int n = used.merge(base, 1, Integer::sum) - 1;
            keys.put(l.name(), n == 0 ? base : base + "_" + n);
        }
        return new Keras3Scope(path, keys);
    }

    /** Keras 3 names a nested Functional model by its class, also when the config says "Model". */
    private static String className(KerasLayer l) {
        return l.className().equals("Model") ? "Functional" : l.className();
    }

    @Override
    public List<Weight> weights(Scope scope, KerasLayer layer) {
        Keras3Scope s = (Keras3Scope) scope;
        Group g = locate(s, layer);
        List<Weight> out = new ArrayList<>();
        if (g != null) collect(g, out);
        return out;
    }

    /** The layer's group: by the computed key, or else by the {@code vars} group's {@code name} attribute. */
    private Group locate(Keras3Scope s, KerasLayer layer) {
        Node byKey = h5.find(s.path + "/" + s.keys.get(layer.name()));
        if (byKey instanceof Group g && namedOrUnnamed(g, layer.name())) return g;
        if (h5.find(s.path) instanceof Group all) {
            for (String child : h5.children(all)) {
                if (h5.find(s.path + "/" + child + "/vars") instanceof Group vars
                        && layer.name().equals(h5.attribute(vars, "name"))) {
                    return (Group) h5.find(s.path + "/" + child);
                }
            }
        }
        return byKey instanceof Group g ? g : null;
    }

    private boolean namedOrUnnamed(Group g, String name) {
        Node vars = h5.find(g.getPath() + "/vars");
        Object n = vars == null ? null : h5.attribute(vars, "name");
        return n == null || name.equals(n);
    }

    private void collect(Group g, List<Weight> out) {
        String base = g.getPath();
        if (h5.find(base + "/vars") instanceof Group vars) {
            List<String> names = h5.children(vars);
            names.sort(Comparator.comparingInt(Keras3Weights::index));
            for (String n : names) out.add(h5.weight(h5.find(base + "/vars/" + n), base + "/vars/" + n));
        }
        List<String> children = h5.children(g);
        children.remove("vars");
        children.remove("layers"); // a nested model's layers are read through its own scope
        children.removeIf(c -> c.contains("seed_generator")); // random-number state (dropout), not weights
        children.sort(Comparator.comparingInt((String c) -> {
            int i = CHILD_ORDER.indexOf(c);
            return i < 0 ? CHILD_ORDER.size() : i;
        }).thenComparing(c -> c));
        for (String c : children) {
            if (h5.find(base + "/" + c) instanceof Group child) collect(child, out);
        }
    }

    private static int index(String varName) {
        try {
            return Integer.parseInt(varName);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    /** Keras 3's {@code naming.to_snake_case}. */
    static String snakeCase(String name) {
        String s = name.replaceAll("\\W+", "");
        s = s.replaceAll("(.)([A-Z][a-z]+)", "$1_$2");
        s = s.replaceAll("([a-z])([A-Z])", "$1_$2");
        return s.toLowerCase(java.util.Locale.ROOT);
    }
}
