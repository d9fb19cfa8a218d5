package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.nn.FusedActivation;
import dev.edgerun.runtime.ops.nn.LayerNormalization;
import dev.edgerun.runtime.ops.nn.MatMul;
import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites of the patterns a transformer exported by PyTorch leaves around its MatMuls, each
 * folding a neighbour into the MatMul node through its engine-internal attributes (see
 * {@link MatMul}), so that the neighbour costs neither a pass over memory nor a step:
 * <ul>
 *   <li>a Transpose feeding input A or B ({@code Q}, {@code K}, {@code V} split into heads): the
 *       MatMul reads the Transpose's input through strides;
 *   <li>a Div by a float32 scalar constant and then a Softmax over the last axis (attention
 *       scores {@code softmax(Q.K^T / sqrt(d))}): applied to each finished output row;
 *   <li>a Transpose of the output that keeps the last axis last (heads merged back): the MatMul
 *       writes its rows through strides;
 *   <li>the exact GELU chain {@code Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)} on a MatMul
 *       output {@code x} (nn.GELU before opset 20): applied to finished output values;
 *   <li>and apart from MatMul, an Add feeding LayerNormalization (a post-LN residual connection):
 *       the LayerNormalization adds its operands itself ({@link LayerNormalization#SKIP_ATTR}).
 * </ul>
 * Runs after {@link GraphOptimizer} (MatMul + bias is already fused, so the GELU chain reads the
 * fused node). A rewrite applies only when every intermediate value has no other reader (in this
 * graph or a subgraph) and is not a graph output. Divisions and GELU compute what the nodes
 * compute in float32 (true division; GELU to within its erf approximation, 2.6e-7); the folded
 * Transposes and Softmax are exact.
 */
final class TransformerFusion {
    private static final float SQRT_2 = 1.41421356f;

    private final List<Node> nodes;
    private final GraphUses scan;
    private int folded;

    private TransformerFusion(Graph graph) {
        this.nodes = new ArrayList<>(graph.nodes());
        this.scan = new GraphUses(graph, nodes);
    }

    /** What one pass did: the graph, and how many nodes were folded into MatMuls. */
    record Result(Graph graph, int foldedNodes) {}

    /** The rewritten main graph (the same graph when nothing applies). */
    static Result fuse(Graph graph) {
        TransformerFusion f = new TransformerFusion(graph);
        f.run();
        if (f.folded == 0) return new Result(graph, 0);
        Graph g = graph.toBuilder().clearNodes().nodes(f.nodes.stream().filter(n -> n != null).toList()).build();
        return new Result(g, f.folded);
    }

    private void run() {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n == null || !n.domain().isEmpty() || !n.opType().equals("MatMul") || n.outputs().size() != 1) continue;
            // the strided path packs B on every run: MatMuls with constant weights keep the path that packs them once
            if (n.inputs().size() == 2 && n.attribute(MatMul.FUSED_BIAS_ATTR) == null && !scan.constants.containsKey(n.inputs().get(1))) {
                foldInputTranspose(i, 0, MatMul.PERM_A_ATTR);
                foldInputTranspose(i, 1, MatMul.PERM_B_ATTR);
                foldDivide(i);
                foldSoftmax(i);
                foldOutputTranspose(i);
            }
            foldGelu(i);
        }
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n != null && n.domain().isEmpty() && n.opType().equals("LayerNormalization")) foldSkipAdd(i);
        }
        if (folded > 0) dropUnreadConstants();
    }

    /** Constant nodes that fed only folded nodes (the divisor, GELU's constants). */
    private void dropUnreadConstants() {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n != null && n.opType().equals("Constant") && n.domain().isEmpty() && n.outputs().size() == 1
                    && scan.uses.getOrDefault(n.outputs().get(0), 0) == 0 && !scan.pinned.contains(n.outputs().get(0))) {
                nodes.set(i, null);
            }
        }
    }

    // ---------------------------------------------------------------- transposes

    private void foldInputTranspose(int i, int slot, String attr) {
        Node mm = nodes.get(i);
        if (mm.attribute(attr) != null) return;
        String value = mm.inputs().get(slot);
        if (!soleReader(value, i)) return;
        Integer p = scan.producer.get(value);
        if (p == null || nodes.get(p) == null) return;
        Node t = nodes.get(p);
        long[] perm = transposePerm(t);
        if (perm == null || scan.constants.containsKey(t.inputs().get(0))) return;
        List<String> inputs = new ArrayList<>(mm.inputs());
        inputs.set(slot, t.inputs().get(0));
        replace(i, rebuild(mm, inputs, mm.outputs().get(0)).attribute(attr, perm).build());
        remove(p);
    }

    private void foldOutputTranspose(int i) {
        Node mm = nodes.get(i);
        if (mm.attribute(MatMul.PERM_Y_ATTR) != null) return;
        int c = soleConsumer(mm.outputs().get(0), i);
        if (c < 0) return;
        long[] perm = transposePerm(nodes.get(c));
        if (perm == null || perm[perm.length - 1] != perm.length - 1) return;
        replace(i, rebuild(mm, mm.inputs(), nodes.get(c).outputs().get(0)).attribute(MatMul.PERM_Y_ATTR, perm).build());
        remove(c);
    }

    /** The explicit perm of a plain Transpose of rank at least 2, or null. */
    private static long[] transposePerm(Node t) {
        if (!t.opType().equals("Transpose") || !t.domain().isEmpty() || t.inputs().size() != 1 || t.outputs().size() != 1) {
            return null;
        }
        Attribute a = t.attribute("perm");
        if (a == null || a.kind() != Attribute.Kind.INTS) return null;
        long[] perm = a.asInts();
        return perm.length >= 2 ? perm : null;
    }

    // ---------------------------------------------------------------- division, softmax

    private boolean foldDivide(int i) {
        Node mm = nodes.get(i);
        if (hasEpilogue(mm)) return false;
        int c = soleConsumer(mm.outputs().get(0), i);
        if (c < 0) return false;
        Node div = nodes.get(c);
        if (!div.opType().equals("Div") || div.inputs().size() != 2 || !div.inputs().get(0).equals(mm.outputs().get(0))) return false;
        Float divisor = scalar(div.inputs().get(1));
        if (divisor == null || divisor == 0f || !Float.isFinite(divisor)) return false;
        replace(i, rebuild(mm, mm.inputs(), div.outputs().get(0)).attribute(MatMul.DIVISOR_ATTR, divisor.floatValue()).build());
        remove(c);
        return true;
    }

    private void foldSoftmax(int i) {
        Node mm = nodes.get(i);
        if (mm.attribute(FusedActivation.ATTR) != null || mm.attribute(MatMul.GELU_ATTR) != null
                || mm.attribute(MatMul.SOFTMAX_ATTR) != null) {
            return;
        }
        int c = soleConsumer(mm.outputs().get(0), i);
        if (c < 0) return;
        Node sm = nodes.get(c);
        // axis -1 is the last axis at every opset (before 13 the flattened block from the last axis)
        if (!sm.opType().equals("Softmax") || sm.inputs().size() != 1 || sm.outputs().size() != 1) return;
        if (sm.attribute("axis") == null || sm.attribute("axis").asInt() != -1) return;
        replace(i, rebuild(mm, mm.inputs(), sm.outputs().get(0)).attribute(MatMul.SOFTMAX_ATTR, 1L).build());
        remove(c);
    }

    // ---------------------------------------------------------------- GELU

    /** x -> Div(x, sqrt 2) -> Erf -> Add(., 1) -> Mul(x, .) -> Mul(., 0.5), x read by nothing else. */
    private void foldGelu(int i) {
        Node mm = nodes.get(i);
        if (hasEpilogue(mm)) return;
        String x = mm.outputs().get(0);
        if (scan.pinned.contains(x) || scan.uses.getOrDefault(x, 0) != 2) return;
        int div = readerOf(x, "Div", i);
        if (div < 0 || !nodes.get(div).inputs().get(0).equals(x) || !near(scalar(nodes.get(div).inputs().get(1)), SQRT_2)) return;
        int erf = soleConsumer(nodes.get(div).outputs().get(0), div);
        if (erf < 0 || !nodes.get(erf).opType().equals("Erf")) return;
        int add = soleConsumer(nodes.get(erf).outputs().get(0), erf);
        if (add < 0 || !isBinaryWithConstant(nodes.get(add), "Add", nodes.get(erf).outputs().get(0), 1f)) return;
        int mul = soleConsumer(nodes.get(add).outputs().get(0), add);
        if (mul < 0 || !nodes.get(mul).opType().equals("Mul") || !nodes.get(mul).inputs().contains(x)) return;
        int half = soleConsumer(nodes.get(mul).outputs().get(0), mul);
        if (half < 0 || !isBinaryWithConstant(nodes.get(half), "Mul", nodes.get(mul).outputs().get(0), 0.5f)) return;
        replace(i, rebuild(mm, mm.inputs(), nodes.get(half).outputs().get(0)).attribute(MatMul.GELU_ATTR, 1L).build());
        for (int n : new int[] {div, erf, add, mul, half}) remove(n);
    }

    /** The node reading {@code value} (of two readers) with op type {@code op}, after {@code after}; -1 if none. */
    private int readerOf(String value, String op, int after) {
        for (int j = after + 1; j < nodes.size(); j++) {
            Node n = nodes.get(j);
            if (n != null && n.domain().isEmpty() && n.opType().equals(op) && n.inputs().contains(value)) return j;
        }
        return -1;
    }

    private boolean isBinaryWithConstant(Node n, String op, String value, float constant) {
        if (!n.opType().equals(op) || n.inputs().size() != 2 || n.outputs().size() != 1) return false;
        if (n.attribute(FusedActivation.ATTR) != null) return false; // an Add that applies a Relu (GraphOptimizer)
        int other = n.inputs().get(0).equals(value) ? 1 : n.inputs().get(1).equals(value) ? 0 : -1;
        return other >= 0 && near(scalar(n.inputs().get(other)), constant);
    }

    private static boolean near(Float v, float expected) {
        return v != null && Math.abs(v - expected) <= 1e-6f * Math.abs(expected);
    }

    // ---------------------------------------------------------------- Add + LayerNormalization

    private void foldSkipAdd(int i) {
        Node ln = nodes.get(i);
        if (ln.attribute(LayerNormalization.SKIP_ATTR) != null || ln.inputs().size() < 2 || ln.inputs().size() > 3) return;
        if (ln.outputs().size() != 1) return; // Mean and InvStdDev outputs: keep the plain node
        String x = ln.inputs().get(0);
        if (!soleReader(x, i)) return;
        Integer p = scan.producer.get(x);
        if (p == null || nodes.get(p) == null) return;
        Node add = nodes.get(p);
        if (!add.opType().equals("Add") || !add.domain().isEmpty() || add.inputs().size() != 2 || add.outputs().size() != 1) return;
        if (add.inputs().get(0).isEmpty() || add.inputs().get(1).isEmpty()) return;
        if (add.attribute(FusedActivation.ATTR) != null) return; // its activation has no place in the skip
        List<String> inputs = new ArrayList<>(List.of(add.inputs().get(0), ln.inputs().get(1),
                ln.inputs().size() > 2 ? ln.inputs().get(2) : "", add.inputs().get(1)));
        replace(i, rebuild(ln, inputs, ln.outputs().get(0)).attribute(LayerNormalization.SKIP_ATTR, 1L).build());
        remove(p);
    }

    // ---------------------------------------------------------------- helpers

    private static boolean hasEpilogue(Node mm) {
        return mm.attribute(FusedActivation.ATTR) != null || mm.attribute(MatMul.GELU_ATTR) != null
                || mm.attribute(MatMul.DIVISOR_ATTR) != null || mm.attribute(MatMul.SOFTMAX_ATTR) != null;
    }

    /** A float32 constant of one element and rank at most 1 (it cannot widen the other operand's rank), or null. */
    private Float scalar(String name) {
        Tensor t = scan.constants.get(name);
        if (t == null || t.dtype() != DType.FLOAT || t.elementCount() != 1 || t.shape().rank() > 1) return null;
        return t.getFloat(0);
    }

    /** Whether node {@code reader} is the only reader of {@code value}, which is no graph output. */
    private boolean soleReader(String value, int reader) {
        return !scan.pinned.contains(value) && scan.uses.getOrDefault(value, 0) == 1 && scan.consumer.get(value) == reader;
    }

    /** The index of the only node (after {@code producer}, default domain) reading {@code value}, or -1. */
    private int soleConsumer(String value, int producer) {
        if (scan.pinned.contains(value) || scan.uses.getOrDefault(value, 0) != 1) return -1;
        int c = scan.consumer.get(value);
        Node n = nodes.get(c);
        return n == null || c <= producer || !n.domain().isEmpty() ? -1 : c;
    }

    private void replace(int i, Node n) {
        scan.count(nodes.get(i), i, -1);
        nodes.set(i, n);
        scan.count(n, i, +1);
        for (String out : n.outputs()) scan.producer.put(out, i);
    }

    private void remove(int i) {
        scan.count(nodes.get(i), i, -1);
        nodes.set(i, null);
        folded++;
    }

    /** {@code n} with other inputs and its single output renamed to {@code output}. */
    private static Node.Builder rebuild(Node n, List<String> inputs, String output) {
        Node.Builder b = Node.builder(n.opType()).name(n.name()).domain(n.domain()).docString(n.docString())
                .inputs(inputs).outputs(output);
        for (Attribute a : n.attributes().values()) b.attribute(a);
        return b;
    }
}
