package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.ops.quant.QGemm;
import dev.edgerun.runtime.ops.quant.QLinearAdd;
import dev.edgerun.runtime.ops.quant.QLinearConv;
import dev.edgerun.runtime.ops.quant.QLinearGlobalAveragePool;
import dev.edgerun.runtime.ops.quant.QLinearMaxPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Integer execution of QDQ graphs (as static quantizers write them): rewrites
 * <pre>
 *   DQ(x_q, sx, zx) ─► Conv(W = DQ(w_q, sw), B = DQ(b_q, sb)) ─► [Relu | Clip(a, b)] ─► Q(sy, zy)
 *   DQ(a_q, sa, za) ─► MatMul(B = DQ(b_q, sb, zb))                                    ─► Q(sy, zy)
 * </pre>
 * into one {@code QLinearConv} (the activation becomes the clamp {@link QLinearConv#OUTPUT_MIN_ATTR}
 * .. {@link QLinearConv#OUTPUT_MAX_ATTR} in the quantized domain, exact because quantization is
 * monotonic) or one {@code QLinearMatMul}, whose output is the Q's output; and
 * {@code Q([Relu | Clip](Add(DQ(a), DQ(b))))} into one {@link QLinearAdd} (same float32 arithmetic,
 * same bytes); {@code Q(Relu(DQ(x)))} and {@code Q(LeakyRelu(DQ(x)))} into one {@code QLinearLeakyRelu}
 * and {@code Q(MaxPool(DQ(x)))} into one {@link QLinearMaxPool}, both computing each element as
 * the three nodes do (the same bytes); {@code Q(GlobalAveragePool(DQ(x)))} into one
 * {@link QLinearGlobalAveragePool} (exact integer sums: within one step); and a float-output {@code Gemm(DQ(a), DQ(w), DQ(c))} (a
 * classifier) into one {@link QGemm}, exact int32 sums on the 8-bit weights, then one float32
 * scaling: the QDQ graph's value up to float32 rounding, with a quarter of the weights' bytes
 * (when, see {@link #fusesGemms}).
 * <p>
 * Applies only when the result is what the float graph computes up to rounding: x, y (and a)
 * quantized per tensor with constant scales and zero points; constant int8 weights, per tensor or
 * per output channel (Conv: zero point 0; MatMul: per column); a constant int32 bias whose scale
 * (a constant, or a Mul of constants) is exactly {@code sx * sw} in float32; the Conv's and the
 * activation's outputs read by nothing else and not graph outputs. A DQ still read elsewhere (a
 * residual Add reading the block input) stays; those no longer read are removed.
 */
final class QdqFusion {
    /** {@value}: {@code on} fuses DequantizeLinear'd Gemms always, {@code off} never; see {@link #fusesGemms}. */
    static final String GEMM_PROPERTY = "edgerun.qdq.gemm";

    /**
     * The rewritten graph, what was fused ({@code fusedMatMuls}: QLinearMatMul and QGemm), and the
     * tensors created here (zero points), owned by the session.
     */
    record Result(Graph graph, int fusedConvs, int fusedMatMuls, int fusedAdds, int fusedElementwise, List<Tensor> created) {}

    /** A constant input of a QLinear node. */
    private record Operand(String name, Tensor value) {}

    /** Q's output type and zero point; {@code name} null when the Q has none (uint8, 0). */
    private record OutputZero(String name, DType type, int value) {}

    /** The int32 constant behind a bias's DequantizeLinear, its scale and zero point (null: absent). */
    private record Bias(String quantized, float[] scale, Tensor zero) {}

    /** A dequantized input: the quantized value, its scale and zero point (zero may be null: absent). */
    private record Dequantized(int node, String quantized, Operand scale, Operand zero) {}

    private final Graph graph;
    private final long opset;
    private final List<Node> nodes;                                // null: removed
    private final Map<String, Tensor> initializers;
    private final GraphUses scan;   // uses, constants, pinned and taken names, kept current by the rewrites
    private final List<Tensor> created = new ArrayList<>();
    private int fusedConvs;
    private int fusedMatMuls;
    private int fusedAdds;
    private int fusedElementwise;   // QLinearLeakyRelu, QLinearMaxPool and QLinearGlobalAveragePool

    private QdqFusion(Graph graph, long opset) {
        this.graph = graph;
        this.opset = opset;
        this.nodes = new ArrayList<>(graph.nodes());
        this.initializers = new java.util.LinkedHashMap<>(graph.initializers());
        this.scan = new GraphUses(graph, nodes);
    }

    /** Fuses the QDQ patterns of {@code graph}, a main graph whose default ONNX opset is {@code opset}. */
    static Result fuse(Graph graph, long opset) {
        if (graph.nodes().stream().noneMatch(n -> n.opType().equals("QuantizeLinear"))) return new Result(graph, 0, 0, 0, 0, List.of());
        QdqFusion f = new QdqFusion(graph, opset);
        for (int i = 0; i < f.nodes.size(); i++) {
            Node n = f.nodes.get(i);
            if (n != null && n.opType().equals("QuantizeLinear") && n.domain().isEmpty()) f.tryFuse(i);
        }
        if (fusesGemms()) {
            for (int i = 0; i < f.nodes.size(); i++) {
                Node n = f.nodes.get(i);
                if (n != null && n.opType().equals("Gemm") && n.domain().isEmpty()) f.fuseGemm(i);
            }
        }
        if (f.fusedConvs + f.fusedMatMuls + f.fusedAdds + f.fusedElementwise == 0) return new Result(graph, 0, 0, 0, 0, List.of());
        Graph.Builder b = graph.toBuilder().clearNodes().nodes(f.nodes.stream().filter(n -> n != null).toList());
        for (String name : graph.initializers().keySet()) if (!f.initializers.containsKey(name)) b.removeInitializer(name);
        for (var e : f.initializers.entrySet()) b.initializer(e.getKey(), e.getValue());
        return new Result(b.build(), f.fusedConvs, f.fusedMatMuls, f.fusedAdds, f.fusedElementwise, List.copyOf(f.created));
    }

    /**
     * Whether DequantizeLinear'd Gemms become {@link QGemm}: by default only where no native kernel
     * library (oneDNN, XNNPACK) is selected and available, that is where the float Gemm would run
     * on the Java kernels too. A large classifier's float Gemm goes to oneDNN because the Java
     * kernels' Vector API loops run boxed until the JIT has compiled them, and QGemm's do too:
     * mobilenet_v2's 1000 x 1280 took 270-300 ms in each of its first three runs and about 1.6 s
     * over its first 30 in a fresh JVM (load ~9), for a steady-state gain of about 50 us per run
     * (QGemm 31 us in cache, 57-62 us from memory, against the float Gemm's 81 us).
     */
    static boolean fusesGemms() {
        String v = System.getProperty(GEMM_PROPERTY, "").trim();
        if (v.equals("on") || v.equals("off")) return v.equals("on");
        KernelSelection selection = KernelSelection.defaults();
        return selection.provider("onednn").isEmpty() && selection.provider("xnnpack").isEmpty();
    }

    // ---------------------------------------------------------------- matching

    private void tryFuse(int qi) {
        Node q = nodes.get(qi);
        Operand ys = scale(q, 1);
        OutputZero yz = outputZero(q);
        if (ys == null || yz == null || ys.value().elementCount() != 1 || blocked(q)) return;
        int p = soleProducer(q.inputs().get(0), qi);
        if (p < 0) return;
        if (fuseLeakyRelu(p, qi, ys, yz) || fuseMaxPool(p, qi, ys, yz) || fuseGlobalAveragePool(p, qi, ys, yz)) return;
        int act = -1;
        if (nodes.get(p).opType().equals("Relu") || nodes.get(p).opType().equals("Clip")) {
            act = p;
            p = soleProducer(nodes.get(act).inputs().get(0), act);
            if (p < 0) return;
        }
        Node op = nodes.get(p);
        if (op.outputs().size() != 1) return;
        if (op.opType().equals("Conv")) fuseConv(p, act, qi, ys, yz);
        else if (op.opType().equals("MatMul") && act < 0) fuseMatMul(p, qi, ys, yz);
        else if (op.opType().equals("Add")) fuseAdd(p, act, qi, ys, yz);
    }

    /** The default-domain node that produces {@code value}, read only by node {@code reader}; -1 otherwise. */
    private int soleProducer(String value, int reader) {
        Integer p = scan.producer.get(value);
        if (p == null || nodes.get(p) == null || !nodes.get(p).domain().isEmpty()) return -1;
        if (scan.pinned.contains(value) || scan.uses.getOrDefault(value, 0) != 1 || scan.consumer.get(value) != reader) return -1;
        return p;
    }

    /** Fuses the Conv at {@code ci}, the activation at {@code act} (-1: none) and the Q at {@code qi}, when the conditions hold. */
    private void fuseConv(int ci, int act, int qi, Operand ys, OutputZero yz) {
        Node conv = nodes.get(ci);
        if (conv.inputs().size() < 2) return;
        Dequantized x = activation(conv.inputs().get(0));
        Dequantized w = weights(conv.inputs().get(1), 0, true);
        if (x == null || w == null) return;
        Tensor wq = scan.constants.get(w.quantized());
        long channels = wq.shape().dim(0);
        if (wq.shape().rank() < 3 || wq.shape().rank() > 5 || !perChannel(w, channels)) return;
        String bias = conv.inputs().size() > 2 && !conv.inputs().get(2).isEmpty() ? conv.inputs().get(2) : null;
        String bq = bias == null ? null : quantizedBias(bias, x.scale().value(), w.scale().value(), channels);
        if (bias != null && bq == null) return;
        long[] clamp = act < 0 ? null : clamp(nodes.get(act), ys.value().getFloat(0), yz.value(), yz.type());
        if (act >= 0 && clamp == null) return;

        List<String> inputs = new ArrayList<>(List.of(x.quantized(), x.scale().name(), x.zero().name(),
                w.quantized(), w.scale().name(),
                w.zero() == null ? createZero(conv.name() + "_w_zero_point", DType.INT8) : w.zero().name(),
                ys.name(), zeroName(yz, nodes.get(qi))));
        if (bq != null) inputs.add(bq);
        Node.Builder b = Node.builder("QLinearConv").name(conv.name()).docString(conv.docString())
                .inputs(inputs).outputs(nodes.get(qi).outputs().get(0));
        for (Attribute a : conv.attributes().values()) b.attribute(a);
        if (clamp != null) b.attribute(QLinearConv.OUTPUT_MIN_ATTR, clamp[0]).attribute(QLinearConv.OUTPUT_MAX_ATTR, clamp[1]);
        replace(qi, b.build(), ci, act);
        fusedConvs++;
    }

    private void fuseMatMul(int mi, int qi, Operand ys, OutputZero yz) {
        Node mm = nodes.get(mi);
        if (mm.inputs().size() != 2) return;
        Dequantized a = activation(mm.inputs().get(0));
        Dequantized bw = weights(mm.inputs().get(1), 1, false);
        if (a == null || bw == null) return;
        Tensor bq = scan.constants.get(bw.quantized());
        if (bq.shape().rank() != 2 || !perChannel(bw, bq.shape().dim(1))) return;
        String zb = bw.zero() == null ? createZero(mm.name() + "_b_zero_point", bq.dtype()) : bw.zero().name();
        List<String> inputs = List.of(a.quantized(), a.scale().name(), a.zero().name(), bw.quantized(), bw.scale().name(),
                zb, ys.name(), zeroName(yz, nodes.get(qi)));
        Node n = Node.builder("QLinearMatMul").name(mm.name()).docString(mm.docString())
                .inputs(inputs).outputs(nodes.get(qi).outputs().get(0)).build();
        replace(qi, n, mi, -1);
        fusedMatMuls++;
    }

    /**
     * Fuses the Gemm at {@code gi}, {@code alpha * DQ(a) . op(DQ(w)) + beta * DQ(c)} with alpha and
     * beta 1, transA 0, w constant 8-bit per tensor or per output column, and c (if any) the int32
     * bias of scale {@code sa * sw}, into one {@link QGemm} with float output under the Gemm's name.
     */
    private void fuseGemm(int gi) {
        Node gemm = nodes.get(gi);
        if (gemm.inputs().size() < 2 || gemm.outputs().size() != 1) return;
        if (intOrZero(gemm, "transA") != 0 || floatOrOne(gemm, "alpha") != 1f || floatOrOne(gemm, "beta") != 1f) return;
        boolean transB = intOrZero(gemm, "transB") != 0;
        Dequantized a = activation(gemm.inputs().get(0));
        Dequantized w = weights(gemm.inputs().get(1), transB ? 0 : 1, false);
        if (a == null || w == null) return;
        Tensor wq = scan.constants.get(w.quantized());
        if (wq.shape().rank() != 2) return;
        long n = wq.shape().dim(transB ? 0 : 1);
        if (!perChannel(w, n)) return;
        String c = gemm.inputs().size() > 2 && !gemm.inputs().get(2).isEmpty() ? gemm.inputs().get(2) : null;
        String cq = c == null ? null : quantizedBias(c, a.scale().value(), w.scale().value(), n);
        if (c != null && cq == null) return;
        List<String> inputs = new ArrayList<>(List.of(a.quantized(), a.scale().name(), a.zero().name(), w.quantized(),
                w.scale().name(), w.zero() == null ? createZero(gemm.name() + "_b_zero_point", wq.dtype()) : w.zero().name()));
        if (cq != null) inputs.add(cq);
        Node.Builder b = Node.builder("QGemm").domain(QLinearAdd.DOMAIN).name(gemm.name()).docString(gemm.docString())
                .inputs(inputs).outputs(gemm.outputs().get(0));
        if (transB) b.attribute("transB", 1L);
        Node fused = b.build();
        scan.count(gemm, gi, -1);
        nodes.set(gi, fused);
        scan.count(fused, gi, +1);
        for (String in : gemm.inputs()) release(in);
        fusedMatMuls++;
    }

    private static long intOrZero(Node n, String name) {
        Attribute a = n.attribute(name);
        return a == null ? 0 : a.asInt();
    }

    private static float floatOrOne(Node n, String name) {
        Attribute a = n.attribute(name);
        return a == null ? 1f : a.asFloat();
    }

    /**
     * Fuses {@code Q(act?(Add(DQ(a), DQ(b))))} (residual connections) into one {@link QLinearAdd}
     * of the 8-bit inputs, which computes what the three nodes compute in float32, so the bytes do
     * not change; the activation becomes a clamp as for convolutions.
     */
    private void fuseAdd(int ai, int act, int qi, Operand ys, OutputZero yz) {
        Node add = nodes.get(ai);
        if (add.inputs().size() != 2) return;
        Dequantized a = activation(add.inputs().get(0));
        Dequantized b = activation(add.inputs().get(1));
        if (a == null || b == null) return;
        long[] clamp = act < 0 ? null : clamp(nodes.get(act), ys.value().getFloat(0), yz.value(), yz.type());
        if (act >= 0 && clamp == null) return;
        List<String> inputs = List.of(a.quantized(), a.scale().name(), a.zero().name(), b.quantized(), b.scale().name(),
                b.zero().name(), ys.name(), zeroName(yz, nodes.get(qi)));
        Node.Builder n = Node.builder("QLinearAdd").domain(QLinearAdd.DOMAIN).name(add.name()).docString(add.docString())
                .inputs(inputs).outputs(nodes.get(qi).outputs().get(0));
        if (clamp != null) n.attribute(QLinearConv.OUTPUT_MIN_ATTR, clamp[0]).attribute(QLinearConv.OUTPUT_MAX_ATTR, clamp[1]);
        replace(qi, n.build(), ai, act);
        fusedAdds++;
    }

    /**
     * Fuses {@code Q(Relu(DQ(x)))} or {@code Q(LeakyRelu(DQ(x)))} (the activation at {@code ai})
     * into one QLinearLeakyRelu (Relu: alpha 0); returns whether it did.
     */
    private boolean fuseLeakyRelu(int ai, int qi, Operand ys, OutputZero yz) {
        Node act = nodes.get(ai);
        boolean relu = act.opType().equals("Relu");
        if (!relu && !act.opType().equals("LeakyRelu") || act.inputs().size() != 1 || act.outputs().size() != 1) return false;
        Dequantized x = activation(act.inputs().get(0));
        if (x == null) return false;
        float alpha = relu ? 0f : act.attribute("alpha") == null ? 0.01f : act.attribute("alpha").asFloat();
        List<String> inputs = List.of(x.quantized(), x.scale().name(), x.zero().name(), ys.name(), zeroName(yz, nodes.get(qi)));
        Node n = Node.builder("QLinearLeakyRelu").domain(QLinearAdd.DOMAIN).name(act.name()).docString(act.docString())
                .inputs(inputs).outputs(nodes.get(qi).outputs().get(0)).attribute("alpha", alpha).build();
        replace(qi, n, ai, -1);
        fusedElementwise++;
        return true;
    }

    /**
     * Fuses {@code Q(MaxPool(DQ(x)))} (the MaxPool at {@code mi}: 2-D, no Indices, no ceil mode or
     * auto_pad, pads smaller than the dilated kernel) into one {@link QLinearMaxPool} when x's
     * scale is positive (then the max of the dequantized values is the dequantized max); returns
     * whether it did.
     */
    private boolean fuseMaxPool(int mi, int qi, Operand ys, OutputZero yz) {
        Node pool = nodes.get(mi);
        if (!pool.opType().equals("MaxPool") || pool.inputs().size() != 1 || pool.outputs().size() != 1) return false;
        Attribute autoPad = pool.attribute("auto_pad"), ceil = pool.attribute("ceil_mode");
        if (autoPad != null && !autoPad.asString().equals("NOTSET") || ceil != null && ceil.asInt() != 0) return false;
        long[] k = ints(pool, "kernel_shape", null), d = ints(pool, "dilations", new long[] {1, 1});
        long[] pads = ints(pool, "pads", new long[] {0, 0, 0, 0});
        if (k == null || k.length != 2 || d.length != 2 || pads.length != 4) return false;
        for (int i = 0; i < 4; i++) if (pads[i] < 0 || pads[i] >= (k[i % 2] - 1) * d[i % 2] + 1) return false;
        Dequantized x = activation(pool.inputs().get(0));
        if (x == null) return false;
        float sx = x.scale().value().getFloat(0);
        if (!(sx > 0) || Float.isInfinite(sx)) return false;
        List<String> inputs = List.of(x.quantized(), x.scale().name(), x.zero().name(), ys.name(), zeroName(yz, nodes.get(qi)));
        Node.Builder n = Node.builder("QLinearMaxPool").domain(QLinearMaxPool.DOMAIN).name(pool.name()).docString(pool.docString())
                .inputs(inputs).outputs(nodes.get(qi).outputs().get(0));
        for (String a : List.of("kernel_shape", "strides", "pads", "dilations")) {
            if (pool.attribute(a) != null) n.attribute(pool.attribute(a));
        }
        replace(qi, n.build(), mi, -1);
        fusedElementwise++;
        return true;
    }

    /** {@value}: {@code off} leaves {@code Q(GlobalAveragePool(DQ(x)))} unfused (for comparisons); read when a graph is fused. */
    static final String GLOBAL_AVERAGE_POOL_PROPERTY = "edgerun.qdq.globalAveragePool";

    /**
     * Fuses {@code Q(GlobalAveragePool(DQ(x)))} (the pool at {@code gi}) into one
     * {@link QLinearGlobalAveragePool} when x's scale and y's are positive and finite; returns
     * whether it did. Within one step of the three nodes (exact integer sums, one rounding), not
     * the same bytes. MobileNetV2's 1280 x 7 x 7 head: DequantizeLinear 8.0 us and the float pool
     * 7.1 us per run at 2 threads (ProfMin minimums, session 14 reference).
     */
    private boolean fuseGlobalAveragePool(int gi, int qi, Operand ys, OutputZero yz) {
        Node pool = nodes.get(gi);
        if (!pool.opType().equals("GlobalAveragePool") || pool.inputs().size() != 1 || pool.outputs().size() != 1
                || "off".equals(System.getProperty(GLOBAL_AVERAGE_POOL_PROPERTY))) {
            return false;
        }
        Dequantized x = activation(pool.inputs().get(0));
        if (x == null) return false;
        float sx = x.scale().value().getFloat(0), sy = ys.value().getFloat(0);
        if (!(sx > 0) || Float.isInfinite(sx) || !(sy > 0) || Float.isInfinite(sy)) return false;
        List<String> inputs = List.of(x.quantized(), x.scale().name(), x.zero().name(), ys.name(), zeroName(yz, nodes.get(qi)));
        replace(qi, Node.builder("QLinearGlobalAveragePool").domain(QLinearMaxPool.DOMAIN).name(pool.name())
                .docString(pool.docString()).inputs(inputs).outputs(nodes.get(qi).outputs().get(0)).build(), gi, -1);
        fusedElementwise++;
        return true;
    }

    private static long[] ints(Node n, String name, long[] dflt) {
        Attribute a = n.attribute(name);
        return a == null ? dflt : a.asInts();
    }

    /** The per-tensor DequantizeLinear producing {@code value} (from a non-constant 8-bit tensor), or null. */
    private Dequantized activation(String value) {
        Dequantized d = dequantized(value);
        if (d == null || scan.constants.containsKey(d.quantized()) || d.zero() == null || !perTensor(d.scale(), d.zero())) return null;
        DType t = d.zero().value().dtype();
        return t == DType.INT8 || t == DType.UINT8 ? d : null;
    }

    /**
     * The DequantizeLinear producing {@code value} from a constant 8-bit tensor, with a scale per
     * tensor or along {@code axis}, or null. {@code symmetric}: int8 with zero point 0 only.
     */
    private Dequantized weights(String value, int axis, boolean symmetric) {
        Dequantized d = dequantized(value);
        if (d == null) return null;
        Tensor q = scan.constants.get(d.quantized());
        if (q == null || (symmetric ? q.dtype() != DType.INT8 : q.dtype() != DType.INT8 && q.dtype() != DType.UINT8)) return null;
        if (d.zero() != null && (d.zero().value().dtype() != q.dtype() || symmetric && !allZero(d.zero().value()))) return null;
        Node dq = nodes.get(d.node());
        long declared = dq.attribute("axis") == null ? 1 : dq.attribute("axis").asInt();
        boolean onAxis = declared == axis || declared == axis - q.shape().rank();
        if (d.scale().value().elementCount() > 1 && !onAxis) return null;
        return d;
    }

    /** The default-domain DequantizeLinear producing {@code value} with constant float32 scale and zero point (if any), or null. */
    private Dequantized dequantized(String value) {
        Integer p = scan.producer.get(value);
        if (p == null) return null;
        Node dq = nodes.get(p);
        if (dq == null || !dq.opType().equals("DequantizeLinear") || !dq.domain().isEmpty() || blocked(dq)) return null;
        Operand s = scale(dq, 1);
        if (s == null) return null;
        Operand z = null;
        if (dq.inputs().size() > 2 && !dq.inputs().get(2).isEmpty()) {
            z = constant(dq.inputs().get(2));
            if (z == null || z.value().elementCount() != s.value().elementCount()) return null;
        }
        return new Dequantized(p, dq.inputs().get(0), s, z);
    }

    /** Scales and zero points of one output channel each, or per tensor. */
    private static boolean perChannel(Dequantized d, long channels) {
        long n = d.scale().value().elementCount();
        return (n == 1 || n == channels && d.scale().value().shape().rank() == 1)
                && (d.zero() == null || d.zero().value().elementCount() == n);
    }

    private static boolean perTensor(Operand scale, Operand zero) {
        return scale.value().elementCount() == 1 && zero.value().elementCount() == 1;
    }

    /** Q/DQ with blocked quantization (opset 21 {@code block_size}) are left alone. */
    private static boolean blocked(Node n) {
        Attribute a = n.attribute("block_size");
        return a != null && a.asInt() != 0;
    }

    private Operand scale(Node n, int i) {
        if (n.inputs().size() <= i || n.inputs().get(i).isEmpty()) return null;
        Operand s = constant(n.inputs().get(i));
        return s != null && s.value().dtype() == DType.FLOAT ? s : null;
    }

    /** Q's constant 8-bit zero point (one element), or uint8 0 when it has none (ONNX's default); null otherwise. */
    private OutputZero outputZero(Node q) {
        if (q.inputs().size() > 2 && !q.inputs().get(2).isEmpty()) {
            Operand z = constant(q.inputs().get(2));
            DType t = z == null ? null : z.value().dtype();
            if (t != DType.INT8 && t != DType.UINT8 || z.value().elementCount() != 1) return null;
            return new OutputZero(z.name(), t, (int) z.value().getAsLong(0));
        }
        return q.attribute("output_dtype") != null ? null : new OutputZero(null, DType.UINT8, 0);
    }

    /** The name of Q's zero point, created when it has none. */
    private String zeroName(OutputZero z, Node q) {
        return z.name() != null ? z.name() : createZero(q.outputs().get(0) + "_zero_point", z.type());
    }

    private Operand constant(String name) {
        Tensor t = scan.constants.get(name);
        return t == null ? null : new Operand(name, t);
    }

    // ---------------------------------------------------------------- bias and activation

    /**
     * The int32 constant behind the bias's DequantizeLinear when its scale is exactly
     * {@code sx * sw} (float32 products, per channel), so that adding it to the accumulator
     * equals adding the dequantized bias; null otherwise.
     */
    private String quantizedBias(String bias, Tensor sx, Tensor sw, long channels) {
        Bias d = dequantizedBias(bias);
        if (d == null) return null;
        Tensor b = scan.constants.get(d.quantized());
        if (b == null || b.dtype() != DType.INT32 || b.shape().rank() != 1 || b.elementCount() != channels) return null;
        if (d.zero() != null && !allZero(d.zero())) return null;
        float[] sb = d.scale();
        if (sb.length != 1 && sb.length != channels) return null;
        float x = sx.getFloat(0);
        for (int c = 0; c < channels; c++) {
            float expected = x * sw.getFloat(sw.elementCount() == 1 ? 0 : c);
            if (Float.floatToIntBits(sb[sb.length == 1 ? 0 : c]) != Float.floatToIntBits(expected)) return null;
        }
        return d.quantized();
    }

    /** The bias's DequantizeLinear, whose scale may also be a Mul of two float32 constants; null otherwise. */
    private Bias dequantizedBias(String value) {
        Dequantized d = dequantized(value);
        if (d != null) return new Bias(d.quantized(), d.scale().value().toFloatArray(), d.zero() == null ? null : d.zero().value());
        Integer p = scan.producer.get(value);
        Node dq = p == null ? null : nodes.get(p);
        if (dq == null || !dq.opType().equals("DequantizeLinear") || !dq.domain().isEmpty() || blocked(dq)) return null;
        if (dq.inputs().size() < 2 || dq.inputs().size() > 2 && !dq.inputs().get(2).isEmpty()) return null;
        float[] product = constantProduct(dq.inputs().get(1));
        return product == null ? null : new Bias(dq.inputs().get(0), product, null);
    }

    /** The value of a default-domain Mul of two float32 constants (one of them may have one element), or null. */
    private float[] constantProduct(String value) {
        Integer p = scan.producer.get(value);
        Node mul = p == null ? null : nodes.get(p);
        if (mul == null || !mul.opType().equals("Mul") || !mul.domain().isEmpty() || mul.inputs().size() != 2) return null;
        Tensor a = scan.constants.get(mul.inputs().get(0)), b = scan.constants.get(mul.inputs().get(1));
        if (a == null || b == null || a.dtype() != DType.FLOAT || b.dtype() != DType.FLOAT) return null;
        long n = Math.max(a.elementCount(), b.elementCount());
        if (a.elementCount() != n && a.elementCount() != 1 || b.elementCount() != n && b.elementCount() != 1) return null;
        float[] r = new float[(int) n];
        for (int i = 0; i < n; i++) r[i] = a.getFloat(a.elementCount() == 1 ? 0 : i) * b.getFloat(b.elementCount() == 1 ? 0 : i);
        return r;
    }

    /**
     * The activation as a clamp {lo, hi} of the quantized output: Relu is [Q(0), qmax], Clip(a, b)
     * is [Q(a), Q(b)], with Q rounding exactly as QuantizeLinear does; null when not constant.
     */
    private long[] clamp(Node act, float ys, int zy, DType yType) {
        if (act.outputs().size() != 1) return null;
        float lo, hi;
        if (act.opType().equals("Relu")) {
            if (act.inputs().size() != 1) return null;
            lo = 0;
            hi = Float.POSITIVE_INFINITY;
        } else {
            float[] bounds = scan.clipBounds(act, opset);
            if (bounds == null || Float.isNaN(bounds[0]) || Float.isNaN(bounds[1]) || bounds[0] > bounds[1]) return null;
            lo = bounds[0];
            hi = bounds[1];
        }
        return new long[] {quantize(lo, ys, zy, yType), quantize(hi, ys, zy, yType)};
    }

    /** QuantizeLinear of one float: {@code saturate(rint(v / scale) + zero)}, the division in float32. */
    static long quantize(float v, float scale, int zero, DType type) {
        long qmin = type == DType.INT8 ? -128 : 0, qmax = type == DType.INT8 ? 127 : 255;
        float q = v / scale;
        if (q == Float.NEGATIVE_INFINITY) return qmin;
        if (q == Float.POSITIVE_INFINITY) return qmax;
        return (long) Math.max(qmin, Math.min(qmax, Math.rint(q) + zero));
    }

    private static boolean allZero(Tensor t) {
        for (long i = 0; i < t.elementCount(); i++) if (t.getAsLong(i) != 0) return false;
        return true;
    }

    // ---------------------------------------------------------------- editing

    /** Puts {@code fused} in place of the Q at {@code qi} (all its inputs exist there), removes the op and activation. */
    private void replace(int qi, Node fused, int op, int act) {
        List<Integer> removed = new ArrayList<>(List.of(qi, op));
        if (act >= 0) removed.add(act);
        List<Node> old = new ArrayList<>();
        for (int r : removed) {
            old.add(nodes.get(r));
            scan.count(nodes.get(r), r, -1);
            nodes.set(r, null);
        }
        nodes.set(qi, fused);
        scan.count(fused, qi, +1);
        scan.producer.put(fused.outputs().get(0), qi);
        for (Node n : old) for (String in : n.inputs()) release(in);
    }

    /**
     * Once nothing reads {@code value}: removes its producer when that is a DequantizeLinear, Mul
     * or Constant (and so on up), or the initializer.
     */
    private void release(String value) {
        if (value.isEmpty() || scan.uses.getOrDefault(value, 0) > 0 || scan.pinned.contains(value) || scan.graphInputs.contains(value)) return;
        Integer p = scan.producer.get(value);
        if (p == null) {
            initializers.remove(value);
            return;
        }
        Node n = nodes.get(p);
        if (n == null || !n.domain().isEmpty() || n.outputs().size() != 1 || !n.outputs().get(0).equals(value)) return;
        if (!List.of("DequantizeLinear", "Mul", "Constant").contains(n.opType())) return;
        scan.count(n, p, -1);
        nodes.set(p, null);
        for (String in : n.inputs()) release(in);
    }

    /** A new int8/uint8 zero (one element) initializer, owned by the session. */
    private String createZero(String base, DType type) {
        String name = base;
        for (int k = 1; scan.names.contains(name); k++) name = base + "_" + k;
        scan.names.add(name);
        Tensor t = Tensor.of(type, new byte[] {0});
        created.add(t);
        initializers.put(name, t);
        scan.constants.put(name, t);
        return name;
    }
}
