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
import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A float32 Add takes the activation that alone reads it (GraphOptimizer), with the same results as
 * the two nodes, on the Java kernels and on oneDNN's binary primitive (large tensors in automatic
 * selection, every size when forced), equal shapes and broadcasts; other Adds keep their activation.
 */
class AddActivationFusionTest {
    private static final SessionOptions NONE = SessionOptions.builder().engine("native").threads(1)
            .optimization(SessionOptions.OptimizationLevel.NONE).build();

    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    /** x[dims] + y[yDims] -> activation -> z, read only by the output. */
    private static Model addThen(String activation, long[] dims, long[] yDims, DType type, Attribute... attrs) {
        Graph g = Graph.builder("add-" + activation)
                .input(Value.tensor("x", type, dims))
                .input(Value.tensor("y", type, yDims))
                .node("Add", List.of("x", "y"), List.of("s"))
                .node(activation, List.of("s"), List.of("z"), attrs)
                .output(Value.tensor("z", type, dims))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    private record Outcome(float[] z, NativeSession.Optimizations optimizations, int steps) { }

    private static Outcome run(Model m, SessionOptions options, Tensor x, Tensor y) {
        try (NativeSession s = (NativeSession) Edgerun.session(m, options)) {
            float[] z = null;
            for (int i = 0; i < 2; i++) {
                try (RunResult r = s.run(Map.of("x", x, "y", y))) {
                    z = r.get("z").toFloatArray();
                }
            }
            return new Outcome(z, s.optimizations(), s.planStats().steps());
        }
    }

    private static void kernels(String kernels) {
        System.setProperty(KernelSelection.PROPERTY, kernels);
        KernelSelection.resetDefaults();
    }

    @ParameterizedTest(name = "kernels {0}")
    @ValueSource(strings = {"auto", "java", "onednn"})
    void addTakesEveryActivationWithTheSameResults(String kernels) {
        long[][][] shapes = {
                {{1, 32, 16, 16}, {1, 32, 16, 16}},  // 8192 elements: oneDNN in auto
                {{1, 32, 16, 16}, {1, 32, 1, 1}},    // a per-channel broadcast
                {{2, 3, 5}, {2, 3, 5}},               // small: Java in auto
                {{4, 8, 128}, {128}}};                // a transformer's bias
        List<Attribute[]> none = List.<Attribute[]>of(new Attribute[0]);
        Map<String, Attribute[]> activations = Map.of(
                "Relu", none.get(0),
                "LeakyRelu", new Attribute[] {Attribute.of("alpha", 0.2f)},
                "Sigmoid", none.get(0),
                "HardSwish", none.get(0));
        for (long[][] s : shapes) {
            for (var act : activations.entrySet()) {
                Model m = addThen(act.getKey(), s[0], s[1], DType.FLOAT, act.getValue());
                try (Tensor x = Tensor.of(values(s[0], 1), s[0]); Tensor y = Tensor.of(values(s[1], 2), s[1])) {
                    kernels("java");
                    Outcome separate = run(m, NONE, x, y);
                    kernels(kernels);
                    Outcome fused = run(m, SessionOptions.builder().engine("native").threads(1).build(), x, y);
                    String what = act.getKey() + " after " + java.util.Arrays.deepToString(s) + " (" + kernels + ")";
                    assertEquals(new NativeSession.Optimizations(0, 0, 1), fused.optimizations(), what);
                    assertEquals(1, fused.steps(), what);
                    float tol = act.getKey().equals("Sigmoid") || act.getKey().equals("HardSwish") ? 1e-6f : 0f;
                    assertClose(separate.z(), fused.z(), tol, what);
                }
            }
        }
    }

    @Test
    void inputsOnTheJavaHeapGiveTheSameResults() {
        // oneDNN reads native memory only: a heap input makes the node run its Java kernel instead
        long[] dims = {1, 32, 16, 16};
        Model m = addThen("Relu", dims, dims, DType.FLOAT);
        float[] xs = values(dims, 11);
        try (Tensor heap = Tensor.wrap(DType.FLOAT, dev.edgerun.runtime.Shape.of(dims), java.lang.foreign.MemorySegment.ofArray(xs));
             Tensor x = Tensor.of(xs, dims); Tensor y = Tensor.of(values(dims, 12), dims)) {
            kernels("java");
            Outcome separate = run(m, NONE, x, y);
            kernels("onednn");
            Outcome fused = run(m, SessionOptions.builder().engine("native").threads(1).build(), heap, y);
            assertEquals(new NativeSession.Optimizations(0, 0, 1), fused.optimizations());
            assertClose(separate.z(), fused.z(), 0f, "Add then Relu of a heap input");
        }
    }

    @Test
    void clipWithConstantBoundsFuses() {
        long[] dims = {1, 16, 32, 32};
        Graph g = Graph.builder("add-clip")
                .input(Value.tensor("x", DType.FLOAT, dims))
                .input(Value.tensor("y", DType.FLOAT, dims))
                .initializer("lo", Tensor.scalar(-0.25f))
                .initializer("hi", Tensor.scalar(0.5f))
                .node("Add", List.of("x", "y"), List.of("s"))
                .node("Clip", List.of("s", "lo", "hi"), List.of("z"))
                .output(Value.tensor("z", DType.FLOAT, dims))
                .build();
        Model m = Model.builder().graph(g).opset(17).build();
        try (Tensor x = Tensor.of(values(dims, 3), dims); Tensor y = Tensor.of(values(dims, 4), dims)) {
            kernels("java");
            Outcome separate = run(m, NONE, x, y);
            kernels("auto"); // 16384 elements: oneDNN with its clip post-op
            Outcome fused = run(m, SessionOptions.builder().engine("native").threads(2).build(), x, y);
            assertEquals(new NativeSession.Optimizations(0, 0, 1), fused.optimizations());
            assertClose(separate.z(), fused.z(), 0f, "Add then Clip(-0.25, 0.5)");
            boolean clipped = false;
            for (float v : fused.z()) clipped |= v == 0.5f || v == -0.25f;
            assertTrue(clipped, "the bounds must matter in this test");
        }
    }

    @Test
    void integerAddsAndSharedSumsKeepTheirActivation() {
        long[] dims = {2, 8};
        try (Tensor x = Tensor.of(new int[] {-3, 4, 5, -6, 7, 8, -9, 10, 1, 2, 3, 4, 5, 6, 7, 8}, dims);
             Tensor y = Tensor.of(new int[] {1, -9, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1}, dims);
             NativeSession s = (NativeSession) Edgerun.session(addThen("Relu", dims, dims, DType.INT32),
                     SessionOptions.builder().engine("native").threads(1).build());
             RunResult r = s.run(Map.of("x", x, "y", y))) {
            assertEquals(new NativeSession.Optimizations(0, 0, 0), s.optimizations(), "int32: the Add has no epilogue");
            assertEquals(0, r.get("z").toIntArray()[1], "max(4 - 9, 0)");
        }
        long[] f = {4, 4};
        Graph g = Graph.builder("shared")
                .input(Value.tensor("x", DType.FLOAT, f))
                .input(Value.tensor("y", DType.FLOAT, f))
                .node("Add", List.of("x", "y"), List.of("s"))
                .node("Relu", List.of("s"), List.of("z"))
                .output(Value.tensor("z", DType.FLOAT, f))
                .output(Value.tensor("s", DType.FLOAT, f))
                .build();
        try (Tensor x = Tensor.of(values(f, 5), f); Tensor y = Tensor.of(values(f, 6), f)) {
            Outcome o = run(Model.builder().graph(g).opset(17).build(),
                    SessionOptions.builder().engine("native").threads(1).build(), x, y);
            assertEquals(new NativeSession.Optimizations(0, 0, 0), o.optimizations(), "the sum is a graph output too");
        }
    }

    @Test
    void anAddWithItsReluIsNoSkipOfLayerNormalization() {
        // x + y -> Relu -> LayerNormalization: TransformerFusion would fold a plain Add into the
        // normalization's skip input, which has no place for the Relu.
        long[] dims = {2, 4, 16};
        Graph g = Graph.builder("add-relu-ln")
                .input(Value.tensor("x", DType.FLOAT, dims))
                .input(Value.tensor("y", DType.FLOAT, dims))
                .initializer("gamma", Tensor.of(values(new long[] {16}, 7), 16))
                .initializer("beta", Tensor.of(values(new long[] {16}, 8), 16))
                .node("Add", List.of("x", "y"), List.of("s"))
                .node("Relu", List.of("s"), List.of("r"))
                .node("LayerNormalization", List.of("r", "gamma", "beta"), List.of("z"), Attribute.of("axis", -1L))
                .output(Value.tensor("z", DType.FLOAT, dims))
                .build();
        Model m = Model.builder().graph(g).opset(17).build();
        try (Tensor x = Tensor.of(values(dims, 9), dims); Tensor y = Tensor.of(values(dims, 10), dims)) {
            Outcome separate = run(m, NONE, x, y);
            Outcome fused = run(m, SessionOptions.builder().engine("native").threads(1).build(), x, y);
            assertEquals(2, fused.steps(), "Add with its Relu, LayerNormalization");
            assertClose(separate.z(), fused.z(), 1e-5f, "LayerNormalization of Relu(x + y)");
        }
    }

    private static float[] values(long[] dims, int seed) {
        long n = 1;
        for (long d : dims) n *= d;
        return SteadyStateModels.values((int) n, seed);
    }

    private static void assertClose(float[] expected, float[] actual, float tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }
}
