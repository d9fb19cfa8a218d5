package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.nn.FusedActivation;
import dev.edgerun.runtime.ops.nn.MatMul;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Graph rewrites made once before planning (skipped with optimization level NONE, so that
 * conformance tests see every operator):
 * <ul>
 *   <li>first, float16 values computed in float32 where the whole graph allows it ({@link HalfAsFloat});
 *   <li>QDQ Conv/MatMul patterns → QLinearConv/QLinearMatMul ({@link QdqFusion});
 *   <li>Conv + BatchNormalization (inference, constant parameters) → Conv with scaled weights and bias;
 *   <li>MatMul (constant 2-D weights) + Add (constant bias [N]) → MatMul with a fused bias input;
 *   <li>Conv, Gemm or MatMul + Relu, Clip, LeakyRelu, Sigmoid or HardSwish → the producer applies the
 *       activation to its finished outputs ({@link FusedActivation});
 *   <li>float32 Add + the same activations (a residual Add and its Relu) → the Add applies it
 *       ({@link #fuseAddActivation}).
 * </ul>
 * A rewrite applies only when the intermediate value has no other consumer (in this graph or any
 * subgraph) and is not a graph output, and when the producer's weights (input 1) are a float32
 * initializer, so that it computes in float32 exactly as the separate nodes would; float16
 * producers take only Relu and Clip, which commute with the rounding to float16.
 */
final class GraphOptimizer {
    /** Producers whose float16 form may take a Relu or Clip ({@link #fuseHalfClamp}). */
    private static final Set<String> FUSED_IN_HALF = Set.of("Conv", "Gemm", "MatMul");

    /** What one optimization did. */
    record Result(Graph graph, int foldedBatchNorms, int fusedBiases, int fusedActivations, int fusedQdq, List<Tensor> created) {}

    private final Graph graph;
    private final long opset;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;
    private final GraphUses scan;   // uses, constants, pinned and taken names, kept current by the rewrites
    private final List<Tensor> created = new ArrayList<>();   // new initializers, owned by the session
    private int foldedBatchNorms;
    private int fusedBiases;
    private int fusedActivations;

    private GraphOptimizer(Graph graph, long opset) {
        this.graph = graph;
        this.opset = opset;
        this.nodes = new ArrayList<>(graph.nodes());
        this.initializers = new LinkedHashMap<>(graph.initializers());
        this.scan = new GraphUses(graph, nodes);
    }

    /** Optimizes the main graph of a model whose default ONNX opset is {@code opset}. */
    static Result optimize(Graph graph, long opset) {
        HalfAsFloat.Result half = HalfAsFloat.rewrite(graph);
        QdqFusion.Result qdq = QdqFusion.fuse(half.graph(), opset);
        graph = qdq.graph();
        GraphOptimizer o = new GraphOptimizer(graph, opset);
        o.created.addAll(half.created());
        o.created.addAll(qdq.created());
        o.run();
        Graph g = graph.toBuilder().clearNodes().nodes(o.nodes.stream().filter(n -> n != null).toList()).build();
        Graph.Builder b = g.toBuilder();
        for (String name : graph.initializers().keySet()) if (!o.initializers.containsKey(name)) b.removeInitializer(name);
        for (var e : o.initializers.entrySet()) b.initializer(e.getKey(), e.getValue());
        return new Result(b.build(), o.foldedBatchNorms, o.fusedBiases, o.fusedActivations,
                qdq.fusedConvs() + qdq.fusedMatMuls(), List.copyOf(o.created));
    }

    private void run() {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n == null || !n.domain().isEmpty() || n.outputs().size() != 1) continue;
            if (n.opType().equals("Add")) fuseAddActivation(i);
            fuseIntoWeighted(i, n);
            noteFloat32(nodes.get(i));
        }
    }

    /** The fusions into a Conv, MatMul or Gemm with constant weights (input 1). */
    private void fuseIntoWeighted(int i, Node n) {
        if (hasWeights(n, DType.FLOAT16) && FUSED_IN_HALF.contains(n.opType())) fuseHalfClamp(i);
        if (!hasWeights(n, DType.FLOAT)) return;
        switch (n.opType()) {
            case "Conv" -> {
                foldBatchNorm(i);
                fuseActivation(i);
            }
            case "MatMul" -> {
                fuseBias(i);
                fuseActivation(i);
            }
            case "Gemm" -> fuseActivation(i);
            default -> { }
        }
    }

    private boolean hasWeights(Node n, DType type) {
        if (n.inputs().size() < 2) return false;
        Tensor w = scan.constants.get(n.inputs().get(1));
        return w != null && w.dtype() == type && initializers.containsKey(n.inputs().get(1));
    }

    /** The index of the only node reading {@code value}, or -1 when it has other readers or is pinned. */
    private int soleConsumer(String value, int producer) {
        if (scan.pinned.contains(value) || scan.uses.getOrDefault(value, 0) != 1) return -1;
        int c = scan.consumer.get(value);
        Node n = nodes.get(c);
        if (n == null || c <= producer || !n.domain().isEmpty() || n.outputs().isEmpty()) return -1;
        return n.inputs().get(0).equals(value) || n.opType().equals("Add") ? c : -1;
    }

    /** A float32 constant, or null. */
    private Tensor floatConstant(List<String> inputs, int i) {
        if (i >= inputs.size() || inputs.get(i).isEmpty()) return null;
        Tensor t = scan.constants.get(inputs.get(i));
        return t != null && t.dtype() == DType.FLOAT ? t : null;
    }

    // ---------------------------------------------------------------- Conv + BatchNormalization

    private void foldBatchNorm(int i) {
        Node conv = nodes.get(i);
        int c = soleConsumer(conv.outputs().get(0), i);
        if (c < 0) return;
        Node bn = nodes.get(c);
        if (!bn.opType().equals("BatchNormalization") || !bn.inputs().get(0).equals(conv.outputs().get(0))) return;
        if (bn.inputs().size() != 5 || bn.attribute("training_mode") != null && bn.attribute("training_mode").asInt() != 0) return;
        if (bn.attribute("spatial") != null && bn.attribute("spatial").asInt() != 1) return;
        for (int o = 1; o < bn.outputs().size(); o++) if (!bn.outputs().get(o).isEmpty()) return;
        Tensor w = scan.constants.get(conv.inputs().get(1));
        long m = w.shape().dim(0);
        Tensor scale = floatConstant(bn.inputs(), 1), shift = floatConstant(bn.inputs(), 2);
        Tensor mean = floatConstant(bn.inputs(), 3), var = floatConstant(bn.inputs(), 4);
        Tensor bias = conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty() ? floatConstant(conv.inputs(), 2) : null;
        if (scale == null || shift == null || mean == null || var == null) return;
        if (conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty() && bias == null) return;
        for (Tensor t : new Tensor[] {scale, shift, mean, var, bias}) {
            if (t != null && (t.shape().rank() != 1 || t.elementCount() != m)) return;
        }
        double eps = bn.attribute("epsilon") == null ? 1e-5 : bn.attribute("epsilon").asFloat();
        float[] weights = w.toFloatArray();
        float[] newBias = new float[(int) m];
        int per = (int) (weights.length / m);
        for (int k = 0; k < m; k++) {
            double s = scale.getFloat(k) / Math.sqrt(var.getFloat(k) + eps);
            for (int e = 0; e < per; e++) weights[k * per + e] = (float) (weights[k * per + e] * s);
            double b = bias == null ? 0 : bias.getFloat(k);
            newBias[k] = (float) ((b - mean.getFloat(k)) * s + shift.getFloat(k));
        }
        String wName = freshName(conv.outputs().get(0) + "_bn_folded_W");
        String bName = freshName(conv.outputs().get(0) + "_bn_folded_B");
        initializers.put(wName, Tensor.of(weights, w.shape().dims()));
        initializers.put(bName, Tensor.of(newBias, m));
        scan.constants.put(wName, initializers.get(wName));
        scan.constants.put(bName, initializers.get(bName));
        created.add(initializers.get(wName));
        created.add(initializers.get(bName));
        dropIfUnused(conv.inputs().get(1));
        if (bias != null) dropIfUnused(conv.inputs().get(2));
        for (int k = 1; k < 5; k++) dropIfUnused(bn.inputs().get(k));
        List<String> inputs = List.of(conv.inputs().get(0), wName, bName);
        nodes.set(i, rebuild(conv, inputs, bn.outputs().get(0)).build());
        nodes.set(c, null);
        foldedBatchNorms++;
    }

    // ---------------------------------------------------------------- MatMul + Add

    private void fuseBias(int i) {
        Node mm = nodes.get(i);
        if (mm.inputs().size() != 2) return;
        Tensor w = scan.constants.get(mm.inputs().get(1));
        if (w.shape().rank() != 2) return;
        int c = soleConsumer(mm.outputs().get(0), i);
        if (c < 0) return;
        Node add = nodes.get(c);
        if (!add.opType().equals("Add") || add.inputs().size() != 2) return;
        int other = add.inputs().get(0).equals(mm.outputs().get(0)) ? 1 : 0;
        if (add.inputs().get(other).equals(mm.outputs().get(0))) return;
        Tensor bias = floatConstant(add.inputs(), other);
        if (scan.producer.getOrDefault(add.inputs().get(other), -1) > i) return;   // a Constant node after the MatMul
        if (bias == null || bias.shape().rank() != 1 || bias.elementCount() != w.shape().dim(1)) return;
        List<String> inputs = List.of(mm.inputs().get(0), mm.inputs().get(1), add.inputs().get(other));
        nodes.set(i, rebuild(mm, inputs, add.outputs().get(0)).attribute(MatMul.FUSED_BIAS_ATTR, 1L).build());
        nodes.set(c, null);
        fusedBiases++;
    }

    // ---------------------------------------------------------------- activations

    // ---------------------------------------------------------------- Add + activation

    /**
     * Operators whose output 0 has the element type of their input 0: their output is float32
     * when that input is ({@link #float32}).
     */
    private static final Set<String> SAME_TYPE = Set.of(
            "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip",
            "Sigmoid", "HardSwish", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
            "BatchNormalization", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Resize", "Identity");

    /** Values known to be float32 so far: declared graph inputs, float32 constants, and what {@link #noteFloat32} adds. */
    private Set<String> float32;

    /** Records the output of {@code n} (nullable) as float32 where it has its float32 input 0's type. */
    private void noteFloat32(Node n) {
        if (float32 == null) {
            float32 = new HashSet<>();
            for (var v : graph.inputs()) {
                if (v.type() instanceof ValueType.TensorType t && t.dtype() == DType.FLOAT) {
                    float32.add(v.name());
                }
            }
            for (var e : scan.constants.entrySet()) if (e.getValue().dtype() == DType.FLOAT) float32.add(e.getKey());
        }
        if (n != null && n.domain().isEmpty() && SAME_TYPE.contains(n.opType()) && !n.inputs().isEmpty()
                && float32.contains(n.inputs().get(0))) {
            float32.add(n.outputs().get(0));
        }
    }

    /**
     * A float32 Add takes the activation that alone reads its output, as Conv does: ElementwiseBinary
     * applies it to each finished row (or oneDNN as a post-op). Float32 only, as known from the
     * graph's declared inputs and constants ({@link #noteFloat32}): the Add of other types has no
     * such epilogue. ResNet-18 has 8 residual Adds each followed by a Relu.
     */
    private void fuseAddActivation(int i) {
        Node add = nodes.get(i);
        if (add.inputs().size() != 2 || add.inputs().get(0).isEmpty() || add.inputs().get(1).isEmpty()) return;
        noteFloat32(null);
        if (!float32.contains(add.inputs().get(0)) && !float32.contains(add.inputs().get(1))) return;
        fuseActivation(i);
    }

    private void fuseActivation(int i) {
        Node p = nodes.get(i);
        if (p.attribute(FusedActivation.ATTR) != null) return;
        int c = soleConsumer(p.outputs().get(0), i);
        if (c < 0) return;
        Node act = nodes.get(c);
        if (FusedActivation.operation(act.opType()) == null || act.outputs().size() != 1) return;
        float[] params = activationParams(act);
        if (params == null) return;
        Node.Builder b = rebuild(p, p.inputs(), act.outputs().get(0))
                .attribute(Attribute.of(FusedActivation.ATTR, act.opType()));
        if (params.length > 0) b.attribute(Attribute.of(FusedActivation.PARAMS_ATTR, params));
        nodes.set(i, b.build());
        nodes.set(c, null);
        fusedActivations++;
    }

    /**
     * Float16 producers (run in float32 by the engine, rounded to float16 at their output) take a
     * following Relu or Clip: clamping to bounds that float16 represents exactly commutes with
     * rounding to float16 (both are monotonic), so the fused node gives the same bits as the two
     * nodes. Other activations do not commute with the rounding and stay separate.
     */
    private void fuseHalfClamp(int i) {
        Node p = nodes.get(i);
        if (p.attribute(FusedActivation.ATTR) != null) return;
        int c = soleConsumer(p.outputs().get(0), i);
        if (c < 0) return;
        String op = nodes.get(c).opType();
        if (!op.equals("Relu") && !op.equals("Clip")) return;
        float[] params = activationParams(nodes.get(c));
        if (params == null) return;
        for (float bound : params) {
            if (Float.float16ToFloat(Float.floatToFloat16(bound)) != bound) return;
        }
        fuseActivation(i);
    }

    /** The activation's parameters, or null when they are not constant. */
    private float[] activationParams(Node act) {
        return switch (act.opType()) {
            case "LeakyRelu" -> act.inputs().size() == 1
                    ? new float[] {act.attribute("alpha") == null ? 0.01f : act.attribute("alpha").asFloat()} : null;
            case "Clip" -> scan.clipBounds(act, opset);
            default -> act.inputs().size() == 1 ? new float[0] : null;
        };
    }

    // ---------------------------------------------------------------- helpers

    /** {@code n} with other inputs and its single output renamed to {@code output}. */
    private static Node.Builder rebuild(Node n, List<String> inputs, String output) {
        Node.Builder b = Node.builder(n.opType()).name(n.name()).domain(n.domain()).docString(n.docString())
                .inputs(inputs).outputs(output);
        for (Attribute a : n.attributes().values()) b.attribute(a);
        return b;
    }

    private void dropIfUnused(String name) {
        if (scan.uses.getOrDefault(name, 0) == 1 && !scan.pinned.contains(name)) initializers.remove(name);
    }

    private String freshName(String base) {
        String name = base;
        for (int k = 1; scan.names.contains(name); k++) name = base + "_" + k;
        scan.names.add(name);
        return name;
    }
}
