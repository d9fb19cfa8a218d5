package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.edgerun.runtime.ops.nn.MatMul;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The transformer rewrites on a one-block encoder built as PyTorch exports it (qkv projection,
 * heads split by Reshape + Transpose, scaled softmax attention, heads merged, GELU feed-forward):
 * the rewritten graph computes what the original computes, with the folded nodes gone, and a
 * node is left alone where another reader or a different pattern forbids the rewrite.
 */
class TransformerFusionTest {
    private static final int SEQ = 8, MODEL = 16, HEADS = 2, D = MODEL / HEADS, FF = 32;

    private static SessionOptions options(int threads) {
        return SessionOptions.builder().engine("native").threads(threads).optimization(SessionOptions.OptimizationLevel.NONE).build();
    }

    /** The block; {@code extraOutput} also makes the named value a graph output; {@code softmaxAxis} the Softmax's axis. */
    private static Model block(String extraOutput, long softmaxAxis, float geluDivisor, boolean lnBias) {
        Graph.Builder g = Graph.builder("block")
                .input(Value.tensor("x", DType.FLOAT, 1, SEQ, MODEL))
                .initializer("w_qkv", Tensor.of(SteadyStateModels.values(MODEL * 3 * MODEL, 1), MODEL, 3 * MODEL))
                .initializer("b_qkv", Tensor.of(SteadyStateModels.values(3 * MODEL, 2), 3 * MODEL))
                .initializer("split", Tensor.of(new long[] {MODEL, MODEL, MODEL}, 3))
                .initializer("heads", Tensor.of(new long[] {1, SEQ, HEADS, D}, 4))
                .initializer("merged", Tensor.of(new long[] {1, SEQ, MODEL}, 3))
                .initializer("scale", Tensor.of(new float[] {(float) Math.sqrt(D)}))
                .initializer("w_ff", Tensor.of(SteadyStateModels.values(MODEL * FF, 3), MODEL, FF))
                .initializer("b_ff", Tensor.of(SteadyStateModels.values(FF, 4), FF))
                .initializer("ln_w", Tensor.of(SteadyStateModels.values(MODEL, 6), MODEL))
                .initializer("ln_b", Tensor.of(SteadyStateModels.values(MODEL, 7), MODEL))
                .initializer("one", Tensor.of(new float[] {1f}))
                .initializer("half", Tensor.of(new float[] {0.5f}))
                .node("MatMul", List.of("x", "w_qkv"), List.of("qkv_mm"))
                .node("Add", List.of("b_qkv", "qkv_mm"), List.of("qkv"))
                .node("Split", List.of("qkv", "split"), List.of("q", "k", "v"), Attribute.of("axis", 2L))
                .node("Reshape", List.of("q", "heads"), List.of("q4"))
                .node("Transpose", List.of("q4"), List.of("qt"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("Reshape", List.of("k", "heads"), List.of("k4"))
                .node("Transpose", List.of("k4"), List.of("kt"), Attribute.of("perm", new long[] {0, 2, 3, 1}))
                .node("Reshape", List.of("v", "heads"), List.of("v4"))
                .node("Transpose", List.of("v4"), List.of("vt"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("MatMul", List.of("qt", "kt"), List.of("scores"))
                .node("Div", List.of("scores", "scale"), List.of("scaled"))
                .node("Softmax", List.of("scaled"), List.of("attn"), Attribute.of("axis", softmaxAxis))
                .node("MatMul", List.of("attn", "vt"), List.of("ctx"))
                .node("Transpose", List.of("ctx"), List.of("ctx_t"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("Reshape", List.of("ctx_t", "merged"), List.of("h"))
                .node("Add", List.of("x", "h"), List.of("res"))
                .node("LayerNormalization", lnBias ? List.of("res", "ln_w", "ln_b") : List.of("res", "ln_w"), List.of("hn"),
                        Attribute.of("axis", -1L), Attribute.of("epsilon", 1e-5f))
                .node("MatMul", List.of("hn", "w_ff"), List.of("ff_mm"))
                .node("Add", List.of("b_ff", "ff_mm"), List.of("f"));
        g.node(Node.builder("Constant").name("sqrt2").outputs("sqrt2")
                .attribute("value", Tensor.of(new float[] {geluDivisor})).build());
        g.node("Div", List.of("f", "sqrt2"), List.of("f_div"))
                .node("Erf", List.of("f_div"), List.of("f_erf"))
                .node("Add", List.of("f_erf", "one"), List.of("f_plus"))
                .node("Mul", List.of("f", "f_plus"), List.of("f_mul"))
                .node("Mul", List.of("f_mul", "half"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT, 1, SEQ, FF));
        if (extraOutput != null) g.output(new Value(extraOutput, null, ""));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    private record Fused(Model model, int folded) {}

    private static Fused fuse(Model m) {
        GraphOptimizer.Result r = GraphOptimizer.optimize(m.graph(), 17);
        assertTrue(r.created().isEmpty());
        TransformerFusion.Result f = TransformerFusion.fuse(r.graph());
        return new Fused(m.toBuilder().graph(f.graph()).build(), f.foldedNodes());
    }

    private static float[] run(Model m, int threads, Tensor x) {
        try (Session s = Edgerun.session(m, options(threads)); RunResult r = s.run(Map.of("x", x))) {
            return r.get("y").toFloatArray();
        }
    }

    private static void assertSameOutputs(Model original, Model fused, int threads) {
        try (Tensor x = Tensor.of(SteadyStateModels.values(SEQ * MODEL, 5), 1, SEQ, MODEL)) {
            float[] want = run(original, threads, x), got = run(fused, threads, x);
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-5f * Math.max(1, Math.abs(want[i])), "y[" + i + "]");
        }
    }

    private static long count(Model m, String opType) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals(opType)).count();
    }

    @Test
    void everyPatternFoldsIntoTheMatMuls() {
        Model original = block(null, -1, (float) Math.sqrt(2), true);
        Fused f = fuse(original);
        assertEquals(4 + 2 + 5 + 1, f.folded(), "4 Transposes, Div and Softmax, the GELU chain, the residual Add");
        assertEquals(0, count(f.model(), "Add"), "bias Adds fused by GraphOptimizer, the residual one into LayerNormalization, GELU's into its MatMul");
        assertEquals(0, count(f.model(), "Transpose"));
        assertEquals(0, count(f.model(), "Softmax"));
        assertEquals(0, count(f.model(), "Erf"));
        assertEquals(0, count(f.model(), "Constant"), "the GELU divisor's Constant has no reader left");
        Node scores = f.model().graph().nodes().stream().filter(n -> n.outputs().contains("attn")).findFirst().orElseThrow();
        assertEquals("MatMul", scores.opType());
        assertEquals(List.of(MatMul.PERM_A_ATTR, MatMul.PERM_B_ATTR, MatMul.DIVISOR_ATTR, MatMul.SOFTMAX_ATTR).stream().sorted().toList(),
                scores.attributes().keySet().stream().sorted().toList());
        for (int threads : new int[] {1, 2}) assertSameOutputs(original, f.model(), threads);
    }

    @Test
    void aTransposeWithAnotherReaderStays() {
        Model original = block("kt", -1, (float) Math.sqrt(2), true);
        Fused f = fuse(original);
        assertEquals(1, count(f.model(), "Transpose"));
        assertEquals(3 + 2 + 5 + 1, f.folded());
        assertSameOutputs(original, f.model(), 1);
    }

    @Test
    void softmaxOverAnotherAxisAndANonGeluChainStay() {
        Model original = block(null, 2, 1.5f, false);
        Fused f = fuse(original);
        assertEquals(1, count(f.model(), "Softmax"));
        assertEquals(1, count(f.model(), "Erf"));
        assertEquals(4 + 1 + 1, f.folded(), "the Transposes, the Div and the residual Add (LayerNormalization without bias)");
        assertSameOutputs(original, f.model(), 1);
    }

    @Test
    void aMatMulWithConstantWeightsKeepsItsTransposedInput() {
        Graph g = Graph.builder("tw")
                .input(Value.tensor("x", DType.FLOAT, 1, MODEL, SEQ))
                .initializer("w", Tensor.of(SteadyStateModels.values(MODEL * FF, 3), MODEL, FF))
                .node("Transpose", List.of("x"), List.of("xt"), Attribute.of("perm", new long[] {0, 2, 1}))
                .node("MatMul", List.of("xt", "w"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT, 1, SEQ, FF))
                .build();
        Fused f = fuse(Model.builder().graph(g).opset(17).build());
        assertEquals(0, f.folded(), "the weights stay packed once; the Transpose stays");
    }
}
