package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Compile-time fusion: same results as the unoptimized graph, fewer steps, only where it is safe. */
class GraphOptimizerTest {
    private static final SessionOptions ALL = SessionOptions.builder().engine("native").threads(1).build();
    private static final SessionOptions NONE = SessionOptions.builder().engine("native").threads(1)
            .optimization(SessionOptions.OptimizationLevel.NONE).build();

    private record Outcome(Map<String, float[]> outputs, NativeSession.Optimizations optimizations, int steps) {}

    private static Outcome run(Model m, SessionOptions options, Map<String, Tensor> inputs) {
        try (NativeSession s = (NativeSession) Edgerun.session(m, options);
             RunResult r = s.run(inputs)) {
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            for (String name : r.names()) out.put(name, floats(r.get(name)));
            return new Outcome(out, s.optimizations(), s.planStats().steps());
        }
    }

    /** Runs with and without optimization; asserts equal outputs (within {@code tol}) and returns the optimized outcome. */
    private static Outcome compare(Model m, float tol, Map<String, Tensor> inputs) {
        Outcome plain = run(m, NONE, inputs);
        Outcome fused = run(m, ALL, inputs);
        assertEquals(new NativeSession.Optimizations(0, 0, 0), plain.optimizations());
        assertEquals(plain.outputs().keySet(), fused.outputs().keySet());
        for (String name : plain.outputs().keySet()) {
            float[] a = plain.outputs().get(name), b = fused.outputs().get(name);
            assertEquals(a.length, b.length);
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], tol * Math.max(1, Math.abs(a[i])), name + "[" + i + "]");
            }
        }
        return fused;
    }

    @Test
    void convBatchNormAndActivationsFoldIntoConvolutions() {
        Model m = SteadyStateModels.dscnn();
        try (Tensor x = Tensor.of(SteadyStateModels.values(490, 3), 1, 1, 49, 10)) {
            Outcome o = compare(m, 1e-5f, Map.of("x", x));
            assertEquals(new NativeSession.Optimizations(1, 0, 3), o.optimizations());
            assertEquals(5, o.steps(), "3 Conv, GlobalAveragePool, Gemm (Flatten is a view)");
        }
    }

    /** x[4,32] -> MatMul(W[32,16]) -> Add(b[16]) -> activation -> y. */
    private static Model matMulAdd(String activation, Attribute... attrs) {
        Graph.Builder g = Graph.builder("mm")
                .input(Value.tensor("x", DType.FLOAT, 4, 32))
                .initializer("w", Tensor.of(SteadyStateModels.values(32 * 16, 1), 32, 16))
                .initializer("b", Tensor.of(SteadyStateModels.values(16, 2), 16))
                .node("MatMul", List.of("x", "w"), List.of("mm"))
                .node("Add", List.of("b", "mm"), List.of("s"))
                .node(activation, List.of("s"), List.of("y"), attrs)
                .output(Value.tensor("y", DType.FLOAT, 4, 16));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    @Test
    void matMulTakesTheBiasAndEveryActivation() {
        try (Tensor x = Tensor.of(SteadyStateModels.values(128, 4), 4, 32)) {
            for (String act : List.of("Relu", "Sigmoid", "HardSwish")) {
                Outcome o = compare(matMulAdd(act), 1e-6f, Map.of("x", x));
                assertEquals(new NativeSession.Optimizations(0, 1, 1), o.optimizations(), act);
                assertEquals(1, o.steps(), act);
            }
            Outcome leaky = compare(matMulAdd("LeakyRelu", Attribute.of("alpha", 0.3f)), 1e-6f, Map.of("x", x));
            assertEquals(new NativeSession.Optimizations(0, 1, 1), leaky.optimizations());
        }
    }

    @Test
    void gemmTakesClipWithConstantBounds() {
        Graph g = Graph.builder("gemm")
                .input(Value.tensor("x", DType.FLOAT, 2, 8))
                .initializer("w", Tensor.of(SteadyStateModels.values(8 * 6, 5), 6, 8))
                .initializer("c", Tensor.of(SteadyStateModels.values(6, 6), 6))
                .initializer("lo", Tensor.scalar(-0.05f))
                .initializer("hi", Tensor.scalar(0.05f))
                .node("Gemm", List.of("x", "w", "c"), List.of("h"), Attribute.of("transB", 1L), Attribute.of("alpha", 2f))
                .node("Clip", List.of("h", "lo", "hi"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT, 2, 6))
                .build();
        try (Tensor x = Tensor.of(SteadyStateModels.values(16, 7), 2, 8)) {
            Outcome o = compare(Model.builder().graph(g).opset(17).build(), 1e-6f, Map.of("x", x));
            assertEquals(new NativeSession.Optimizations(0, 0, 1), o.optimizations());
            boolean clipped = false;
            for (float v : o.outputs().get("y")) clipped |= Math.abs(v) == 0.05f;
            assertTrue(clipped, "the bounds must matter in this test");
        }
    }

    @Test
    void valuesWithOtherReadersAreNotFused() {
        // h is a graph output, r is read twice, the Clip bound is a graph input: nothing may fuse.
        Graph g = Graph.builder("shared")
                .input(Value.tensor("x", DType.FLOAT, 2, 8))
                .input(Value.tensor("hi", DType.FLOAT))
                .initializer("w", Tensor.of(SteadyStateModels.values(8 * 8, 5), 8, 8))
                .initializer("w2", Tensor.of(SteadyStateModels.values(8 * 8, 6), 8, 8))
                .initializer("w3", Tensor.of(SteadyStateModels.values(8 * 8, 7), 8, 8))
                .node("MatMul", List.of("x", "w"), List.of("h"))
                .node("Relu", List.of("h"), List.of("r"))
                .node("MatMul", List.of("r", "w2"), List.of("a"))
                .node("Sigmoid", List.of("r"), List.of("s"))
                .node("MatMul", List.of("a", "w3"), List.of("m3"))
                .node("Clip", List.of("m3", "", "hi"), List.of("y"))
                .output(Value.tensor("h", DType.FLOAT, 2, 8))
                .output(Value.tensor("s", DType.FLOAT, 2, 8))
                .output(Value.tensor("a", DType.FLOAT, 2, 8))
                .output(Value.tensor("y", DType.FLOAT, 2, 8))
                .build();
        try (Tensor x = Tensor.of(SteadyStateModels.values(16, 7), 2, 8);
             Tensor hi = Tensor.scalar(0.01f)) {
            Outcome o = compare(Model.builder().graph(g).opset(17).build(), 0f, Map.of("x", x, "hi", hi));
            assertEquals(new NativeSession.Optimizations(0, 0, 0), o.optimizations());
            assertEquals(6, o.steps());
        }
    }

    @Test
    void float16ProducersTakeReluAndClipWithExactBoundsOnly() {
        // Conv (float16) -> Clip(0, 6) and Gemm (float16) -> Relu fuse, bit for bit; Sigmoid does not
        // commute with the rounding to float16 and stays. IsNaN (a float16 operator outside
        // HalfAsFloat's allowlist) keeps the graph in float16 node by node.
        Graph g = Graph.builder("half")
                .input(Value.tensor("x", DType.FLOAT16, 1, 2, 5, 5))
                .initializer("w", half(SteadyStateModels.values(4 * 2 * 9, 3), 4, 2, 3, 3))
                .initializer("lo", half(new float[] {0f}))
                .initializer("hi", half(new float[] {6f}))
                .initializer("w2", half(SteadyStateModels.values(100 * 6, 4), 100, 6))
                .initializer("w3", half(SteadyStateModels.values(6 * 6, 5), 6, 6))
                .node("Conv", List.of("x", "w"), List.of("c"), Attribute.of("pads", new long[] {1, 1, 1, 1}))
                .node("Clip", List.of("c", "lo", "hi"), List.of("cc"))
                .node("Flatten", List.of("cc"), List.of("f"))
                .node("Gemm", List.of("f", "w2"), List.of("g"))
                .node("Relu", List.of("g"), List.of("r"))
                .node("Gemm", List.of("r", "w3"), List.of("g2"))
                .node("Sigmoid", List.of("g2"), List.of("y"))
                .node("IsNaN", List.of("x"), List.of("nan"))
                .output(Value.tensor("y", DType.FLOAT16, 1, 6))
                .output(Value.tensor("nan", DType.BOOL, 1, 2, 5, 5))
                .build();
        try (Tensor x = half(SteadyStateModels.values(50, 7), 1, 2, 5, 5)) {
            Outcome o = compare(Model.builder().graph(g).opset(17).build(), 0f, Map.of("x", x));
            assertEquals(new NativeSession.Optimizations(0, 0, 2), o.optimizations(), "Conv+Clip and Gemm+Relu");
        }
    }

    @Test
    void float16ClipBoundsThatFloat16CannotHoldAreNotFused() {
        // Opset 10: Clip's bounds are float32 attributes; 0.1 is not a float16 value, 0.5 is. IsNaN (a
        // float16 operator outside HalfAsFloat's allowlist) keeps the graph in float16 node by node.
        Graph g = Graph.builder("half-bounds")
                .input(Value.tensor("x", DType.FLOAT16, 2, 6))
                .initializer("w", half(SteadyStateModels.values(6 * 6, 3), 6, 6))
                .initializer("w2", half(SteadyStateModels.values(6 * 6, 4), 6, 6))
                .node("Gemm", List.of("x", "w"), List.of("g"))
                .node("Clip", List.of("g"), List.of("c"), Attribute.of("min", 0f), Attribute.of("max", 0.1f))
                .node("Gemm", List.of("c", "w2"), List.of("g2"))
                .node("Clip", List.of("g2"), List.of("y"), Attribute.of("min", 0f), Attribute.of("max", 0.5f))
                .node("IsNaN", List.of("x"), List.of("nan"))
                .output(Value.tensor("y", DType.FLOAT16, 2, 6))
                .output(Value.tensor("nan", DType.BOOL, 2, 6))
                .build();
        try (Tensor x = half(SteadyStateModels.values(12, 7), 2, 6)) {
            Outcome o = compare(Model.builder().graph(g).opset(10).build(), 0f, Map.of("x", x));
            assertEquals(new NativeSession.Optimizations(0, 0, 1), o.optimizations(), "only the Clip to 0.5");
        }
    }

    private static float[] floats(Tensor t) {
        if (t.dtype() == DType.FLOAT) return t.toFloatArray();
        float[] r = new float[(int) t.elementCount()];
        for (int i = 0; i < r.length; i++) r[i] = (float) t.getAsDouble(i);
        return r;
    }

    private static Tensor half(float[] values, long... dims) {
        Tensor t = Tensor.allocate(DType.FLOAT16, dims);
        for (int i = 0; i < values.length; i++) {
            t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
        }
        return t;
    }
}
