package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.ir.ValueType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Float16 storage, float32 arithmetic: rewrites a main graph so that its float16 values are
 * computed and kept in float32, as ONNX Runtime's CPU provider does (it has no float16 Conv, Gemm,
 * Add...: it puts Casts to float32 around such nodes and then removes the back-to-back
 * float32→float16→float32 pairs, so values stay float32 between consecutive float16 nodes).
 * <ul>
 *   <li>float16 initializers and Constant/ConstantOfShape values become float32 (exact);
 *   <li>float16 node outputs become float32 (the producer now computes them in float32);
 *   <li>an explicit {@code Cast(to=FLOAT16)} keeps its rounding: it becomes that Cast followed by a
 *       {@code Cast(to=FLOAT)} (ONNX Runtime drops such a Cast where only nodes it runs in float32
 *       read it, e.g. at the input of a converted CNN: about 0.4 of a quantization step of
 *       mobilenet_v2's output comes from that difference);
 *   <li>a {@code Cast(to=FLOAT)} of a former float16 value is dropped (its readers read its input),
 *       or becomes an Identity where its output is a graph output or read by a subgraph;
 *   <li>graph inputs and outputs keep their declared types: a float16 input is cast to float32
 *       first, a float16 output is cast to float16 last.
 * </ul>
 * Applies only when every node touching a float16 value (reading or producing one) is a
 * default-domain operator whose result does not depend on the element type beyond rounding (the
 * allowlist below, plus Cast, Constant, ConstantOfShape, Shape and Size), every input of such a
 * node has a known element type, and no float16 value of the main graph is read by a subgraph;
 * otherwise the graph is left as it is and each float16 node runs as the model states it. Where
 * it applies, results differ from the model's float16 arithmetic by rounding only (they are more
 * precise), except that intermediate values no longer overflow at float16's 65504. Like the other
 * rewrites of {@link GraphOptimizer}, it is skipped at optimization level NONE.
 */
final class HalfAsFloat {

    /** The rewritten graph, how many float16 values became float32, and the tensors created here (owned by the session). */
    record Result(Graph graph, int convertedValues, List<Tensor> created) {}

    /**
     * Operators whose every output has the element type of their first input (with the exceptions of
     * {@link #extraOutputType}) and that compute the same function whatever that float type is.
     */
    private static final Set<String> SAME_TYPE = Set.of(
            "Conv", "ConvTranspose", "Gemm", "MatMul",
            "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
            "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish",
            "Tanh", "Softplus", "Softsign", "Gelu", "Mish", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs",
            "GlobalAveragePool", "GlobalMaxPool", "AveragePool", "MaxPool",
            "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
            "BatchNormalization", "InstanceNormalization", "LayerNormalization", "Softmax", "LogSoftmax",
            "LSTM", "GRU", "RNN", "Dropout",
            "Reshape", "Flatten", "Concat", "Split", "Transpose", "Squeeze", "Unsqueeze", "Expand", "Tile", "Pad",
            "Slice", "Gather", "GatherElements", "Resize", "Upsample", "DepthToSpace", "SpaceToDepth", "Identity");

    /** Type-aware operators handled here by their attributes ({@link #outputTypes}). */
    private static final Set<String> TYPED = Set.of("Cast", "Constant", "ConstantOfShape", "Shape", "Size");

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Graph graph;
    private final GraphUses scan;
    private final Set<String> outputs = new LinkedHashSet<>();
    private final Map<String, DType> types = new HashMap<>();        // element types known here
    private final Set<String> halfValues = new LinkedHashSet<>();   // float16 initializers and node outputs
    private final Map<String, String> renamed = new HashMap<>();    // a value's float32 version, where the name differs
    private final List<Node> nodes = new ArrayList<>();
    private final List<Tensor> created = new ArrayList<>();

    private HalfAsFloat(Graph graph) {
        this.graph = graph;
        this.scan = new GraphUses(graph, graph.nodes());
        for (Value v : graph.outputs()) outputs.add(v.name());
    }

    /** Rewrites {@code graph} (a main graph) when all its float16 values can be computed in float32; else returns it as it is. */
    static Result rewrite(Graph graph) {
        HalfAsFloat h = new HalfAsFloat(graph);
        if (!h.inferTypes() || h.halfValues.isEmpty() || h.readBySubgraph()) {
            return new Result(graph, 0, List.of());
        }
        return new Result(h.build(), h.halfValues.size(), List.copyOf(h.created));
    }

    // ---------------------------------------------------------------- whether it applies

