package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * QDQ Conv/MatMul patterns run as QLinearConv/QLinearMatMul: the rewrite happens where it is
 * exact up to rounding, the outputs stay within one quantization step of the unfused graph's, and
 * it does not happen where a condition fails.
 */
class QdqFusionTest {
    private static final SessionOptions ALL = SessionOptions.builder().engine("native").threads(1)
            .providerOption("profile", "true").build();
    private static final SessionOptions NONE = SessionOptions.builder().engine("native").threads(1)
            .providerOption("profile", "true").optimization(SessionOptions.OptimizationLevel.NONE).build();

    /** Output scale of the final DequantizeLinear: one step of y. */
    private static final float Y_SCALE = 8f / 255;

    private record Outcome(float[] y, Map<String, Integer> opTypes, NativeSession.Optimizations optimizations) {}

    /** What a test varies in the model below. */
    private record Variant(boolean exactBiasScale, boolean conv1OutputIsGraphOutput) {}

    private static Outcome run(Model m, SessionOptions options, Tensor x) {
        try (NativeSession s = (NativeSession) Edgerun.session(m, options);
             RunResult r = s.run(Map.of("x", x))) {
            Map<String, Integer> ops = new TreeMap<>();
            for (NativeSession.NodeProfile p : s.profile()) ops.merge(p.opType(), 1, Integer::sum);
            return new Outcome(r.get("y").toFloatArray(), ops, s.optimizations());
        }
    }

    @Test
    void convolutionsAndMatMulBecomeQLinearOperatorsWithinOneStep() {
        Random random = new Random(11);
        int differing = 0;
        for (int trial = 0; trial < 4; trial++) {
            try (Model m = model(new Variant(true, false), random); Tensor x = input(random)) {
                Outcome plain = run(m, NONE, x);
                Outcome fused = run(m, ALL, x);
                assertEquals(new NativeSession.Optimizations(0, 0, 0, 4), fused.optimizations());
                assertEquals(Map.of("DequantizeLinear", 1, "QLinearAdd", 1, "QLinearConv", 3, "QLinearMatMul", 1,
                        "QuantizeLinear", 1), fused.opTypes(), "the residual Add runs on the 8-bit values");
                assertEquals(3, plain.opTypes().get("Conv"));
                differing += assertWithinOneStep(plain.y(), fused.y());
            }
        }
        System.out.println("QdqFusionTest: " + differing + " of " + 4 * 4 * 8 * 5 + " outputs differ by one step");
    }

    @Test
    void biasScaleThatIsNotExactlyXScaleTimesWScaleKeepsThatConvolutionInFloat() {
        Random random = new Random(12);
        try (Model m = model(new Variant(false, false), random); Tensor x = input(random)) {
            Outcome plain = run(m, NONE, x);
            Outcome fused = run(m, ALL, x);
            assertEquals(3, fused.optimizations().fusedQdq());
            assertEquals(1, fused.opTypes().get("Conv"));
            assertEquals(2, fused.opTypes().get("QLinearConv"));
            assertWithinOneStep(plain.y(), fused.y());
        }
    }

    @Test
    void activationReadElsewhereIsNotFused() {
        Random random = new Random(13);
        try (Model m = model(new Variant(true, true), random); Tensor x = input(random)) {
            Outcome plain = run(m, NONE, x);
            Outcome fused = run(m, ALL, x);
            assertEquals(3, fused.optimizations().fusedQdq(), "conv1's output is a graph output");
            assertEquals(1, fused.opTypes().get("Conv"));
            assertWithinOneStep(plain.y(), fused.y());
        }
    }

    @Test
    void oneDimensionalConvolutionIsFusedToo() {
        Random random = new Random(14);
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qdq1d");
        g.input(Value.tensor("x", DType.FLOAT, 1, 3, 16));
        String x = quantize(g, owned, "x", 1f / 255, 0);
        String w = weights(g, owned, "w", random, channelScales(4, 0.3f), new long[] {4, 3, 3}, 0);
        g.node(Node.builder("Conv").name("conv").inputs(x, w).outputs("c").attribute("pads", new long[] {1, 1})
                .attribute("strides", new long[] {2}).build());
        g.node("Relu", List.of("c"), List.of("r"));
        quantize(g, owned, "r", 2f / 255, 0, "y");
        g.output(Value.tensor("y", DType.FLOAT, 1, 4, 8));
        float[] v = new float[3 * 16];
        for (int i = 0; i < v.length; i++) v[i] = random.nextFloat();
        try (Model m = Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
             Tensor in = Tensor.of(v, 1, 3, 16)) {
            Outcome plain = run(m, NONE, in);
            Outcome fused = run(m, ALL, in);
            assertEquals(Map.of("DequantizeLinear", 1, "QLinearConv", 1, "QuantizeLinear", 1), fused.opTypes());
            assertEquals(32, fused.y().length);
            for (int i = 0; i < fused.y().length; i++) {
                assertTrue(Math.abs(plain.y()[i] - fused.y()[i]) <= 2f / 255 * 1.0001f, "y[" + i + "]");
            }
        }
    }

