package dev.edgerun.keras;

import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Weights of a Keras HDF5 file (tf.keras 2, and Keras 3's legacy {@code .h5} writer): group
 * {@code model_weights/<layer name>} lists its datasets, in {@code layer.weights} order, in the
 * attribute {@code weight_names} ({@code dense/kernel:0}, {@code bidirectional/forward_lstm/lstm_cell/kernel:0}),
 * each a path relative to that group. A nested model is one such group holding the weights of all
 * its layers; they are told apart by the inner layer's name appearing as a path component.
 */
final class LegacyH5Weights implements WeightStore {
    private final Hdf5 h5;
    private final String root;

    LegacyH5Weights(Hdf5 h5, String root) {
        this.h5 = h5;
        this.root = root;
    }

    /** A top-level scope (no group) or a nested model's group and the weight names it holds. */
    private record LegacyScope(String group, List<String> names) implements Scope {}

    @Override
    public Scope root(List<KerasLayer> layers) {
        return new LegacyScope(null, List.of());
    }

    @Override
    public Scope nested(Scope parent, KerasLayer model, List<KerasLayer> layers) {
        LegacyScope p = (LegacyScope) parent;
        String group = p.group == null ? root + "/" + model.name() : p.group;
        List<String> names = p.group == null ? weightNames(group) : ownedBy(p.names, model.name());
        return new LegacyScope(group, names);
    }

    @Override
    public List<Weight> weights(Scope scope, KerasLayer layer) {
        LegacyScope s = (LegacyScope) scope;
        String group = s.group == null ? root + "/" + layer.name() : s.group;
        List<String> names = s.group == null ? weightNames(group) : ownedBy(s.names, layer.name());
        List<Weight> out = new ArrayList<>();
        for (String n : names) {
            Node ds = h5.find(group + "/" + n);
            if (ds == null) {
                throw new dev.edgerun.runtime.ModelFormatException(h5.where() + ": weight '" + n + "' of layer '"
                        + layer.name() + "' is listed in " + group + "@weight_names but missing from the file");
            }
            out.add(h5.weight(ds, n));
        }
        return out;
    }

    private List<String> weightNames(String group) {
        Node g = h5.find(group);
        return g instanceof Group ? h5.stringList(g, "weight_names") : List.of();
    }

    private static List<String> ownedBy(List<String> names, String layerName) {
        List<String> r = new ArrayList<>();
        for (String n : names) if (Arrays.asList(n.split("/")).contains(layerName)) r.add(n);
        return r;
    }
}
