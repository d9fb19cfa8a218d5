package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import java.util.List;

/** Collects the nodes and initializers that exported layers write, with unique names. */
public final class GraphSink {
    private final Graph.Builder graph;
    private final String prefix;
    private int counter;
    private final java.util.List<Tensor> created = new java.util.ArrayList<>();

    public GraphSink(Graph.Builder graph, String prefix) {
        this.graph = graph;
        this.prefix = prefix;
    }

    public String fresh(String base) {
        return prefix + base + "_" + counter++;
    }

    /** Adds a float initializer and returns its name. */
    public String constant(String base, float[] values, long... dims) {
        String n = fresh(base);
        Tensor t = Tensor.of(values.clone(), dims);
        created.add(t);
        graph.initializer(n, t);
        return n;
    }

    public String constantLongs(String base, long[] values) {
        String n = fresh(base);
        Tensor t = Tensor.of(values.clone(), values.length);
        created.add(t);
        graph.initializer(n, t);
        return n;
    }

    /** The initializers this sink created; the model that holds them closes them. */
    public AutoCloseable owner() {
        return () -> created.forEach(Tensor::close);
    }

    /** Adds a node with one output and returns that output's name. */
    public String node(String opType, List<String> inputs, Attribute... attributes) {
        String out = fresh(opType.toLowerCase(java.util.Locale.ROOT));
        Node.Builder b = Node.builder(opType).name(out + "_node").inputs(inputs).outputs(out);
        for (Attribute a : attributes) b.attribute(a);
        graph.node(b.build());
        return out;
    }
}