    /**
     * Q(Relu(Add(DQ(a), DQ(b)))) and a broadcast Q(Add(DQ(a), DQ(c))) become QLinearAdd, which
     * computes as ONNX Runtime's kernel does: what the unfused nodes compute up to float32 rounding,
     * so within one step everywhere, at 1 and 2 threads (the tensors are large enough to be split),
     * with uint8 and int8 operands. (With these round scales, 0.5 and 1.5 as ratios, about 9% of the
     * sums fall on exact rounding ties that the two forms round differently.)
     */
    @Test
    void residualAddsBecomeQLinearAddWithinOneStep() {
        Random random = new Random(15);
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qadd");
        long[] dims = {1, 3, 130, 201};
        g.input(Value.tensor("a", DType.FLOAT, dims));
        g.input(Value.tensor("b", DType.FLOAT, dims));
        g.input(Value.tensor("c", DType.FLOAT, 3, 1, 1));
        String a = quantize(g, owned, "a", 1f / 255, 0);
        String b = quantizeSigned(g, owned, "b", 3f / 255, -7);
        String c = quantize(g, owned, "c", 2f / 255, 100);
        g.node("Add", List.of(a, b), List.of("sum"));
        g.node("Relu", List.of("sum"), List.of("relu"));
        quantize(g, owned, "relu", 2f / 255, 50, "y");
        g.node("Add", List.of(a, c), List.of("sum2"));
        quantizeSigned(g, owned, "sum2", 1.5f / 255, 3, "y2");
        g.output(Value.tensor("y", DType.FLOAT, dims));
        g.output(Value.tensor("y2", DType.FLOAT, dims));
        int count = (int) (dims[1] * dims[2] * dims[3]);
        try (Model m = Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
             Tensor ta = Tensor.of(uniform(random, count, -0.5f, 1.5f), dims);
             Tensor tb = Tensor.of(uniform(random, count, -1.5f, 1f), dims);
             Tensor tc = Tensor.of(uniform(random, 3, -0.5f, 0.5f), 3, 1, 1)) {
            Map<String, Tensor> in = Map.of("a", ta, "b", tb, "c", tc);
            for (int threads = 1; threads <= 2; threads++) {
                SessionOptions none = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true")
                        .optimization(SessionOptions.OptimizationLevel.NONE).build();
                SessionOptions all = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true").build();
                try (NativeSession plain = (NativeSession) Edgerun.session(m, none); NativeSession fused = (NativeSession) Edgerun.session(m, all);
                     RunResult p = plain.run(in); RunResult f = fused.run(in)) {
                    Map<String, Integer> ops = new TreeMap<>();
                    for (NativeSession.NodeProfile n : fused.profile()) ops.merge(n.opType(), 1, Integer::sum);
                    assertEquals(2, ops.get("QLinearAdd"), ops.toString());
                    assertEquals(null, ops.get("Add"), ops.toString());
                    float[] py = p.get("y").toFloatArray(), fy = f.get("y").toFloatArray();
                    float[] py2 = p.get("y2").toFloatArray(), fy2 = f.get("y2").toFloatArray();
                    assertWithinOneStep(py, fy, 2f / 255, "y at " + threads + " threads");
                    assertWithinOneStep(py2, fy2, 1.5f / 255, "y2 at " + threads + " threads");
                    float lowest = Float.MAX_VALUE;
                    for (float v : fy) lowest = Math.min(lowest, v);
                    assertEquals(0f, lowest, "the fused Relu clamps at Q(0)");
                }
            }
        }
    }