    /** Infers element types in node order; false when a node touching float16 is not one this rewrite can handle. */
    private boolean inferTypes() {
        Map<String, DType> declared = new HashMap<>();
        for (Value v : graph.valueInfo()) if (v.dtype() != null) declared.put(v.name(), v.dtype());
        for (Value v : graph.inputs()) if (v.dtype() != null) types.put(v.name(), v.dtype());
        for (var e : graph.initializers().entrySet()) {
            if (scan.graphInputs.contains(e.getKey())) continue;
            types.put(e.getKey(), e.getValue().dtype());
            if (e.getValue().dtype() == DType.FLOAT16) halfValues.add(e.getKey());
        }
        for (Node n : graph.nodes()) {
            DType[] out = outputTypes(n);
            for (int k = 0; k < n.outputs().size(); k++) {
                if (out[k] == null) out[k] = declared.get(n.outputs().get(k));
            }
            if (touchesHalf(n, out) && !handled(n, out)) return false;
            for (int k = 0; k < n.outputs().size(); k++) {
                String o = n.outputs().get(k);
                if (o.isEmpty() || out[k] == null) continue;
                types.put(o, out[k]);
                if (out[k] == DType.FLOAT16) halfValues.add(o);
            }
        }
        return true;
    }

    /** The element type of each output of {@code n} where this class knows it (null: unknown). */
    private DType[] outputTypes(Node n) {
        DType[] out = new DType[n.outputs().size()];
        if (!n.domain().isEmpty() || out.length == 0) return out;
        if (TYPED.contains(n.opType())) {
            out[0] = typedOutput(n);
            return out;
        }
        if (!SAME_TYPE.contains(n.opType()) || n.inputs().isEmpty()) return out;
        DType first = types.get(n.inputs().get(0));
        if (first == null) return out;
        out[0] = first;
        for (int k = 1; k < out.length; k++) out[k] = extraOutputType(n, k, first);
        return out;
    }

    private static DType typedOutput(Node n) {
        Attribute value = n.attribute("value");
        return switch (n.opType()) {
            case "Cast" -> typeAttribute(n, "to");
            case "Shape", "Size" -> DType.INT64;
            case "ConstantOfShape" -> value == null ? DType.FLOAT : tensorType(value);
            default -> value != null ? tensorType(value)
                    : n.attribute("value_float") != null || n.attribute("value_floats") != null ? DType.FLOAT
                    : n.attribute("value_int") != null || n.attribute("value_ints") != null ? DType.INT64 : null;
        };
    }

    /**
     * The element type an INT attribute names; null when it is not an INT or names no known type (the
     * node is then left to its operator, which reports the error).
     */
    private static DType typeAttribute(Node n, String name) {
        Attribute a = n.attribute(name);
        if (a == null || a.kind() != Attribute.Kind.INT) return null;
        for (DType t : DType.values()) if (t.onnxCode() == a.asInt()) return t;
        return null;
    }

    private static DType tensorType(Attribute a) {
        return a.kind() == Attribute.Kind.TENSOR ? a.asTensor().dtype() : null;
    }

    /** The type of output {@code k >= 1} of a {@link #SAME_TYPE} node whose first output is {@code first}; null: unknown. */
    private static DType extraOutputType(Node n, int k, DType first) {
        return switch (n.opType()) {
            case "Split", "LSTM", "GRU", "RNN" -> first;
            case "MaxPool" -> DType.INT64;
            case "Dropout" -> DType.BOOL;
            case "LayerNormalization" -> n.attribute("stash_type") == null ? DType.FLOAT : typeAttribute(n, "stash_type");
            default -> null;
        };
    }

    private boolean touchesHalf(Node n, DType[] out) {
        for (String in : n.inputs()) if (!in.isEmpty() && types.get(in) == DType.FLOAT16) return true;
        for (DType t : out) if (t == DType.FLOAT16) return true;
        return false;
    }

    /** Whether node {@code n}, which touches float16, can compute in float32: an allowed operator with all types known. */
    private boolean handled(Node n, DType[] out) {
        if (!n.domain().isEmpty() || !SAME_TYPE.contains(n.opType()) && !TYPED.contains(n.opType())) return false;
        for (String in : n.inputs()) if (!in.isEmpty() && !types.containsKey(in)) return false;
        for (int k = 0; k < out.length; k++) if (!n.outputs().get(k).isEmpty() && out[k] == null) return false;
        return true;
    }

