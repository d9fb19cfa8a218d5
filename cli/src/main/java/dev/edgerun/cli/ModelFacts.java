package dev.edgerun.cli;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What {@code inspect} reports about a model that does not need an engine: histogram and FLOPs. */
final class ModelFacts {
    /** The operators the FLOPs estimate counts. */
    static final Set<String> HEAVY_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM");

    private ModelFacts() {}

    /** Op type → count, most frequent first; ops of other domains are written {@code domain:Op}. */
    static Map<String, Integer> histogram(Graph graph) {
        Map<String, Integer> counts = new HashMap<>();
        for (Node n : graph.nodes()) {
            String key = n.domain().isEmpty() ? n.opType() : n.domain() + ":" + n.opType();
            counts.merge(key, 1, Integer::sum);
        }
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** Every shape the model declares: inputs, outputs, value_info and initializers. */
    static Map<String, Shape> declaredShapes(Model model) {
        Graph g = model.graph();
        Map<String, Shape> shapes = new HashMap<>();
        for (List<Value> vs : List.of(g.inputs(), g.outputs(), g.valueInfo())) {
            for (Value v : vs) if (v.shape() != null) shapes.put(v.name(), v.shape());
        }
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        return shapes;
    }

    /** The FLOPs estimate and how many of the heavy nodes had the shapes it needs. */
    record Flops(long flops, int counted, int heavyNodes) {
        boolean complete() {
            return counted == heavyNodes;
        }
    }

    /**
     * 2 x multiply-accumulates of Conv, ConvTranspose, Gemm, MatMul and LSTM (element-wise work is
     * ignored), from the concrete shapes in {@code shapes}. Nodes whose shapes are unknown are not counted.
     */
    static Flops flops(Graph graph, Map<String, Shape> shapes) {
        long macs = 0;
        int counted = 0;
        int heavy = 0;
        for (Node n : graph.nodes()) {
            if (!n.domain().isEmpty()) continue;
            long m = switch (n.opType()) {
                case "Conv" -> convMacs(n, shapes);
                case "ConvTranspose" -> convTransposeMacs(n, shapes);
                case "Gemm" -> gemmMacs(n, shapes);
                case "MatMul" -> matMulMacs(n, shapes);
                case "LSTM" -> lstmMacs(n, shapes);
                default -> -2;
            };
            if (m == -2) continue;
            heavy++;
            if (m >= 0) {
                macs += m;
                counted++;
            }
        }
        return new Flops(2 * macs, counted, heavy);
    }

    /** MACs = output elements x (input channels / group) x kernel size. */
    private static long convMacs(Node n, Map<String, Shape> shapes) {
        Shape w = concrete(shapes, n.inputs().get(1));
        Shape y = concrete(shapes, n.outputs().get(0));
        if (w == null || y == null) return -1;
        return y.elementCount() * w.product(1, w.rank());
    }

    /** MACs = input elements x (output channels / group) x kernel size. */
    private static long convTransposeMacs(Node n, Map<String, Shape> shapes) {
        Shape x = concrete(shapes, n.inputs().get(0));
        Shape w = concrete(shapes, n.inputs().get(1));
        if (x == null || w == null) return -1;
        return x.elementCount() * w.product(1, w.rank());
    }

    private static long gemmMacs(Node n, Map<String, Shape> shapes) {
        Shape a = concrete(shapes, n.inputs().get(0));
        Shape b = concrete(shapes, n.inputs().get(1));
        if (a == null || b == null || a.rank() != 2 || b.rank() != 2) return -1;
        boolean transA = intAttr(n, "transA") != 0;
        boolean transB = intAttr(n, "transB") != 0;
        long m = transA ? a.dim(1) : a.dim(0);
        long k = transA ? a.dim(0) : a.dim(1);
        long cols = transB ? b.dim(0) : b.dim(1);
        return m * k * cols;
    }

    /** MACs = output elements x the shared dimension K. */
    private static long matMulMacs(Node n, Map<String, Shape> shapes) {
        Shape a = concrete(shapes, n.inputs().get(0));
        Shape y = concrete(shapes, n.outputs().get(0));
        if (a == null || y == null || a.rank() == 0) return -1;
        return y.elementCount() * a.dim(-1);
    }

    /** Per step and direction: 4 gates x hidden x (input + hidden). */
    private static long lstmMacs(Node n, Map<String, Shape> shapes) {
        Shape x = concrete(shapes, n.inputs().get(0));
        Shape r = concrete(shapes, n.inputs().get(2));
        if (x == null || r == null || x.rank() != 3 || r.rank() != 3) return -1;
        long directions = r.dim(0);
        long gates = r.dim(1); // 4 x hidden
        long hidden = r.dim(2);
        long stepsTimesBatch = x.dim(0) * x.dim(1);
        return directions * stepsTimesBatch * gates * (x.dim(2) + hidden);
    }

    private static Shape concrete(Map<String, Shape> shapes, String name) {
        Shape s = name.isEmpty() ? null : shapes.get(name);
        return s != null && s.isConcrete() ? s : null;
    }

    private static long intAttr(Node n, String name) {
        Attribute a = n.attribute(name);
        return a == null ? 0 : a.asInt();
    }
}
