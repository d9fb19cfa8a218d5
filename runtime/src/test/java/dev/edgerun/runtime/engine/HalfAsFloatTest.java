package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Float16 storage, float32 arithmetic: the rewrite's types, its boundary casts, and where it declines. */
class HalfAsFloatTest {
    private static final float ONE_PLUS = 1 + 0x1p-12f;   // not a float16 value: rounds to 1 in float16
    private static final SessionOptions DEFAULT = SessionOptions.builder().engine("native").threads(1).build();
    private static final SessionOptions NONE = SessionOptions.builder().engine("native").threads(1)
            .optimization(SessionOptions.OptimizationLevel.NONE).build();

    private final List<Tensor> owned = new ArrayList<>();

    @AfterEach
    void close() {
        owned.forEach(Tensor::close);
    }

    /**
     * x (float32) -> Cast(float16) -> MatMul(w: float16 identity columns) -> Add(Constant c: float16)
     * -> Relu -> Cast(float32) -> y; the float16 sum {@code a} is also a graph output. (The Constant
     * after the MatMul also checks that the MatMul does not take as its bias a value defined after it.)
     */
    private Graph halfGraph() {
        float[] w = new float[4 * 3];
        for (int k = 0; k < 3; k++) w[k * 3 + k] = 1;
        return Graph.builder("half")
                .input(Value.tensor("x", DType.FLOAT, 1, 4))
                .initializer("w", half(w, 4, 3))
                .node("Cast", List.of("x"), List.of("xh"), Attribute.of("to", (long) DType.FLOAT16.onnxCode()))
                .node("MatMul", List.of("xh", "w"), List.of("m"))
                .node("Constant", List.of(), List.of("c"), Attribute.of("value", half(new float[] {0, 0x1p-12f, 0}, 3)))
                .node("Add", List.of("m", "c"), List.of("a"))
                .node("Relu", List.of("a"), List.of("r"))
                .node("Cast", List.of("r"), List.of("y"), Attribute.of("to", (long) DType.FLOAT.onnxCode()))
                .output(Value.tensor("y", DType.FLOAT, 1, 3))
                .output(Value.tensor("a", DType.FLOAT16, 1, 3))
                .build();
    }

    @Test
    void float16ValuesBecomeFloat32AndTheBoundaryKeepsItsTypes() {
        Graph g = halfGraph();
        HalfAsFloat.Result r = HalfAsFloat.rewrite(g);
        owned.addAll(r.created());
        Graph h = r.graph();
        assertEquals(6, r.convertedValues(), "w, xh, m, c, a, r");
        assertEquals(2, r.created().size(), "float32 copies of w and c");
        Tensor w = h.initializers().get("w");
        assertEquals(DType.FLOAT, w.dtype());
        assertEquals(1f, w.getFloat(0));
        assertEquals(0f, w.getFloat(1));
        assertEquals(g.inputs(), h.inputs());
        assertEquals(g.outputs(), h.outputs());
        assertEquals(List.of("Cast>10", "Cast>1", "MatMul", "Constant", "Add", "Cast>10", "Relu", "Identity"),
                h.nodes().stream().map(HalfAsFloatTest::label).toList());
        Node constant = h.nodes().get(3);
        assertEquals(DType.FLOAT, constant.attribute("value").asTensor().dtype());
        assertEquals(0x1p-12f, constant.attribute("value").asTensor().getFloat(1));
        Node add = h.nodes().get(4), backToHalf = h.nodes().get(5), relu = h.nodes().get(6);
        assertEquals(List.of(add.outputs().get(0)), backToHalf.inputs(), "the float16 graph output is cast from the float32 sum");
        assertEquals(List.of("a"), backToHalf.outputs());
        assertEquals(add.outputs(), relu.inputs(), "Relu reads the float32 sum");
        assertEquals(List.of("r"), h.nodes().get(7).inputs(), "the Cast to float32 of a float32 value is a no-op");
    }

    @Test
    void aCastToFloat16KeepsItsRoundingWhileArithmeticIsFloat32() {
        Model m = Model.builder().graph(halfGraph()).opset(17).build();
        try (Tensor x = Tensor.of(new float[] {ONE_PLUS, 1, 2, 3}, 1, 4);
             Session s = Edgerun.session(m, DEFAULT); RunResult r = s.run(Map.of("x", x));
             Session plain = Edgerun.session(m, NONE); RunResult p = plain.run(Map.of("x", x))) {
            // y[0]: x[0] went through the model's Cast to float16, so 1, not 1 + 2^-12.
            // y[1]: 1 + 2^-12 summed in float32; the model's float16 arithmetic (level NONE) gives 1.
            assertArrayEquals(new float[] {1, ONE_PLUS, 2}, r.get("y").toFloatArray());
            assertArrayEquals(new float[] {1, 1, 2}, p.get("y").toFloatArray());
            assertEquals(DType.FLOAT16, r.get("a").dtype());
            assertEquals(1f, (float) r.get("a").getAsDouble(1), "the float16 output rounds the float32 sum");
        }
    }

