package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph resolved once, whatever its input shapes: every value name numbered as a slot, every
 * node bound to its operator. Plans ({@link Planner}) are made from it per input signature.
 * Subgraphs (If/Loop/Scan bodies) are programs too; the names they read from enclosing graphs are
 * their {@link #captured} slots.
 */
final class GraphProgram {
    final Graph graph;
    final ExecEnv env;
    final Node[] nodes;
    final long[] opsets;          // per node: the opset of its domain
    final Operator[] operators;   // per node; null when the engine has none
    final int[][] nodeInputs;     // per node: slot per listed input, -1 when omitted
    final int[][] nodeOutputs;    // per node: slot per listed output (omitted outputs get slots of their own)
    final int[][] nodeCaptures;   // per node: slots its subgraph attributes read from this scope
    final boolean[] hasSubgraphs; // per node
    final Value[] inputs;         // graph inputs a caller feeds (initializers excluded)
    final int[] inputSlots;
    final String[] outputNames;
    final int[] outputSlots;
    final String[] captured;      // names read from enclosing scopes (subgraphs only)
    final int[] capturedSlots;
    final int[] initializerSlots;
    final Tensor[] initializerValues;
    final Map<String, Integer> slots = new HashMap<>();
    final List<String> slotNames = new ArrayList<>();

    GraphProgram(Graph graph, ExecEnv env, boolean subgraph) {
        this.graph = graph;
        this.env = env;
        List<Node> ns = graph.nodes();
        int n = ns.size();
        nodes = ns.toArray(new Node[0]);
        opsets = new long[n];
        operators = new Operator[n];
        nodeInputs = new int[n][];
        nodeOutputs = new int[n][];
        nodeCaptures = new int[n][];
        hasSubgraphs = new boolean[n];

        List<Value> required = graph.requiredInputs();
        inputs = required.toArray(new Value[0]);
        inputSlots = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) inputSlots[i] = define(inputs[i].name());
        initializerSlots = new int[graph.initializers().size()];
        initializerValues = new Tensor[initializerSlots.length];
        int k = 0;
        for (Map.Entry<String, Tensor> e : graph.initializers().entrySet()) {
            initializerSlots[k] = define(e.getKey());
            initializerValues[k++] = e.getValue();
        }

        Set<String> free = freeVariables(graph);
        if (!subgraph && !free.isEmpty()) {
            throw new ModelFormatException("graph '" + graph.name() + "' reads values no node, input or initializer defines: "
                    + free);
        }
        captured = free.toArray(new String[0]);
        capturedSlots = new int[captured.length];
        for (int i = 0; i < captured.length; i++) capturedSlots[i] = define(captured[i]);

        for (int j = 0; j < n; j++) bindNode(j);

        outputNames = new String[graph.outputs().size()];
        outputSlots = new int[outputNames.length];
        for (int i = 0; i < outputNames.length; i++) {
            String name = graph.outputs().get(i).name();
            Integer s = slots.get(name);
            if (s == null) {
                throw new ModelFormatException("graph '" + graph.name() + "' output '" + name
                        + "' is not produced by any node, input or initializer");
            }
            outputNames[i] = name;
            outputSlots[i] = s;
        }
    }

    private void bindNode(int j) {
        Node node = nodes[j];
        opsets[j] = env.opset(node.domain());
        operators[j] = env.operators.find(node.domain(), node.opType(), opsets[j]);
        List<String> ins = node.inputs();
        int[] in = new int[ins.size()];
        for (int i = 0; i < in.length; i++) {
            String name = ins.get(i);
            if (name.isEmpty()) {
                in[i] = -1;
            } else {
                Integer s = slots.get(name);
                if (s == null) {
                    throw new ModelFormatException("node '" + node.label() + "' (" + node.opType() + ") reads '" + name
                            + "' before any node defines it (nodes must be in topological order)");
                }
                in[i] = s;
            }
        }
        nodeInputs[j] = in;
        Set<String> nodeFree = new LinkedHashSet<>();
        for (Attribute a : node.attributes().values()) {
            for (Graph g : graphsOf(a)) {
                hasSubgraphs[j] = true;
                nodeFree.addAll(freeVariables(g));
            }
        }
        int[] caps = new int[nodeFree.size()];
        int c = 0;
        for (String name : nodeFree) {
            Integer s = slots.get(name);
            if (s == null) {
                throw new ModelFormatException("a subgraph of node '" + node.label() + "' (" + node.opType()
                        + ") reads '" + name + "', which no enclosing graph defines before it");
            }
            caps[c++] = s;
        }
        nodeCaptures[j] = caps;
        List<String> outs = node.outputs();
        int[] out = new int[outs.size()];
        for (int i = 0; i < out.length; i++) {
            String name = outs.get(i);
            out[i] = define(name.isEmpty() ? "\u0000unused:" + j + ":" + i : name);
        }
        nodeOutputs[j] = out;
    }

    private int define(String name) {
        Integer s = slots.get(name);
        if (s != null) return s;
        int slot = slotNames.size();
        slots.put(name, slot);
        slotNames.add(name);
        return slot;
    }

    int slotCount() {
        return slotNames.size();
    }

    /** A readable label of node {@code j} for messages: {@code node 'name' (Op, opset 17)}. */
    String label(int j) {
        Node node = nodes[j];
        return label(node, opsets[j]);
    }

    static String label(Node node, long opset) {
        String domain = node.domain().isEmpty() ? "" : node.domain() + " ";
        return "node '" + node.label() + "' (" + domain + node.opType() + ", opset " + opset + ")";
    }

    static List<Graph> graphsOf(Attribute a) {
        return switch (a.kind()) {
            case GRAPH -> a.value() == null ? List.of() : List.of(a.asGraph());
            case GRAPHS -> a.asGraphs();
            default -> List.of();
        };
    }

    /** Names a graph (and its nested subgraphs) reads but does not define. */
    static Set<String> freeVariables(Graph g) {
        Set<String> defined = new HashSet<>();
        for (Value v : g.inputs()) defined.add(v.name());
        defined.addAll(g.initializers().keySet());
        Set<String> free = new LinkedHashSet<>();
        for (Node node : g.nodes()) {
            for (String in : node.inputs()) {
                if (!in.isEmpty() && !defined.contains(in)) free.add(in);
            }
            for (Attribute a : node.attributes().values()) {
                for (Graph sub : graphsOf(a)) {
                    for (String f : freeVariables(sub)) if (!defined.contains(f)) free.add(f);
                }
            }
            defined.addAll(node.outputs());
        }
        for (Value v : g.outputs()) {
            if (!v.name().isEmpty() && !defined.contains(v.name())) free.add(v.name());
        }
        return free;
    }

    /** Every node of {@code g} and of its subgraphs that the engine has no operator for. */
    static void collectRegistryMisses(Graph g, ExecEnv env, List<UnsupportedOperatorException.Miss> misses) {
        for (Node node : g.nodes()) {
            long opset = env.opset(node.domain());
            if (env.operators.find(node.domain(), node.opType(), opset) == null) {
                misses.add(new UnsupportedOperatorException.Miss(node.opType(), node.domain(), opset, node.label(),
                        env.operators.whyMissing(node.domain(), node.opType(), opset)));
            }
            for (Attribute a : node.attributes().values()) {
                for (Graph sub : graphsOf(a)) collectRegistryMisses(sub, env, misses);
            }
        }
    }
}
