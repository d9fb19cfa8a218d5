package dev.edgerun.keras;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the IR graph of an imported Keras model: unique value names, nodes named after the Keras
 * layer they come from, float and int64 initializers, and the channels-last/channels-first
 * transposes (made once per value and reused, see {@link KTensor}).
 *
 * <p>The initializer tensors are owned by the emitter until {@link #takeTensors()} hands them to
 * the model.
 */
public final class GraphEmitter {
    private final Graph.Builder graph;
    private final Set<String> used = new HashSet<>();
    // "value|to-last" / "value|to-first" → the transposed value (one value name may be seen in both
    // layouts when ChannelsFirst re-labels it)
    private final Map<String, String> otherLayout = new HashMap<>();
    private final Map<String, String> int64Constants = new HashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private String scope = "";

    GraphEmitter(String name) {
        graph = Graph.builder(name);
    }

    /** Names the nodes and values that follow after this Keras layer. */
    void scope(String layerName) {
        scope = layerName;
    }

    /** A value name not used before, prefixed with the current layer's name. */
    public String unique(String hint) {
        String base = scope.isEmpty() ? hint : scope + "/" + hint;
        String n = base;
        for (int i = 1; !used.add(n); i++) n = base + "_" + i;
        return n;
    }

    /** Claims an exact name (graph inputs and outputs keep the Keras names). */
    String claim(String name) {
        if (!used.add(name)) return unique(name);
        return name;
    }

    // ------------------------------------------------------------------ constants

    /** A float32 initializer. */
    public String constant(String hint, float[] data, long... dims) {
        String n = unique(hint);
        Tensor t = Tensor.of(data, dims);
        tensors.add(t);
        graph.initializer(n, t);
        return n;
    }

    /** A float32 scalar initializer. */
    public String scalar(String hint, float v) {
        return constant(hint, new float[] {v});
    }

    /** A 1-D int64 initializer (shapes, axes, pads); identical ones are shared. */
    public String int64s(String hint, long... values) {
        String key = Arrays.toString(values);
        String known = int64Constants.get(key);
        if (known != null) return known;
        String n = unique(hint);
        Tensor t = Tensor.of(values, values.length);
        tensors.add(t);
        graph.initializer(n, t);
        int64Constants.put(key, n);
        return n;
    }

    /** A rank-0 int64 initializer (a Gather index that drops the axis). */
    public String scalarIndex(long v) {
        String key = "scalar:" + v;
        String known = int64Constants.get(key);
        if (known != null) return known;
        String n = unique("index");
        Tensor t = Tensor.scalar(v);
        tensors.add(t);
        graph.initializer(n, t);
        int64Constants.put(key, n);
        return n;
    }

    // ------------------------------------------------------------------ nodes

    /** Adds a node with one output, named after {@code op}; returns the output's name. */
    public String node(String op, List<String> inputs, Attribute... attrs) {
        return nodeOutputs(op, inputs, 1, attrs).get(0);
    }

    /** Adds a node with {@code outputs} outputs; returns their names. */
    public List<String> nodeOutputs(String op, List<String> inputs, int outputs, Attribute... attrs) {
        String out0 = unique(op);
        List<String> outs = new ArrayList<>();
        outs.add(out0);
        for (int i = 1; i < outputs; i++) outs.add(unique(op + "_out" + i));
        Node.Builder b = Node.builder(op).name(out0).inputs(inputs).outputs(outs);
        for (Attribute a : attrs) b.attribute(a);
        graph.node(b.build());
        return outs;
    }

    /** Adds a node writing to an exact output name (used for the graph's outputs). */
    void nodeTo(String op, List<String> inputs, String output, Attribute... attrs) {
        Node.Builder b = Node.builder(op).name(unique(op)).inputs(inputs).outputs(output);
        for (Attribute a : attrs) b.attribute(a);
        graph.node(b.build());
    }

    public String transpose(String x, long... perm) {
        return node("Transpose", List.of(x), Attribute.of("perm", perm));
    }

    /** Reshape to {@code shape} (ONNX rules: 0 copies the input dimension, -1 is inferred). */
    public String reshape(String x, long... shape) {
        return node("Reshape", List.of(x, int64s("shape", shape)));
    }

    // ------------------------------------------------------------------ layout

    /** {@code t} as a channels-last IR value, transposing (once) if needed. */
    public String channelsLast(KTensor t) {
        if (!t.channelsFirst()) return t.name();
        return otherLayout.computeIfAbsent(t.name() + "|to-last", k -> transpose(t.name(), toChannelsLast(t.rank())));
    }

    /** {@code t} as a channels-first IR value, transposing (once) if needed. */
    public String channelsFirst(KTensor t) {
        if (t.channelsFirst() || t.rank() <= 2) return t.name();
        return otherLayout.computeIfAbsent(t.name() + "|to-first", k -> transpose(t.name(), toChannelsFirst(t.rank())));
    }

    /** {@code t} in the given layout. */
    public KTensor inLayout(KTensor t, KTensor.Layout layout) {
        if (t.layout() == layout || t.rank() <= 2) return t;
        String n = layout == KTensor.Layout.CHANNELS_FIRST ? channelsFirst(t) : channelsLast(t);
        return new KTensor(n, layout, t.shape(), t.dtype());
    }

    /** Permutation N,C,D1..Dk → N,D1..Dk,C. */
    public static long[] toChannelsLast(int rank) {
        long[] p = new long[rank];
        for (int i = 1; i < rank - 1; i++) p[i] = i + 1;
        p[rank - 1] = 1;
        return p;
    }

    /** Permutation N,D1..Dk,C → N,C,D1..Dk. */
    public static long[] toChannelsFirst(int rank) {
        long[] p = new long[rank];
        p[1] = rank - 1;
        for (int i = 2; i < rank; i++) p[i] = i - 1;
        return p;
    }

    /**
     * A per-channel float constant shaped to broadcast against {@code like} in its IR layout:
     * {@code [C]} for channels-last, {@code [C, 1, ..., 1]} for channels-first.
     */
    public String channelConstant(String hint, float[] values, KTensor like) {
        if (!like.channelsFirst()) return constant(hint, values, values.length);
        long[] dims = new long[like.rank() - 1];
        Arrays.fill(dims, 1);
        dims[0] = values.length;
        return constant(hint, values, dims);
    }

    // ------------------------------------------------------------------ graph

    void input(Value v) {
        graph.input(v);
    }

    void output(Value v) {
        graph.output(v);
    }

    Graph build() {
        return graph.build();
    }

    /** Hands the initializer tensors to the caller, who closes them. */
    List<Tensor> takeTensors() {
        List<Tensor> r = List.copyOf(tensors);
        tensors.clear();
        return r;
    }

    /** Closes the initializer tensors (after a failed import). */
    void closeTensors() {
        for (Tensor t : tensors) t.close();
        tensors.clear();
    }
}
