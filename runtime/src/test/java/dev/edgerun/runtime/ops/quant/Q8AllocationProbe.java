package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints the heap bytes per {@link Session#run(Map, Map)} of a small static int8 (QDQ) graph on the
 * Java kernels at 1 and 2 threads, one line "NAME BYTES" each; run in a JVM of its own by
 * {@link Q8AllocationTest}. The graph's sizes put every fused 8-bit operator above its threading
 * threshold, so that at 2 threads each one splits its work: QuantizeLinear and DequantizeLinear,
 * QLinearConv (3x3 through padded columns and 1x1 pointwise, both fused requantization),
 * QLinearAdd with Relu, QLinearMaxPool, and a standalone Relu (QLinearLeakyRelu); a second input
 * goes through a 3x3 QLinearConv deep and wide enough for the Winograd kernel (Q8Winograd) and a
 * QLinearGlobalAveragePool, a
 * third through a classifier Gemm (QGemm, its columns split at 2 threads).
 */
public final class Q8AllocationProbe {
    static final List<String> NAMES = List.of("qdq-block-1t", "qdq-block-2t");
    /** The 2-thread run with oneDNN's kernels forced: its 8-bit convolutions between two others split by rows (DnnlQ8RowSplitConv). */
    static final String ONEDNN_NAME = "qdq-block-onednn-2t";
    private static final int WARM_UP_RUNS = 20_000;
    private static final int WINDOW = 200;
    private static final long BUDGET_NANOS = 60_000_000_000L; // see OwnJvmProbe: a loaded machine delays the JIT
    // the least that puts each operator over its threshold: 17 x 64 x 64 > 65536 elements, conv1 2 x 9 x 17 x 4096 and
    // conv2 17 x 17 x 4096 multiply-adds over 2^20 (F32Gemm.PARALLEL_MIN_MACS)
    private static final int C = 17, H = 64, W = 64, IN = 2;
    // the Winograd branch: 34 x 9 > 300 deep, 33 > 32 outputs, 14 x 14 (F32Winograd.preferred's bounds)
    private static final int WIN_IN = 34, WIN_OUT = 33, WIN_SIDE = 14;
    // the classifier: 600 x 500 multiply-adds over 2^18 (QGemm.PARALLEL_MACS)
    private static final int FC_IN = 600, FC_OUT = 500;

    private Q8AllocationProbe() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("onednn")) {
            System.setProperty("edgerun.kernels", "onednn");
            System.setProperty("edgerun.onednn.adaptiveThreads", "off"); // every run splits, none is timed
            probeChain(ONEDNN_NAME, 2);
            return;
        }
        System.setProperty("edgerun.kernels", "java");
        boolean all = args.length == 0; // an argument "1" or "2" probes that thread count alone (for profiling)
        if (all || args[0].equals("1")) probe(NAMES.get(0), 1);
        if (all || args[0].equals("2")) probe(NAMES.get(1), 2);
    }

    private static void probe(String name, int threads) {
        List<Tensor> owned = new ArrayList<>();
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (Model model = block(owned);
             Session s = Edgerun.session(model, options);
             Tensor x = Tensor.of(values(IN * H * W, 0.9f), 1, IN, H, W);
             Tensor z = Tensor.of(values(WIN_IN * WIN_SIDE * WIN_SIDE, 0.8f), 1, WIN_IN, WIN_SIDE, WIN_SIDE);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, C, H, W);
             Tensor p = Tensor.allocate(DType.FLOAT, 1, C, H / 2, W / 2);
             Tensor v = Tensor.allocate(DType.FLOAT, 1, WIN_OUT, WIN_SIDE, WIN_SIDE);
             Tensor f = Tensor.of(values(FC_IN, 0.7f), 1, FC_IN);
             Tensor logits = Tensor.allocate(DType.FLOAT, 1, FC_OUT)) {
            System.out.println(name + " " + bytesPerRun(s, Map.of("x", x, "z", z, "f", f),
                    Map.of("y", y, "p", p, "v", v, "logits", logits)));
        }
    }

    /** The 8-bit convolution chain of {@link #chain} at {@code threads} threads. */
    private static void probeChain(String name, int threads) {
        List<Tensor> owned = new ArrayList<>();
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (Model model = chain(owned);
             Session s = Edgerun.session(model, options);
             Tensor x = Tensor.of(values(IN * H * W, 0.9f), 1, IN, H, W);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, C, H, W)) {
            System.out.println(name + " " + bytesPerRun(s, Map.of("x", x), Map.of("y", y)));
        }
    }

    /** The fewest bytes per run over windows of 200 runs after warm-up, until a window allocates nothing or 60 s pass. */
    private static long bytesPerRun(Session s, Map<String, Tensor> in, Map<String, Tensor> out) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < WARM_UP_RUNS; i++) s.run(in, out);
        long id = Thread.currentThread().threadId();
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + BUDGET_NANOS;
        while (least > 0 && System.nanoTime() < deadline) {
            long before = bean.getThreadAllocatedBytes(id);
            for (int i = 0; i < WINDOW; i++) s.run(in, out);
            least = Math.min(least, (bean.getThreadAllocatedBytes(id) - before) / WINDOW);
        }
        return least;
    }

    /**
     * x[1,2,64,64] -> Q -> DQ -> Conv 3x3 (17, pads 1) -> Relu -> Q -> DQ = r -> depthwise Conv 3x3 (pads 1)
     * -> Q -> DQ -> Conv 1x1 (17) -> Q -> DQ -> Add(r, .) -> Q -> DQ -> Relu -> Q -> DQ = y[1,17,64,64]; the Relu's Q -> DQ -> MaxPool 2x2
     * stride 2 -> Q -> DQ = p[1,17,32,32]; z[1,34,14,14] -> Q -> DQ -> Conv 3x3 (33, pads 1) -> Relu -> Q -> DQ
     * = v[1,33,14,14] -> GlobalAveragePool -> Q -> DQ = m[1,33,1,1]; f[1,600] -> Q -> DQ -> Gemm (transB, 500) = logits[1,500]. uint8 activations,
     * per-channel int8 weights, int32 biases.
     */
    static Model block(List<Tensor> owned) {
        Graph.Builder g = Graph.builder("q8block");
        g.input(Value.tensor("x", DType.FLOAT, 1, IN, H, W));
        String x = qdq(g, owned, "x", 2f / 255, 128, "x_dq");
        conv(g, owned, "conv1", x, IN, C, 3, 1, 1f / 255 * 2, "c1");
        g.node("Relu", List.of("c1"), List.of("r1"));
        String r = qdq(g, owned, "r1", 3f / 255, 0, "r1_dq");
        conv(g, owned, "dw", r, C, C, 3, C, 3f / 255, "d1");
        String d = qdq(g, owned, "d1", 4f / 255, 110, "d1_dq");
        conv(g, owned, "conv2", d, C, C, 1, 1, 4f / 255, "c2");
        String c2 = qdq(g, owned, "c2", 4f / 255, 120, "c2_dq");
        g.node("Add", List.of(r, c2), List.of("sum"));
        String sum = qdq(g, owned, "sum", 6f / 255, 100, "sum_dq");
        g.node("Relu", List.of(sum), List.of("act"));
        String act = qdq(g, owned, "act", 5f / 255, 0, "y");
        g.node(Node.builder("MaxPool").inputs(act).outputs("pool")
                .attribute("kernel_shape", new long[] {2, 2}).attribute("strides", new long[] {2, 2}).build());
        qdq(g, owned, "pool", 5f / 255, 0, "p");
        g.input(Value.tensor("z", DType.FLOAT, 1, WIN_IN, WIN_SIDE, WIN_SIDE));
        String z = qdq(g, owned, "z", 1.6f / 255, 128, "z_dq");
        conv(g, owned, "winograd", z, WIN_IN, WIN_OUT, 3, 1, 1.6f / 255, "c3");
        g.node("Relu", List.of("c3"), List.of("r3"));
        qdq(g, owned, "r3", 4f / 255, 0, "v");
        g.node("GlobalAveragePool", List.of("v"), List.of("gap"));
        qdq(g, owned, "gap", 2f / 255, 0, "m");
        g.output(Value.tensor("y", DType.FLOAT, 1, C, H, W));
        g.output(Value.tensor("p", DType.FLOAT, 1, C, H / 2, W / 2));
        g.output(Value.tensor("v", DType.FLOAT, 1, WIN_OUT, WIN_SIDE, WIN_SIDE));
        g.output(Value.tensor("m", DType.FLOAT, 1, WIN_OUT, 1, 1));
        g.input(Value.tensor("f", DType.FLOAT, 1, FC_IN));
        gemm(g, owned, qdq(g, owned, "f", 1.4f / 255, 128, "f_dq"), 1.4f / 255);
        g.output(Value.tensor("logits", DType.FLOAT, 1, FC_OUT));
        return Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
    }

    /** A Gemm (transB) of FC_IN to FC_OUT over DequantizeLinear'd per-row int8 weights (zero points 0) and int32 bias, to "logits". */
    private static void gemm(Graph.Builder g, List<Tensor> owned, String x, float xScale) {
        byte[] q = new byte[FC_OUT * FC_IN];
        for (int i = 0; i < q.length; i++) q[i] = (byte) ((i * 31 + 5) % 255 - 127);
        float[] wScale = new float[FC_OUT];
        float[] bScale = new float[FC_OUT];
        int[] bias = new int[FC_OUT];
        for (int c = 0; c < FC_OUT; c++) {
            wScale[c] = 0.001f * (1 + 0.01f * c);
            bScale[c] = xScale * wScale[c];
            bias[c] = (c * 577) % 3001 - 1500;
        }
        g.initializer("fc_wq", own(owned, Tensor.of(DType.INT8, q, FC_OUT, FC_IN)));
        g.initializer("fc_ws", own(owned, Tensor.of(wScale, FC_OUT)));
        g.initializer("fc_wz", own(owned, Tensor.of(DType.INT8, new byte[FC_OUT], FC_OUT)));
        g.initializer("fc_bq", own(owned, Tensor.of(bias, FC_OUT)));
        g.initializer("fc_bs", own(owned, Tensor.of(bScale, FC_OUT)));
        g.node(Node.builder("DequantizeLinear").inputs("fc_wq", "fc_ws", "fc_wz").outputs("fc_w").attribute("axis", 0L).build());
        g.node(Node.builder("DequantizeLinear").inputs("fc_bq", "fc_bs").outputs("fc_b").attribute("axis", 0L).build());
        g.node(Node.builder("Gemm").name("fc").inputs(x, "fc_w", "fc_b").outputs("logits").attribute("transB", 1L).build());
    }

    /**
     * x[1,2,64,64] -> Q -> DQ -> Conv 1x1 (17) -> Q -> DQ -> depthwise Conv 3x3 (pads 1) -> Q -> DQ
     * -> Conv 1x1 (17) -> Q -> DQ = y[1,17,64,64]: the depthwise convolution has 8-bit convolutions
     * on both sides, so oneDNN keeps its input and output in its own layout.
     */
    static Model chain(List<Tensor> owned) {
        Graph.Builder g = Graph.builder("q8chain");
        g.input(Value.tensor("x", DType.FLOAT, 1, IN, H, W));
        String x = qdq(g, owned, "x", 2f / 255, 128, "x_dq");
        conv(g, owned, "expand", x, IN, C, 1, 1, 2f / 255, "e");
        String e = qdq(g, owned, "e", 3f / 255, 100, "e_dq");
        conv(g, owned, "dw", e, C, C, 3, C, 3f / 255, "d");
        String d = qdq(g, owned, "d", 4f / 255, 110, "d_dq");
        conv(g, owned, "project", d, C, C, 1, 1, 4f / 255, "p");
        qdq(g, owned, "p", 4f / 255, 120, "y");
        g.output(Value.tensor("y", DType.FLOAT, 1, C, H, W));
        return Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
    }

    /** QuantizeLinear then DequantizeLinear of {@code t} to {@code out}, uint8. */
    private static String qdq(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero, String out) {
        g.initializer(t + "_s", own(owned, Tensor.of(new float[] {scale})));
        g.initializer(t + "_z", own(owned, Tensor.of(DType.UINT8, new byte[] {(byte) zero})));
        g.node("QuantizeLinear", List.of(t, t + "_s", t + "_z"), List.of(t + "_q"));
        g.node("DequantizeLinear", List.of(t + "_q", t + "_s", t + "_z"), List.of(out));
        return out;
    }

    /** A Conv k x k (pads k / 2, {@code group} groups) of {@code in} channels to {@code outs} over DequantizeLinear'd int8 weights and int32 bias. */
    private static void conv(Graph.Builder g, List<Tensor> owned, String name, String x, int in, int outs, int k, int group,
                             float xScale, String out) {
        int n = outs * in / group * k * k;
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) q[i] = (byte) ((i * 37 + 11) % 255 - 127);
        float[] wScale = new float[outs];
        float[] bScale = new float[outs];
        int[] bias = new int[outs];
        for (int c = 0; c < outs; c++) {
            wScale[c] = 0.002f * (1 + 0.05f * c);
            bScale[c] = xScale * wScale[c];
            bias[c] = (c * 997) % 4001 - 2000;
        }
        g.initializer(name + "_wq", own(owned, Tensor.of(DType.INT8, q, outs, in / group, k, k)));
        g.initializer(name + "_ws", own(owned, Tensor.of(wScale, outs)));
        g.initializer(name + "_bq", own(owned, Tensor.of(bias, outs)));
        g.initializer(name + "_bs", own(owned, Tensor.of(bScale, outs)));
        g.node(Node.builder("DequantizeLinear").inputs(name + "_wq", name + "_ws").outputs(name + "_w").attribute("axis", 0L).build());
        g.node(Node.builder("DequantizeLinear").inputs(name + "_bq", name + "_bs").outputs(name + "_b").attribute("axis", 0L).build());
        long p = k / 2;
        g.node(Node.builder("Conv").name(name).inputs(x, name + "_w", name + "_b").outputs(out)
                .attribute("pads", new long[] {p, p, p, p}).attribute("group", (long) group).build());
    }

    static float[] values(int n, float amplitude) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = amplitude * (((i * 7919) % 201) - 100) / 100f;
        return v;
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }
}
