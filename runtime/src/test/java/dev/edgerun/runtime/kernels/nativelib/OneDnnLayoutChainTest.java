package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A chain of oneDNN convolutions with fused activations (post-ops) whose intermediate values stay
 * in oneDNN's blocked layout gives the outputs of the same model with every tensor NCHW
 * ({@code edgerun.onednn.layout=plain}) and with the Java kernels; values read by a non-oneDNN
 * consumer (MaxPool) or that reach a graph output stay NCHW, while an Add or Relu between oneDNN
 * convolutions runs on blocked values (their layout has no padding).
 */
class OneDnnLayoutChainTest {
    private String previousKernels;
    private String previousLayout;

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previousKernels = System.getProperty(KernelSelection.PROPERTY);
        previousLayout = System.getProperty(OneDnnKernels.LAYOUT_PROPERTY);
    }

    @AfterEach
    void restoreProperties() {
        restore(KernelSelection.PROPERTY, previousKernels);
        restore(OneDnnKernels.LAYOUT_PROPERTY, previousLayout);
        KernelSelection.resetDefaults();
    }

    /**
     * x[1,6,13,11] -> A (3x3, 6->20) Relu -> a -> B (depthwise 3x3 stride 2) Clip -> b -> C (1x1 20->24) -> c;
     * c -> D (1x1 24->40) HardSwish -> d -> E (depthwise 3x3) Sigmoid -> e -> F (1x1 40->24) -> f;
     * y = Add(c, f); e -> H (1x1 40->8) LeakyRelu -> h. Outputs y and h: c and f reach the graph
     * output y through the Add, so they stay NCHW. e has two oneDNN readers.
     */
    private static Model chain() {
        Random rnd = new Random(7);
        Graph.Builder g = Graph.builder("chain").input(Value.tensor("x", DType.FLOAT, 1, 6, 13, 11));
        conv(g, rnd, "A", "x", "a0", 20, 6, 3, 1, 1);
        g.node("Relu", List.of("a0"), List.of("a"));
        conv(g, rnd, "B", "a", "b0", 20, 1, 3, 2, 20);
        g.initializer("lo", Tensor.of(new float[] {0f}));
        g.initializer("hi", Tensor.of(new float[] {6f}));
        g.node("Clip", List.of("b0", "lo", "hi"), List.of("b"));
        conv(g, rnd, "C", "b", "c", 24, 20, 1, 1, 1);
        conv(g, rnd, "D", "c", "d0", 40, 24, 1, 1, 1);
        g.node("HardSwish", List.of("d0"), List.of("d"));
        conv(g, rnd, "E", "d", "e0", 40, 1, 3, 1, 40);
        g.node("Sigmoid", List.of("e0"), List.of("e"));
        conv(g, rnd, "F", "e", "f", 24, 40, 1, 1, 1);
        g.node("Add", List.of("c", "f"), List.of("y"));
        conv(g, rnd, "H", "e", "h0", 8, 40, 1, 1, 1);
        g.node("LeakyRelu", List.of("h0"), List.of("h"), Attribute.of("alpha", 0.1f));
        g.output(Value.tensor("y", DType.FLOAT, 1, 24, 7, 6)).output(Value.tensor("h", DType.FLOAT, 1, 8, 7, 6));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    /**
     * A residual block: x[1,8,10,10] -> P (1x1 8->32) Relu -> p -> Q (depthwise 3x3) Relu -> q -> R (1x1 32->32) -> r;
     * s = Add(p, r); t = Relu(s) -> U (3x3 32->16) -> u; m = MaxPool(q). Outputs u and m. oneDNN's
     * layout for these values has no padding, so the Add and the Relu may run on them as they are;
     * q is read by MaxPool, which reads oneDNN's blocks too (and writes m, a graph output, NCHW).
     */
    private static Model residual() {
        Random rnd = new Random(5);
        Graph.Builder g = Graph.builder("residual").input(Value.tensor("x", DType.FLOAT, 1, 8, 10, 10));
        conv(g, rnd, "P", "x", "p0", 32, 8, 1, 1, 1);
        g.node("Relu", List.of("p0"), List.of("p"));
        conv(g, rnd, "Q", "p", "q0", 32, 1, 3, 1, 32);
        g.node("Relu", List.of("q0"), List.of("q"));
        conv(g, rnd, "R", "q", "r", 32, 32, 1, 1, 1);
        g.node("Add", List.of("p", "r"), List.of("s"));
        g.node("Relu", List.of("s"), List.of("t"));
        conv(g, rnd, "U", "t", "u", 16, 32, 3, 1, 1);
        g.node("MaxPool", List.of("q"), List.of("m"), Attribute.of("kernel_shape", new long[] {2, 2}),
                Attribute.of("strides", new long[] {2, 2}));
        g.output(Value.tensor("u", DType.FLOAT, 1, 16, 10, 10)).output(Value.tensor("m", DType.FLOAT, 1, 32, 5, 5));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    /**
     * Direct and Winograd 3x3 convolutions in 16-channel blocks: x[1,64,32,32] -> A (stride 2, 64->64)
     * Relu -> a -> W (64->64, Winograd at 16x16) Relu -> w -> D (stride 2, 64->160) -> d -> E (160->128
     * at 8x8, direct) Relu -> e; m = MaxPool(d). Outputs e and m. A, D and E (10-24 MFLOP) run on nhwc
     * copies of their blocked activations ({@link NativeKernelRules#oneDnnNhwcDirect}) where oneDNN has
     * its brgemm kernel.
     */
    private static Model directAndWinograd() {
        Random rnd = new Random(9);
        Graph.Builder g = Graph.builder("direct-winograd").input(Value.tensor("x", DType.FLOAT, 1, 64, 32, 32));
        conv(g, rnd, "A", "x", "a0", 64, 64, 3, 2, 1);
        g.node("Relu", List.of("a0"), List.of("a"));
        conv(g, rnd, "W", "a", "w0", 64, 64, 3, 1, 1);
        g.node("Relu", List.of("w0"), List.of("w"));
        conv(g, rnd, "D", "w", "d", 160, 64, 3, 2, 1);
        conv(g, rnd, "E", "d", "e0", 128, 160, 3, 1, 1);
        g.node("Relu", List.of("e0"), List.of("e"));
        g.node("MaxPool", List.of("d"), List.of("m"), Attribute.of("kernel_shape", new long[] {2, 2}),
                Attribute.of("strides", new long[] {2, 2}));
        g.output(Value.tensor("e", DType.FLOAT, 1, 128, 8, 8)).output(Value.tensor("m", DType.FLOAT, 1, 160, 4, 4));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    private static void conv(Graph.Builder g, Random rnd, String name, String in, String out, int m, int c, int k,
                             int stride, int group) {
        float[] w = new float[m * c * k * k];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() / Math.sqrt(c * k * k));
        float[] b = new float[m];
        for (int i = 0; i < m; i++) b[i] = (float) rnd.nextGaussian() * 0.1f;
        g.initializer(name + ".w", Tensor.of(w, m, c, k, k));
        g.initializer(name + ".b", Tensor.of(b, m));
        long pad = k / 2;
        g.node("Conv", List.of(in, name + ".w", name + ".b"), List.of(out),
                Attribute.of("strides", new long[] {stride, stride}), Attribute.of("pads", new long[] {pad, pad, pad, pad}),
                Attribute.of("group", (long) group));
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void blockedChainMatchesPlainAndJava(int threads) {
        Model model = chain();
        Random rnd = new Random(11);
        float[] x = new float[6 * 13 * 11];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

        Outputs chained = run(model, x, threads, "onednn", "auto");
        Outputs plain = run(model, x, threads, "onednn", "plain");
        Outputs java = run(model, x, threads, "java", "auto");

        for (String v : List.of("a", "b", "d", "e")) {
            assertTrue(internal(chained.plan, v), v + " should stay blocked between oneDNN convolutions:\n" + chained.plan);
        }
        for (String v : List.of("c", "f", "h", "y")) {
            assertFalse(internal(chained.plan, v), v + " is read by Add or is a graph output, so NCHW:\n" + chained.plan);
        }
        assertFalse(plain.plan.contains("[internal layout"), plain.plan);
        assertFalse(java.plan.contains("[internal layout"), java.plan);
        for (String activation : List.of("(Relu", "(Clip", "(HardSwish", "(Sigmoid", "(LeakyRelu")) {
            assertFalse(chained.plan.contains(activation), "activations fused into the convolutions:\n" + chained.plan);
        }

        assertClose(plain.y, chained.y, "y");
        assertClose(plain.h, chained.h, "h");
        assertClose(java.y, chained.y, "y vs Java");
        assertClose(java.h, chained.h, "h vs Java");
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void residualAddAndReluRunOnBlockedValues(int threads) {
        Model model = residual();
        Random rnd = new Random(3);
        float[] x = new float[8 * 10 * 10];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

        Outputs chained = run(model, x, threads, "onednn", "auto", "u", "m");
        Outputs plain = run(model, x, threads, "onednn", "plain", "u", "m");
        Outputs java = run(model, x, threads, "java", "auto", "u", "m");

        // q: MaxPool reads blocks too (oneDNN pooling); the Add takes its Relu (GraphOptimizer): its sum s
        // is no value of the plan, t is written by the Add
        for (String v : List.of("p", "q", "r", "t")) {
            assertTrue(internal(chained.plan, v), v + " should stay blocked:\n" + chained.plan);
        }
        for (String v : List.of("u", "m")) {
            assertFalse(internal(chained.plan, v), v + " is a graph output, so NCHW:\n" + chained.plan);
        }
        assertClose(plain.y, chained.y, "u");
        assertClose(plain.h, chained.h, "m");
        assertClose(java.y, chained.y, "u vs Java");
        assertClose(java.h, chained.h, "m vs Java");
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void directConvolutionsOnNhwcCopiesMatchBlockedPlainAndJava(int threads) {
        Model model = directAndWinograd();
        Random rnd = new Random(13);
        float[] x = new float[64 * 32 * 32];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

        Outputs chained = run(model, x, threads, "onednn", "auto", "e", "m");
        Outputs blocked;
        String previous = System.getProperty(DnnlConvKernel.NHWC_DIRECT_PROPERTY);
        System.setProperty(DnnlConvKernel.NHWC_DIRECT_PROPERTY, "off");
        try {
            blocked = run(model, x, threads, "onednn", "auto", "e", "m");
        } finally {
            restore(DnnlConvKernel.NHWC_DIRECT_PROPERTY, previous);
        }
        Outputs plain = run(model, x, threads, "onednn", "plain", "e", "m");
        Outputs java = run(model, x, threads, "java", "auto", "e", "m");

        for (String v : List.of("a", "w", "d")) {
            assertTrue(internal(chained.plan, v), v + " should stay blocked:\n" + chained.plan);
        }
        assertClose(blocked.y, chained.y, "e vs nChw16c kernels");
        assertClose(blocked.h, chained.h, "m vs nChw16c kernels");
        assertClose(plain.y, chained.y, "e vs plain");
        assertClose(plain.h, chained.h, "m vs plain");
        assertClose(java.y, chained.y, "e vs Java");
        assertClose(java.h, chained.h, "m vs Java");
    }

    /** The two outputs of a model, and its plan. */
    private record Outputs(float[] y, float[] h, String plan) { }

    private static Outputs run(Model model, float[] x, int threads, String kernels, String layout) {
        return run(model, x, threads, kernels, layout, "y", "h");
    }

    private static Outputs run(Model model, float[] x, int threads, String kernels, String layout, String first,
                               String second) {
        System.setProperty(KernelSelection.PROPERTY, kernels);
        System.setProperty(OneDnnKernels.LAYOUT_PROPERTY, layout);
        KernelSelection.resetDefaults();
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        long[] dims = ((dev.edgerun.runtime.ir.ValueType.TensorType) model.graph().inputs().get(0).type()).shape().dims();
        try (NativeSession s = (NativeSession) Edgerun.session(model, options); Tensor in = Tensor.of(x, dims)) {
            float[] a = null, b = null;
            for (int run = 0; run < 2; run++) { // the second run reuses the frame, with stale blocked buffers
                try (RunResult r = s.run(Map.of("x", in))) {
                    a = r.get(first).toFloatArray();
                    b = r.get(second).toFloatArray();
                }
            }
            return new Outputs(a, b, s.explainPlan());
        }
    }

    /** Whether the plan keeps value {@code name} in an internal layout. */
    private static boolean internal(String plan, String name) {
        for (String line : plan.lines().toList()) {
            int at = line.indexOf("-> " + name + ":");
            if (at >= 0) return line.indexOf("[internal layout", at) >= 0;
        }
        throw new AssertionError("no step writes " + name + ":\n" + plan);
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-4f + 1e-4f * Math.abs(expected[i]);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol,
                    what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