    /**
     * Q(MaxPool(DQ)), Q(Relu(DQ)) and Q(LeakyRelu(DQ)) become QLinearMaxPool and QLinearLeakyRelu
     * with exactly the bytes of the unfused nodes, at 1 and 2 threads (large enough to be split):
     * the same scales and zero points in and out (pooling alone), different ones, zero points at
     * the ends of the range, uint8 and int8 on either side.
     */
    @Test
    void maxPoolAndActivationsBetweenQdqGiveTheUnfusedBytes() {
        Random random = new Random(21);
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qpool");
        long[] dims = {1, 4, 60, 300};
        g.input(Value.tensor("x", DType.FLOAT, dims));
        String u = quantize(g, owned, "x", 2f / 255, 128);
        g.node("Identity", List.of("x"), List.of("xs"));
        String s = quantizeSigned(g, owned, "xs", 1.5f / 255, -128);
        g.node(Node.builder("MaxPool").inputs(u).outputs("p1").attribute("kernel_shape", new long[] {3, 3})
                .attribute("strides", new long[] {2, 2}).attribute("pads", new long[] {1, 1, 1, 1}).build());
        finalQuantize(g, owned, "p1", 2f / 255, 128, DType.UINT8);                    // same parameters: pooling only
        g.node(Node.builder("MaxPool").inputs(s).outputs("p2").attribute("kernel_shape", new long[] {2, 2})
                .attribute("strides", new long[] {2, 2}).build());
        finalQuantize(g, owned, "p2", 0.7f * 1.5f / 255, 255, DType.UINT8);           // int8 in, uint8 out
        g.node("Relu", List.of(u), List.of("r1"));
        finalQuantize(g, owned, "r1", 1.1f / 255, 0, DType.UINT8);
        g.node(Node.builder("LeakyRelu").inputs(s).outputs("r2").attribute("alpha", 0.2f).build());
        finalQuantize(g, owned, "r2", 3f / 255, 127, DType.INT8);
        g.output(Value.tensor("p1_q", DType.UINT8, 1, 4, 30, 150));
        g.output(Value.tensor("p2_q", DType.UINT8, 1, 4, 30, 150));
        g.output(Value.tensor("r1_q", DType.UINT8, dims));
        g.output(Value.tensor("r2_q", DType.INT8, dims));
        int count = (int) (dims[1] * dims[2] * dims[3]);
        try (Model m = Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
             Tensor tx = Tensor.of(uniform(random, count, -1.5f, 1.5f), dims)) {
            for (int threads = 1; threads <= 2; threads++) {
                SessionOptions none = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true")
                        .optimization(SessionOptions.OptimizationLevel.NONE).build();
                SessionOptions all = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true").build();
                try (NativeSession plain = (NativeSession) Edgerun.session(m, none); NativeSession fused = (NativeSession) Edgerun.session(m, all);
                     RunResult p = plain.run(Map.of("x", tx)); RunResult f = fused.run(Map.of("x", tx))) {
                    Map<String, Integer> ops = new TreeMap<>();
                    for (NativeSession.NodeProfile n : fused.profile()) ops.merge(n.opType(), 1, Integer::sum);
                    assertEquals(2, ops.get("QLinearMaxPool"), ops.toString());
                    assertEquals(2, ops.get("QLinearLeakyRelu"), ops.toString());
                    for (String gone : List.of("MaxPool", "Relu", "LeakyRelu")) assertEquals(null, ops.get(gone), ops.toString());
                    for (String y : List.of("p1_q", "p2_q", "r1_q", "r2_q")) {
                        long[] expected = longs(p.get(y)), actual = longs(f.get(y));
                        assertEquals(expected.length, actual.length, y);
                        for (int i = 0; i < expected.length; i++) {
                            assertEquals(expected[i], actual[i], y + "[" + i + "] at " + threads + " threads");
                        }
                    }
                    assertTrue(java.util.Arrays.stream(longs(f.get("p2_q"))).anyMatch(v -> v == 255), "p2 reaches the zero point's end");
                }
            }
        }
    }

