package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small models built in code, data folders written for them, and runs on both engines. */
final class TestModels {
    private TestModels() {}

    /**
     * (batch, 3, 8, 8) -> Conv 3x3 (4 channels, pad 1) -> Relu -> GlobalAveragePool -> Flatten
     * -> MatMul (4, 16) -> Add -> Relu -> Gemm (transB, 10) -> logits (batch, 10). Random weights, fixed seed.
     */
    static Model cnn(List<Tensor> owned) {
        Random r = new Random(7);
        Graph.Builder g = Graph.builder("tiny_cnn");
        g.input(new Value("x", new dev.edgerun.runtime.ir.ValueType.TensorType(DType.FLOAT,
                Shape.symbolic(new long[] {-1, 3, 8, 8}, new String[] {"batch", null, null, null})), ""));
        g.initializer("conv_w", own(owned, random(r, 0.4f, 4, 3, 3, 3)));
        g.initializer("conv_b", own(owned, random(r, 0.1f, 4)));
        g.initializer("fc1_w", own(owned, random(r, 0.5f, 4, 16)));
        g.initializer("fc1_b", own(owned, random(r, 0.1f, 16)));
        g.initializer("fc2_w", own(owned, random(r, 0.3f, 10, 16)));
        g.initializer("fc2_b", own(owned, random(r, 0.1f, 10)));
        g.node(Node.builder("Conv").name("conv").inputs("x", "conv_w", "conv_b").outputs("c")
                .attribute("kernel_shape", new long[] {3, 3}).attribute("pads", new long[] {1, 1, 1, 1}).build());
        g.node(Node.builder("Relu").name("relu1").inputs("c").outputs("c_relu").build());
        g.node(Node.builder("GlobalAveragePool").name("gap").inputs("c_relu").outputs("pooled").build());
        g.node(Node.builder("Flatten").name("flatten").inputs("pooled").outputs("flat").build());
        g.node(Node.builder("MatMul").name("fc1").inputs("flat", "fc1_w").outputs("h").build());
        g.node(Node.builder("Add").name("fc1_bias").inputs("h", "fc1_b").outputs("hb").build());
        g.node(Node.builder("Relu").name("relu2").inputs("hb").outputs("h_relu").build());
        g.node(Node.builder("Gemm").name("fc2").inputs("h_relu", "fc2_w", "fc2_b").outputs("logits")
                .attribute("transB", 1L).build());
        g.output(Value.tensor("logits", DType.FLOAT, Shape.symbolic(new long[] {-1, 10}, new String[] {"batch", null})));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    /** {@code samples} random inputs for {@link #cnn} written as {@code images.npy} (+ labels.npy from the float model's argmax when given). */
    static Path cnnData(Path dir, int samples, long seed) {
        Random r = new Random(seed);
        float[] v = new float[samples * 3 * 8 * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.abs(r.nextGaussian());
        try (Tensor t = Tensor.of(v, samples, 3, 8, 8)) {
            Files.createDirectories(dir);
            Npy.write(t, dir.resolve("images.npy"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    static Tensor random(Random r, float std, long... dims) {
        long n = Shape.of(dims).elementCount();
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * std);
        return Tensor.of(v, dims);
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    /** The engine's first output for {@code inputs}, as floats. */
    static float[] run(Model model, String engine, Map<String, Tensor> inputs) {
        try (Session s = Edgerun.session(model, SessionOptions.builder().engine(engine).build());
             RunResult r = s.run(inputs)) {
            return r.get(0).toFloatArrayConverted();
        }
    }

    /** Skips (loudly) when ONNX Runtime cannot run here. */
    static void assumeOnnxRuntime() {
        boolean ok = Quantizer.availableEngines().contains("onnxruntime");
        if (!ok) System.err.println("SKIPPED: the onnxruntime engine is not available here");
        assumeTrue(ok, "the onnxruntime engine is not available here");
    }

    /**
     * Native and ONNX Runtime outputs of the same quantized model agree within one quantization
     * step: {@code (max - min) / levels} of the reference output's range.
     */
    static void assertEnginesAgree(Model quantized, Map<String, Tensor> inputs, int levels) {
        float[] a = run(quantized, "native", inputs);
        float[] b = run(quantized, "onnxruntime", inputs);
        assertEquals(a.length, b.length);
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float x : b) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        double step = (max - min) / levels;
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        assertTrue(worst <= step, "native and onnxruntime differ by " + worst + ", more than one step " + step);
    }

    static List<String> opTypes(Model m) {
        List<String> r = new ArrayList<>();
        for (Node n : m.graph().nodes()) r.add(n.opType());
        return r;
    }

    static Node node(Model m, String opType) {
        for (Node n : m.graph().nodes()) if (n.opType().equals(opType)) return n;
        throw new AssertionError("no " + opType + " in " + opTypes(m));
    }

    /** The shared data folder {@code sub}; the calling test is skipped (loudly) without it. */
    static Path shared(String sub) {
        String root = System.getProperty("EDGERUN_SHARED");
        if (root == null || root.isBlank()) root = System.getenv("EDGERUN_SHARED");
        Path p = root == null || root.isBlank() ? null : Path.of(root, sub);
        boolean present = p != null && Files.exists(p);
        if (!present) System.err.println("SKIPPED: shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root + ")");
        assumeTrue(present, "shared test data '" + sub + "' not found (EDGERUN_SHARED=" + root + ")");
        return p;
    }
}
