package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One scan of a main graph for the rewrites made before planning ({@link QdqFusion},
 * {@link GraphOptimizer}): which node produces and which reads each value, how often it is read,
 * the names pinned (graph outputs and names read by subgraphs), the names taken, and the constant
 * values. The collections are mutable: a rewrite keeps them current as it changes the nodes.
 */
final class GraphUses {
    final Set<String> graphInputs = new HashSet<>();
    final Map<String, Tensor> constants = new HashMap<>(); // initializers (not inputs) and Constant nodes
    final Map<String, Integer> producer = new HashMap<>();
    final Map<String, Integer> uses = new HashMap<>();
    final Map<String, Integer> consumer = new HashMap<>();  // the last node counted reading the value
    final Set<String> pinned = new HashSet<>();
    final Set<String> names = new HashSet<>();

    /** Scans {@code graph}, whose nodes are {@code nodes} (indices as there). */
    GraphUses(Graph graph, List<Node> nodes) {
        for (Value v : graph.inputs()) graphInputs.add(v.name());
        for (var e : graph.initializers().entrySet()) {
            if (!graphInputs.contains(e.getKey())) constants.put(e.getKey(), e.getValue());
        }
        names.addAll(graph.initializers().keySet());
        names.addAll(graphInputs);
        for (Value v : graph.outputs()) pinned.add(v.name());
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            count(n, i, +1);
            for (String o : n.outputs()) producer.put(o, i);
            names.addAll(n.outputs());
            for (Attribute a : n.attributes().values()) {
                if (a.kind() == Attribute.Kind.GRAPH) collectSubgraphReads(a.asGraph());
                if (a.kind() == Attribute.Kind.GRAPHS) for (Graph g : a.asGraphs()) collectSubgraphReads(g);
            }
            if (n.opType().equals("Constant") && n.domain().isEmpty() && n.outputs().size() == 1
                    && n.attribute("value") != null && n.attribute("value").kind() == Attribute.Kind.TENSOR) {
                constants.put(n.outputs().get(0), (Tensor) n.attribute("value").value());
            }
        }
    }

    /** Counts node {@code index}'s reads once more ({@code delta} +1) or once less (-1, when it is removed). */
    void count(Node n, int index, int delta) {
        for (String in : n.inputs()) {
            if (in.isEmpty()) continue;
            uses.merge(in, delta, Integer::sum);
            if (delta > 0) consumer.put(in, index);
        }
    }

    /**
     * The {@code [min, max]} of a Clip under ONNX opset {@code opset}: its attributes before opset 11,
     * then its optional inputs, each a constant float32 or float16 scalar; an absent bound is infinite. Null
     * where a bound is not such a constant.
     */
    float[] clipBounds(Node clip, long opset) {
        if (opset < 11) {
            if (clip.inputs().size() != 1) return null;
            float lo = clip.attribute("min") == null ? Float.NEGATIVE_INFINITY : clip.attribute("min").asFloat();
            float hi = clip.attribute("max") == null ? Float.POSITIVE_INFINITY : clip.attribute("max").asFloat();
            return new float[] {lo, hi};
        }
        float[] r = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int k = 1; k <= 2; k++) {
            if (k >= clip.inputs().size() || clip.inputs().get(k).isEmpty()) continue;
            Tensor t = constants.get(clip.inputs().get(k));
            if (t == null || (t.dtype() != DType.FLOAT && t.dtype() != DType.FLOAT16) || t.elementCount() != 1) return null;
            r[k - 1] = (float) t.getAsDouble(0);
        }
        return r;
    }

    private void collectSubgraphReads(Graph g) {
        for (Node n : g.nodes()) {
            pinned.addAll(n.inputs());
            for (Attribute a : n.attributes().values()) {
                if (a.kind() == Attribute.Kind.GRAPH) collectSubgraphReads(a.asGraph());
                if (a.kind() == Attribute.Kind.GRAPHS) for (Graph sg : a.asGraphs()) collectSubgraphReads(sg);
            }
        }
    }
}