    /**
     * Q(GlobalAveragePool(DQ)) becomes one QLinearGlobalAveragePool within one step of the unfused
     * nodes (exact integer sums, one rounding, against float sums), at 1 and 2 threads: planes of
     * 49 bytes (whole vectors and an overlapping last one), 64 (whole vectors only) and 9 (scalar),
     * uint8 and int8 in, uint8 and int8 out.
     */
    @Test
    void globalAveragePoolBetweenQdqIsWithinOneStep() {
        Random random = new Random(23);
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qgap");
        long[] xd = {2, 40, 7, 7}, vd = {1, 4, 8, 8}, wd = {3, 6, 3, 3};
        g.input(Value.tensor("x", DType.FLOAT, xd));
        g.input(Value.tensor("v", DType.FLOAT, vd));
        g.input(Value.tensor("w", DType.FLOAT, wd));
        String u = quantize(g, owned, "x", 6f / 255, 0);
        g.node("Identity", List.of("x"), List.of("xs"));
        String s = quantizeSigned(g, owned, "xs", 1.5f / 255, -3);
        String vq = quantize(g, owned, "v", 2f / 255, 128);
        String wq = quantizeSigned(g, owned, "w", 1.7f / 255, 5);
        g.node("GlobalAveragePool", List.of(u), List.of("g1"));
        finalQuantize(g, owned, "g1", 5f / 255, 0, DType.UINT8);
        g.node("GlobalAveragePool", List.of(s), List.of("g2"));
        finalQuantize(g, owned, "g2", 0.9f / 255, 7, DType.INT8);
        g.node("GlobalAveragePool", List.of(vq), List.of("g3"));
        finalQuantize(g, owned, "g3", 1.1f / 255, 120, DType.UINT8);
        g.node("GlobalAveragePool", List.of(wq), List.of("g4"));
        finalQuantize(g, owned, "g4", 1.3f / 255, 140, DType.UINT8);
        g.output(Value.tensor("g1_q", DType.UINT8, 2, 40, 1, 1));
        g.output(Value.tensor("g2_q", DType.INT8, 2, 40, 1, 1));
        g.output(Value.tensor("g3_q", DType.UINT8, 1, 4, 1, 1));
        g.output(Value.tensor("g4_q", DType.UINT8, 3, 6, 1, 1));
        try (Model m = Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
             Tensor tx = Tensor.of(uniform(random, 2 * 40 * 49, -0.3f, 6.5f), xd);
             Tensor tv = Tensor.of(uniform(random, 4 * 64, -1f, 1f), vd);
             Tensor tw = Tensor.of(uniform(random, 3 * 6 * 9, -0.2f, 0.2f), wd)) {
            Map<String, Tensor> in = Map.of("x", tx, "v", tv, "w", tw);
            for (int threads = 1; threads <= 2; threads++) {
                SessionOptions none = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true")
                        .optimization(SessionOptions.OptimizationLevel.NONE).build();
                SessionOptions all = SessionOptions.builder().engine("native").threads(threads).providerOption("profile", "true").build();
                try (NativeSession plain = (NativeSession) Edgerun.session(m, none); NativeSession fused = (NativeSession) Edgerun.session(m, all);
                     RunResult p = plain.run(in); RunResult f = fused.run(in)) {
                    Map<String, Integer> ops = new TreeMap<>();
                    for (NativeSession.NodeProfile n : fused.profile()) ops.merge(n.opType(), 1, Integer::sum);
                    assertEquals(4, ops.get("QLinearGlobalAveragePool"), ops.toString());
                    assertEquals(null, ops.get("GlobalAveragePool"), ops.toString());
                    int same = 0, all4 = 0;
                    for (String y : List.of("g1_q", "g2_q", "g3_q", "g4_q")) {
                        long[] expected = longs(p.get(y)), actual = longs(f.get(y));
                        assertEquals(expected.length, actual.length, y);
                        for (int i = 0; i < expected.length; i++) {
                            assertTrue(Math.abs(expected[i] - actual[i]) <= 1, y + "[" + i + "] at " + threads + " threads: "
                                    + actual[i] + " against " + expected[i]);
                            if (expected[i] == actual[i]) same++;
                            all4++;
                        }
                    }
                    assertTrue(same >= all4 * 9 / 10, same + " of " + all4 + " outputs equal");
                    assertTrue(java.util.Arrays.stream(longs(f.get("g1_q"))).distinct().count() > 5, "g1 spreads over several steps");
                }
            }
        }
    }

    /** A QuantizeLinear of {@code t} to {@code t + "_q"} (no DequantizeLinear after it). */
    private static void finalQuantize(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero, DType type) {
        g.initializer(t + "_s", own(owned, Tensor.of(new float[] {scale})));
        g.initializer(t + "_z", own(owned, Tensor.of(type, new byte[] {(byte) zero})));
        g.node("QuantizeLinear", List.of(t, t + "_s", t + "_z"), List.of(t + "_q"));
    }