    @Test
    void float16GraphInputsAreCastToFloat32First() {
        Graph g = Graph.builder("half-in")
                .input(Value.tensor("x", DType.FLOAT16, 2, 2))
                .initializer("b", half(new float[] {3 * 0x1p-13f, 3 * 0x1p-13f}, 2))
                .node("Add", List.of("x", "b"), List.of("s"))
                .node("Mul", List.of("s", "s"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT16, 2, 2))
                .build();
        HalfAsFloat.Result r = HalfAsFloat.rewrite(g);
        owned.addAll(r.created());
        List<Node> n = r.graph().nodes();
        assertEquals(List.of("Cast>1", "Add", "Mul", "Cast>10"), n.stream().map(HalfAsFloatTest::label).toList());
        assertEquals(List.of("x"), n.get(0).inputs());
        assertEquals(List.of(n.get(0).outputs().get(0), "b"), n.get(1).inputs());
        assertEquals(List.of("y"), n.get(3).outputs());
        Model m = Model.builder().graph(g).opset(17).build();
        try (Tensor x = half(new float[] {1, 2, -1, 0.5f}, 2, 2);
             Session s = Edgerun.session(m, DEFAULT); RunResult out = s.run(Map.of("x", x));
             Session plain = Edgerun.session(m, NONE); RunResult p = plain.run(Map.of("x", x))) {
            Tensor y = out.get("y");
            assertEquals(DType.FLOAT16, y.dtype());
            // (1 + 3 * 2^-13)^2 = 1 + 6 * 2^-13 + ... rounds to the float16 1 + 2^-10; the model's
            // float16 Add gives 1 + 3 * 2^-13 -> 1 (less than half a float16 step), and 1 * 1 = 1.
            assertEquals(1 + 0x1p-10f, (float) y.getAsDouble(0));
            assertEquals(1f, (float) p.get("y").getAsDouble(0));
        }
    }

    /**
     * x -> Cast(float16) -> Conv -> Clip(0, 6) -> depthwise Conv -> Add (residual) -> GlobalAveragePool
     * -> Flatten -> Gemm -> Cast(float32) -> y, as the fp16 converter writes mobilenet_v2; with
     * {@code half} false the same network in float32 with the float16-rounded weights and Identity for the Casts.
     */
    private Graph cnn(boolean half) {
        DType t = half ? DType.FLOAT16 : DType.FLOAT;
        String cast = half ? "Cast" : "Identity";
        return Graph.builder("cnn")
                .input(Value.tensor("x", DType.FLOAT, 1, 3, 8, 8))
                .initializer("w1", typed(t, values(8 * 3 * 9, 1), 8, 3, 3, 3))
                .initializer("b1", typed(t, values(8, 2), 8))
                .initializer("w2", typed(t, values(8 * 9, 3), 8, 1, 3, 3))
                .initializer("fc", typed(t, values(8 * 5, 4), 5, 8))
                .node(cast, List.of("x"), List.of("xh"), half ? new Attribute[] {Attribute.of("to", 10L)} : new Attribute[0])
                .node("Conv", List.of("xh", "w1", "b1"), List.of("c1"), Attribute.of("pads", new long[] {1, 1, 1, 1}))
                .node("Constant", List.of(), List.of("lo"), Attribute.of("value", typed(t, new float[] {0})))
                .node("Constant", List.of(), List.of("hi"), Attribute.of("value", typed(t, new float[] {6})))
                .node("Clip", List.of("c1", "lo", "hi"), List.of("r1"))
                .node("Conv", List.of("r1", "w2"), List.of("c2"), Attribute.of("group", 8L), Attribute.of("pads", new long[] {1, 1, 1, 1}))
                .node("Add", List.of("c2", "r1"), List.of("s"))
                .node("GlobalAveragePool", List.of("s"), List.of("p"))
                .node("Flatten", List.of("p"), List.of("f"))
                .node("Gemm", List.of("f", "fc"), List.of("gh"), Attribute.of("transB", 1L))
                .node(cast, List.of("gh"), List.of("y"), half ? new Attribute[] {Attribute.of("to", 1L)} : new Attribute[0])
                .output(Value.tensor("y", DType.FLOAT, 1, 5))
                .build();
    }