    /** Whether a subgraph reads a float16 value of this graph (graph outputs stay float16 under their names). */
    private boolean readBySubgraph() {
        for (String v : halfValues) if (scan.pinned.contains(v) && !outputs.contains(v)) return true;
        for (Value v : graph.inputs()) {
            if (v.dtype() == DType.FLOAT16 && scan.pinned.contains(v.name()) && !outputs.contains(v.name())) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- the rewrite

    private Graph build() {
        Graph.Builder b = graph.toBuilder().clearNodes().clearValueInfo();
        for (Value v : graph.inputs()) {
            if (v.dtype() == DType.FLOAT16 && scan.uses.getOrDefault(v.name(), 0) > 0) {
                String f = freshName(v.name() + "_float");
                nodes.add(cast(v.name(), f, DType.FLOAT));
                renamed.put(v.name(), f);
            }
        }
        for (String name : halfValues) {
            Tensor t = graph.initializers().get(name);
            if (t == null) continue;
            Tensor f = toFloat(t);
            if (outputs.contains(name)) {
                String copy = freshName(name + "_float");
                b.initializer(copy, f);
                renamed.put(name, copy);
            } else {
                b.initializer(name, f);
            }
        }
        for (Node n : graph.nodes()) rewriteNode(n);
        b.nodes(nodes);
        for (Value v : graph.valueInfo()) {
            boolean converted = halfValues.contains(v.name()) && !outputs.contains(v.name());
            b.valueInfo(converted && v.type() instanceof ValueType.TensorType t ? Value.tensor(v.name(), DType.FLOAT, t.shape()) : v);
        }
        return b.build();
    }

    private void rewriteNode(Node n) {
        List<String> inputs = n.inputs().stream().map(this::current).toList();
        if (n.opType().equals("Cast") && n.domain().isEmpty() && n.inputs().size() == 1 && n.outputs().size() == 1) {
            DType to = types.get(n.outputs().get(0));
            DType from = types.get(n.inputs().get(0));
            if (to == DType.FLOAT16) {
                String rounded = freshName(n.outputs().get(0) + "_half");
                nodes.add(copy(n, inputs).outputs(rounded).build());
                emit(castTo(DType.FLOAT).inputs(rounded), n.outputs());
                return;
            }
            if (to == DType.FLOAT && from == DType.FLOAT16) {
                dropNoOpCast(n, inputs.get(0));
                return;
            }
        }
        emit(copy(n, inputs), n.outputs());
    }

    /** {@code n} without outputs, reading {@code inputs}, with float16 Constant/ConstantOfShape values made float32. */
    private Node.Builder copy(Node n, List<String> inputs) {
        Node.Builder nb = Node.builder(n.opType()).name(n.name()).domain(n.domain()).docString(n.docString()).inputs(inputs);
        boolean constant = n.domain().isEmpty() && (n.opType().equals("Constant") || n.opType().equals("ConstantOfShape"));
        for (Attribute a : n.attributes().values()) nb.attribute(constant ? floatValue(a) : a);
        return nb;
    }

    /** A Cast to float32 of a value now float32: its readers read {@code input}; pinned outputs get an Identity. */
    private void dropNoOpCast(Node cast, String input) {
        String y = cast.outputs().get(0);
        if (scan.pinned.contains(y)) {
            nodes.add(Node.builder("Identity").name(cast.name()).inputs(input).outputs(y).build());
        } else {
            renamed.put(y, input);
        }
    }

    /** Adds a node whose float16 outputs are now float32; a float16 graph output is written as float32 and cast back. */
    private void emit(Node.Builder nb, List<String> outs) {
        List<String> written = new ArrayList<>();
        List<Node> after = new ArrayList<>();
        for (String o : outs) {
            if (halfValues.contains(o) && outputs.contains(o)) {
                String f = freshName(o + "_float");
                written.add(f);
                renamed.put(o, f);
                after.add(cast(f, o, DType.FLOAT16));
            } else {
                written.add(o);
            }
        }
        nodes.add(nb.outputs(written).build());
        nodes.addAll(after);
    }

    /** Constant and ConstantOfShape values in float16 become float32. */
    private Attribute floatValue(Attribute a) {
        if (!a.name().equals("value") || a.kind() != Attribute.Kind.TENSOR || a.asTensor().dtype() != DType.FLOAT16) return a;
        Tensor f = toFloat(a.asTensor());
        return Attribute.of("value", f);
    }

    private String current(String name) {
        return name.isEmpty() ? name : renamed.getOrDefault(name, name);
    }

    private static Node cast(String from, String to, DType type) {
        return castTo(type).inputs(from).outputs(to).build();
    }

    private static Node.Builder castTo(DType type) {
        return Node.builder("Cast").attribute("to", (long) type.onnxCode());
    }

    /** A float32 copy of a float16 tensor, owned by the session. */
    private Tensor toFloat(Tensor half) {
        Tensor f = Tensor.allocate(DType.FLOAT, half.shape());
        created.add(f);
        MemorySegment src = half.data(), dst = f.data();
        for (long i = 0; i < half.elementCount(); i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, Float.float16ToFloat(src.getAtIndex(HALF, i)));
        }
        return f;
    }

    private String freshName(String base) {
        String name = base;
        for (int k = 1; scan.names.contains(name); k++) name = base + "_" + k;
        scan.names.add(name);
        return name;
    }
}