    private static long[] longs(Tensor t) {
        long[] v = new long[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) v[i] = t.getAsLong(i);
        return v;
    }

    /** Every element within one quantization step. */
    private static void assertWithinOneStep(float[] expected, float[] actual, float step, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float d = Math.abs(expected[i] - actual[i]);
            assertTrue(d <= step * 1.0001f, what + ": element " + i + " differs by " + d / step + " steps");
        }
    }

    private static float[] uniform(Random random, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * random.nextFloat();
        return v;
    }

    /** Q then DQ of {@code t} with an int8 zero point; returns the dequantized name. */
    private static String quantizeSigned(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero) {
        return quantizeSigned(g, owned, t, scale, zero, t + "_dq");
    }

    private static String quantizeSigned(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero, String out) {
        g.initializer(t + "_s", own(owned, Tensor.of(new float[] {scale})));
        g.initializer(t + "_z", own(owned, Tensor.of(DType.INT8, new byte[] {(byte) zero})));
        g.node("QuantizeLinear", List.of(t, t + "_s", t + "_z"), List.of(t + "_q"));
        g.node("DequantizeLinear", List.of(t + "_q", t + "_s", t + "_z"), List.of(out));
        return out;
    }

    @Test
    void clampOfAnActivationRoundsAsQuantizeLinear() {
        float s = 2.5f / 255;
        assertEquals(0, QdqFusion.quantize(0f, s, 0, DType.UINT8));
        assertEquals(255, QdqFusion.quantize(2.5f, s, 0, DType.UINT8));
        assertEquals(10, QdqFusion.quantize(0.1f, s, 0, DType.UINT8), "0.1 / s = 10.2");
        assertEquals(128, QdqFusion.quantize(0f, 0.1f, 128, DType.UINT8));
        assertEquals(-128, QdqFusion.quantize(Float.NEGATIVE_INFINITY, 0.1f, 5, DType.INT8));
        assertEquals(127, QdqFusion.quantize(6f, 0.01f, 0, DType.INT8));
        assertEquals(2, QdqFusion.quantize(0.25f, 0.1f, 0, DType.INT8), "2.5 rounds half to even");
        assertEquals(4, QdqFusion.quantize(0.35f, 0.1f, 0, DType.INT8), "0.35f / 0.1f is 3.5 in float32: to even");
    }

    /** Asserts |a - b| <= one step of y everywhere; returns how many outputs differ at all. */
    /**
     * x[2, 40] -> Q(1/255, 3) -> DQ -> Gemm (30 outputs; int8 weights per output column behind a
     * DequantizeLinear, transB 1 or 0, an int32 bias of scale Mul(sx, sw) or none) -> y float: one
     * QGemm on the 8-bit values, its exact integer sums scaled once, within float32 rounding of the
     * unfused graph; a bias whose scale is not exactly sx * sw keeps the Gemm in float.
     */
    @Test
    void dequantizedGemmBecomesQGemmUpToFloatRounding() {
        String before = System.getProperty(QdqFusion.GEMM_PROPERTY);
        try {
            System.setProperty(QdqFusion.GEMM_PROPERTY, "off");
            try (Model m = gemmModel(new Random(5), true, 1); Tensor x = gemmInput(new Random(6))) {
                assertEquals(1, run(m, ALL, x).opTypes().get("Gemm"), "switched off");
            }
            System.setProperty(QdqFusion.GEMM_PROPERTY, "on");
            gemmsBecomeQGemm();
        } finally {
            if (before == null) System.clearProperty(QdqFusion.GEMM_PROPERTY);
            else System.setProperty(QdqFusion.GEMM_PROPERTY, before);
        }
    }

    private static void gemmsBecomeQGemm() {
        Random random = new Random(5);
        for (boolean transB : new boolean[] {true, false}) {
            for (int bias = 0; bias < 3; bias++) {   // 0: none, 1: exact scale, 2: scale off by one ulp
                try (Model m = gemmModel(random, transB, bias); Tensor x = gemmInput(random)) {
                    Outcome plain = run(m, NONE, x);
                    Outcome fused = run(m, ALL, x);
                    boolean fusable = bias != 2;
                    assertEquals(fusable ? 1 : 0, fused.opTypes().getOrDefault("QGemm", 0), fused.opTypes().toString());
                    assertEquals(fusable ? 0 : 1, fused.opTypes().getOrDefault("Gemm", 0), fused.opTypes().toString());
                    float max = 0;
                    for (float v : plain.y()) max = Math.max(max, Math.abs(v));
                    for (int i = 0; i < plain.y().length; i++) {
                        assertEquals(plain.y()[i], fused.y()[i], max * 1e-5f, "transB " + transB + " bias " + bias + " y[" + i + "]");
                    }
                }
            }
        }
    }

    private static Tensor gemmInput(Random random) {
        return Tensor.of(uniform(random, 2 * 40, -0.01f, 0.99f), 2, 40);
    }

    private static Model gemmModel(Random random, boolean transB, int bias) {
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qdq_gemm");
        g.input(Value.tensor("x", DType.FLOAT, 2, 40));
        String x = quantize(g, owned, "x", 1f / 255, 3);
        float[] ws = channelScales(30, 0.2f);
        String w = weights(g, owned, "w", random, ws, transB ? new long[] {30, 40} : new long[] {40, 30}, transB ? 0 : 1);
        List<String> inputs = new ArrayList<>(List.of(x, w));
        if (bias > 0) {
            g.initializer("b_q", own(owned, Tensor.of(ints(random, 30, 5000), 30)));
            if (bias == 1) {
                g.node("Mul", List.of("x_s", "w_scale"), List.of("b_scale"));
            } else {
                float[] off = new float[30];
                for (int c = 0; c < 30; c++) off[c] = Math.nextUp(1f / 255 * ws[c]);
                g.initializer("b_scale", own(owned, Tensor.of(off, 30)));
            }
            g.node(Node.builder("DequantizeLinear").inputs("b_q", "b_scale").outputs("b").attribute("axis", 0L).build());
            inputs.add("b");
        }
        g.node(Node.builder("Gemm").name("fc").inputs(inputs).outputs("y").attribute("transB", transB ? 1L : 0L).build());
        g.output(Value.tensor("y", DType.FLOAT, 2, 30));
        return Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
    }

    private static int assertWithinOneStep(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        int differing = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - b[i]);
            assertTrue(d <= Y_SCALE * 1.0001f, "y[" + i + "]: " + a[i] + " vs " + b[i]);
            if (d > 0) differing++;
        }
        return differing;
    }

    private static Tensor input(Random random) {
        float[] v = new float[3 * 8 * 8];
        for (int i = 0; i < v.length; i++) v[i] = random.nextFloat();
        return Tensor.of(v, 1, 3, 8, 8);
    }

    /**
     * x[1,3,8,8] float -> Q(1/255, 0) -> DQ -> Conv 3x3 (4, per-channel s8 W, int32 B, scale Mul(sx, sw))
     * -> Relu -> Q(4/255, 128) -> DQ = r -> Conv 3x3 (4, B scale stored) -> Clip(0.1, 2.5) -> Q(2.5/255, 0)
     * -> DQ -> Add(r, .) -> Q(6.5/255, 78) -> DQ -> Conv 1x1 (4, per-tensor W, no B) -> Q(8/255, 128) -> DQ
     * -> MatMul (8 x 5, per-column s8 with zero points) -> Q(8/255, 128) -> DQ -> y[1,4,8,5]. u8 activations.
     */
    private static Model model(Variant variant, Random random) {
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qdq");
        g.input(Value.tensor("x", DType.FLOAT, 1, 3, 8, 8));
        String x = quantize(g, owned, "x", 1f / 255, 0);
        float[] w1Scale = channelScales(4, 0.3f);
        String w1 = weights(g, owned, "w1", random, w1Scale, new long[] {4, 3, 3, 3}, 0);
        g.initializer("b1_q", own(owned, Tensor.of(ints(random, 4, 2000), 4)));
        g.node("Mul", List.of("x_s", "w1_scale"), List.of("b1_scale"));
        g.node(Node.builder("DequantizeLinear").inputs("b1_q", "b1_scale").outputs("b1").attribute("axis", 0L).build());
        g.node(conv("conv1", x, w1, "b1", "c1", 1));
        g.node("Relu", List.of("c1"), List.of("r1"));
        String r = quantize(g, owned, "r1", 4f / 255, 128);

        float[] w2Scale = channelScales(4, 0.2f);
        String w2 = weights(g, owned, "w2", random, w2Scale, new long[] {4, 4, 3, 3}, 0);
        float[] b2Scale = new float[4];
        for (int c = 0; c < 4; c++) b2Scale[c] = 4f / 255 * w2Scale[c] * (variant.exactBiasScale() || c != 2 ? 1 : 1.0000001f);
        g.initializer("b2_q", own(owned, Tensor.of(ints(random, 4, 2000), 4)));
        g.initializer("b2_scale", own(owned, Tensor.of(b2Scale, 4)));
        g.node(Node.builder("DequantizeLinear").inputs("b2_q", "b2_scale").outputs("b2").attribute("axis", 0L).build());
        g.node(conv("conv2", r, w2, "b2", "c2", 1));
        g.initializer("lo", own(owned, Tensor.of(new float[] {0.1f})));
        g.node(Node.builder("Constant").outputs("hi").attribute("value", own(owned, Tensor.of(new float[] {2.5f}))).build());
        g.node("Clip", List.of("c2", "lo", "hi"), List.of("k2"));
        String k = quantize(g, owned, "k2", 2.5f / 255, 0);
        g.node("Add", List.of(r, k), List.of("sum"));
        String s = quantize(g, owned, "sum", 6.5f / 255, 78);

        String w3 = weights(g, owned, "w3", random, new float[] {0.02f}, new long[] {4, 4, 1, 1}, 0);
        g.node(conv("conv3", s, w3, "", "c3", 0));
        String c3 = quantize(g, owned, "c3", 8f / 255, 128);

        String w4 = weights(g, owned, "w4", random, channelScales(5, 0.1f), new long[] {8, 5}, 1);
        g.node("MatMul", List.of(c3, w4), List.of("m4"));
        quantize(g, owned, "m4", Y_SCALE, 128, "y");
        g.output(Value.tensor("y", DType.FLOAT, 1, 4, 8, 5));
        if (variant.conv1OutputIsGraphOutput()) g.output(Value.tensor("c1", DType.FLOAT, 1, 4, 8, 8));
        return Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
    }

    private static Node conv(String name, String x, String w, String b, String out, long pad) {
        List<String> inputs = b.isEmpty() ? List.of(x, w) : List.of(x, w, b);
        return Node.builder("Conv").name(name).inputs(inputs).outputs(out)
                .attribute("pads", new long[] {pad, pad, pad, pad}).build();
    }

    /** Q then DQ of {@code t} with a uint8 zero point; returns the dequantized name. */
    private static String quantize(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero) {
        return quantize(g, owned, t, scale, zero, t + "_dq");
    }

    private static String quantize(Graph.Builder g, List<Tensor> owned, String t, float scale, int zero, String out) {
        g.initializer(t + "_s", own(owned, Tensor.of(new float[] {scale})));
        g.initializer(t + "_z", own(owned, Tensor.of(DType.UINT8, new byte[] {(byte) zero})));
        g.node("QuantizeLinear", List.of(t, t + "_s", t + "_z"), List.of(t + "_q"));
        g.node("DequantizeLinear", List.of(t + "_q", t + "_s", t + "_z"), List.of(out));
        return out;
    }

    /** Random int8 weights behind a DequantizeLinear, per tensor or per {@code axis}; symmetric Conv weights have no zero point. */
    private static String weights(Graph.Builder g, List<Tensor> owned, String name, Random random, float[] scales,
                                  long[] dims, long axis) {
        int n = 1;
        for (long d : dims) n *= (int) d;
        byte[] q = new byte[n];
        for (int i = 0; i < n; i++) q[i] = (byte) (random.nextInt(255) - 127);
        g.initializer(name + "_q", own(owned, Tensor.of(DType.INT8, q, dims)));
        g.initializer(name + "_scale", own(owned, scales.length == 1 ? Tensor.of(scales) : Tensor.of(scales, scales.length)));
        Node.Builder dq = Node.builder("DequantizeLinear").outputs(name).attribute("axis", axis);
        if (dims.length == 2) {
            g.initializer(name + "_zero", own(owned, Tensor.of(DType.INT8, new byte[scales.length], scales.length)));
            dq.inputs(name + "_q", name + "_scale", name + "_zero");
        } else {
            dq.inputs(name + "_q", name + "_scale");
        }
        g.node(dq.build());
        return name;
    }

    private static float[] channelScales(int n, float max) {
        float[] s = new float[n];
        for (int c = 0; c < n; c++) s[c] = max / 127 * (1 + 0.1f * c);
        return s;
    }

    private static int[] ints(Random random, int n, int bound) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = random.nextInt(2 * bound + 1) - bound;
        return v;
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }
}