    @Test
    void aFloat16NetworkComputesAsTheSameNetworkInFloat32() {
        HalfAsFloat.Result r = HalfAsFloat.rewrite(cnn(true));
        owned.addAll(r.created());
        assertEquals(4 + 2, r.created().size(), "4 initializers, 2 constants");
        assertTrue(r.graph().nodes().stream().noneMatch(n -> n.inputs().contains("gh") && n.opType().equals("Cast")),
                "the closing Cast to float32 is gone");
        float[] xs = values(3 * 64, 5);
        Model half = Model.builder().graph(cnn(true)).opset(17).build();
        Model single = Model.builder().graph(cnn(false)).opset(17).build();
        try (Tensor x = Tensor.of(xs, 1, 3, 8, 8); Tensor xr = Tensor.of(roundedToHalf(xs), 1, 3, 8, 8);
             NativeSession s = (NativeSession) Edgerun.session(half, DEFAULT); RunResult fast = s.run(Map.of("x", x));
             Session f = Edgerun.session(single, DEFAULT); RunResult reference = f.run(Map.of("x", xr));
             Session plain = Edgerun.session(half, NONE); RunResult perNode = plain.run(Map.of("x", x))) {
            float[] a = fast.get("y").toFloatArray(), b = reference.get("y").toFloatArray(), c = perNode.get("y").toFloatArray();
            assertArrayEquals(b, a, 1e-6f, "float32 arithmetic on float16 weights and the rounded input");
            assertArrayEquals(c, a, 4e-3f, "the model's float16 arithmetic, rounding after every node, is close");
            assertEquals(1, s.optimizations().fusedActivations(), "Conv + Clip fused as in float32 models");
        }
    }

    @Test
    void anOperatorOutsideTheAllowlistLeavesTheGraphAsItIs() {
        // CastLike takes its target type from an input: computing that input in float32 would change what it does.
        Graph g = Graph.builder("castlike")
                .input(Value.tensor("x", DType.FLOAT16, 2))
                .input(Value.tensor("z", DType.FLOAT, 2))
                .node("Relu", List.of("x"), List.of("r"))
                .node("CastLike", List.of("z", "r"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT16, 2))
                .build();
        HalfAsFloat.Result r = HalfAsFloat.rewrite(g);
        assertSame(g, r.graph());
        assertEquals(0, r.convertedValues());
        assertEquals(List.of(), r.created());
    }

    @Test
    void aCastToAnUnknownTypeIsLeftToTheCastOperatorToReport() {
        Graph g = Graph.builder("bad-cast")
                .input(Value.tensor("x", DType.FLOAT16, 2))
                .node("Relu", List.of("x"), List.of("r"))
                .node("Cast", List.of("r"), List.of("y"), Attribute.of("to", 999L))
                .output(new Value("y", null, ""))
                .build();
        assertSame(g, HalfAsFloat.rewrite(g).graph());
    }

    @Test
    void aFloat16ValueReadBySubgraphLeavesTheGraphAsItIs() {
        Graph branch = Graph.builder("branch")
                .node("Relu", List.of("h"), List.of("o"))
                .output(Value.tensor("o", DType.FLOAT16, 2))
                .build();
        Graph g = Graph.builder("if")
                .input(Value.tensor("x", DType.FLOAT16, 2))
                .input(Value.tensor("cond", DType.BOOL))
                .node("Relu", List.of("x"), List.of("h"))
                .node(Node.builder("If").inputs("cond").outputs("y")
                        .attribute("then_branch", branch).attribute("else_branch", branch).build())
                .output(Value.tensor("y", DType.FLOAT16, 2))
                .build();
        HalfAsFloat.Result r = HalfAsFloat.rewrite(g);
        assertSame(g, r.graph());
        assertEquals(List.of(), r.created());
    }

    @Test
    void aGraphWithoutFloat16IsUntouched() {
        Graph g = Graph.builder("float")
                .input(Value.tensor("x", DType.FLOAT, 2))
                .node("Relu", List.of("x"), List.of("y"))
                .node("Cast", List.of("y"), List.of("z"), Attribute.of("to", (long) DType.INT64.onnxCode()))
                .output(Value.tensor("z", DType.INT64, 2))
                .build();
        assertSame(g, HalfAsFloat.rewrite(g).graph());
    }

    /** Op type, with the target type for Casts ("Cast>10"). */
    private static String label(Node n) {
        return n.opType().equals("Cast") ? "Cast>" + n.attribute("to").asInt() : n.opType();
    }

    private Tensor half(float[] values, long... dims) {
        Tensor t = Tensor.allocate(DType.FLOAT16, dims);
        owned.add(t);
        for (int i = 0; i < values.length; i++) t.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
        return t;
    }

    /** {@code values} as float16, or as float32 holding the float16-rounded values. */
    private Tensor typed(DType t, float[] values, long... dims) {
        if (t == DType.FLOAT16) return half(values, dims);
        Tensor f = Tensor.of(roundedToHalf(values), dims);
        owned.add(f);
        return f;
    }

    private static float[] roundedToHalf(float[] values) {
        float[] r = new float[values.length];
        for (int i = 0; i < r.length; i++) r[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        return r;
    }

    private static float[] values(int n, int seed) {
        return SteadyStateModels.values(n, seed);
    }
}
