package dev.edgerun.quant;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph under rewrite: the nodes emitted so far, the initializers (original and new), fresh
 * names, and the tensors created here, which the resulting model owns. Initializers no longer
 * read by any node are dropped when the model is built, so replaced float weights leave the file.
 */
final class Rewrite {
    private final Model original;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> initializers;
    private final Set<String> names = new HashSet<>();
    private final List<Tensor> owned = new ArrayList<>();
    private long minOpset;

    Rewrite(Model original) {
        this.original = original;
        Graph g = original.graph();
        initializers = new LinkedHashMap<>(g.initializers());
        for (Value v : g.inputs()) names.add(v.name());
        for (Value v : g.outputs()) names.add(v.name());
        names.addAll(initializers.keySet());
        for (Node n : g.nodes()) {
            names.addAll(n.inputs());
            names.addAll(n.outputs());
            names.add(n.name());
        }
    }

    Graph graph() {
        return original.graph();
    }

    /** A name not yet used in the graph, derived from {@code base}. */
    String fresh(String base) {
        String n = base;
        for (int i = 1; !names.add(n); i++) n = base + "_" + i;
        return n;
    }

    /** Adds a new initializer (owned by the result) under a fresh name derived from {@code base}. */
    String constant(String base, Tensor t) {
        String n = fresh(base);
        owned.add(t);
        initializers.put(n, t);
        return n;
    }

    /** Replaces the initializer {@code name} by {@code t} (owned by the result). */
    void replaceInitializer(String name, Tensor t) {
        owned.add(t);
        initializers.put(name, t);
    }

    /** Hands {@code t} (e.g. a node attribute) to the result, which closes it. */
    void own(Tensor t) {
        owned.add(t);
    }

    Tensor initializer(String name) {
        return initializers.get(name);
    }

    boolean isInitializer(String name) {
        return initializers.containsKey(name);
    }

    void emit(Node n) {
        nodes.add(n);
    }

    /**
     * Emits a node and returns its first output's (fresh) name. QuantizeLinear/DequantizeLinear
     * nodes, the most numerous, get short output names and no node name: in a large model their
     * names otherwise cost a few percent of an int8 file.
     */
    String emit(String opType, String nameBase, List<String> inputs, Node.Builder attributes) {
        Node.Builder b = attributes == null ? Node.builder(opType) : attributes;
        String out = switch (opType) {
            case "QuantizeLinear" -> fresh(nameBase + "_q");
            case "DequantizeLinear" -> fresh(nameBase + "_dq");
            default -> {
                b.name(fresh(nameBase + "_" + opType));
                yield fresh(nameBase + "_" + opType + "_out");
            }
        };
        emit(b.inputs(inputs).outputs(out).build());
        return out;
    }

    void requireOpset(long v) {
        minOpset = Math.max(minOpset, v);
    }

    /** The rewritten model; it owns the tensors created during the rewrite. */
    Model build(List<Value> inputs, List<Value> outputs, boolean keepValueInfo) {
        Set<String> used = new HashSet<>();
        for (Node n : nodes) used.addAll(n.inputs());
        for (Value v : outputs) used.add(v.name());
        Graph.Builder gb = Graph.builder(graph().name()).docString(graph().docString());
        nodes.forEach(gb::node);
        for (Value v : inputs) if (!initializers.containsKey(v.name()) || used.contains(v.name())) gb.input(v);
        outputs.forEach(gb::output);
        initializers.forEach((k, t) -> { if (used.contains(k)) gb.initializer(k, t); });
        if (keepValueInfo) graph().valueInfo().forEach(gb::valueInfo);
        Model.Builder mb = original.toBuilder().graph(gb.build());
        if (original.onnxOpset() < minOpset) mb.opset(minOpset);
        List<Tensor> mine = List.copyOf(owned);
        mb.owner(() -> mine.forEach(Tensor::close));
        return mb.build();
    }

    Model build() {
        return build(graph().inputs(), graph().outputs(), true);
    }
}
