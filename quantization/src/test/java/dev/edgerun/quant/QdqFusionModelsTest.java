package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Static int8 (QDQ) shared models on the native engine: the QDQ convolutions run as QLinearConv
 * (no float Conv left), and the outputs stay close to the same graph run operator by operator
 * (optimization NONE: dequantize, float, quantize): the first convolution's quantized output at
 * most 1 unit apart in at most 0.01% of its elements (rounding ties of the float path), digits_cnn's
 * output within one quantization step. In deep models a flipped tie propagates, so their outputs
 * are printed, not bounded. With ONNX Runtime present: native, with the default kernels and with
 * the Java kernels alone (both round as ONNX Runtime's MLAS does), agrees with it within one step;
 * with the Java kernels alone every classifier Gemm runs as QGemm (int8 weights).
 * A step is
 * {@code (max - min) / 255} of the reference output, as in {@link TestModels#assertEnginesAgree}.
 */
class QdqFusionModelsTest {

    /** Max |a - b| in steps of {@code ref}'s range, and how many elements differ at all. */
    record Difference(double steps, int differing, int count) {
        static Difference of(float[] ref, float[] other) {
            assertEquals(ref.length, other.length);
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (float x : ref) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            double step = (max - min) / 255.0;
            double worst = 0;
            int differing = 0;
            for (int i = 0; i < ref.length; i++) {
                double d = Math.abs(ref[i] - other[i]);
                worst = Math.max(worst, d);
                if (d > 0) differing++;
            }
            return new Difference(worst / step, differing, ref.length);
        }

        @Override
        public String toString() {
            return String.format("max %.3f steps, %d of %d outputs differ", steps, differing, count);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"digits_cnn", "mobilenet_v2", "mobilenet_v2_dynbatch", "resnet18"})
    void convolutionsRunAsQLinearConvCloseToTheQdqGraph(String name, @TempDir Path tmp) throws IOException {
        Path dir = TestModels.shared("models/" + name);
        try (Model model = OnnxModels.read(dir.resolve("model.onnx"));
             DataFolder test = DataFolder.read(dir, model.graph().requiredInputs());
             DataFolder calibration = name.equals("digits_cnn")
                     ? DataFolder.read(DigitsCnnTest.trainSplit(TestModels.shared("testdata/datasets/sklearn-digits"),
                             tmp.resolve("train")), model.graph().requiredInputs())
                     : DataFolder.read(dir, model.graph().requiredInputs());
             Quantizer.Result q = Quantizer.quantize(model, QuantOptions.builder(QuantMode.STATIC).build(), calibration)) {
            Map<String, Tensor> inputs = test.slice(0, name.equals("digits_cnn") ? 64 : 1);
            int convs = (int) TestModels.opTypes(q.model()).stream().filter("Conv"::equals).count();
            List<String> quantized = new ArrayList<>();
            for (Node n : q.model().graph().nodes()) if (n.opType().equals("QuantizeLinear")) quantized.add(n.outputs().get(0));
            Model exposed = Observer.withOutputs(q.model(), quantized);   // Q outputs may be graph outputs: still fused
            Outputs qdq = run(exposed, "native", SessionOptions.OptimizationLevel.NONE, inputs, -1);
            Outputs fused = run(exposed, "native", SessionOptions.OptimizationLevel.ALL, inputs, convs);
            Difference d = Difference.of(qdq.first(), fused.first());
            System.out.println(name + " static int8, native fused vs QDQ graph: " + d + "; " + firstDivergence(qdq, fused, quantized));
            // the first convolution reads the quantized input, the same in both: at most 1 unit apart, rarely
            String firstConv = quantized.get(1);
            long[] a = qdq.quantized().get(firstConv), b = fused.quantized().get(firstConv);
            int differing = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(Math.abs(a[i] - b[i]) <= 1, firstConv + "[" + i + "]: " + a[i] + " vs " + b[i]);
                if (a[i] != b[i]) differing++;
            }
            assertTrue(differing <= a.length / 10_000, firstConv + ": " + differing + " of " + a.length + " differ");
            if (name.equals("digits_cnn")) assertTrue(d.steps() <= 1.0001, name + ": " + d);
            if (Quantizer.availableEngines().contains("onnxruntime")) {
                Outputs ort = run(exposed, "onnxruntime", SessionOptions.OptimizationLevel.ALL, inputs, -1);
                Difference defaultVsOrt = Difference.of(ort.first(), fused.first());
                System.out.println(name + " static int8, native fused (default kernels) vs onnxruntime: " + defaultVsOrt
                        + "; " + firstDivergence(ort, fused, quantized)
                        + "; native QDQ graph vs onnxruntime: " + Difference.of(ort.first(), qdq.first()));
                Outputs java = withJavaKernels(() -> run(exposed, "native", SessionOptions.OptimizationLevel.ALL, inputs, convs));
                Difference javaVsOrt = Difference.of(ort.first(), java.first());
                // with the Java kernels alone, every DequantizeLinear'd Gemm (the classifiers) runs as QGemm
                assertEquals(TestModels.opTypes(q.model()).stream().filter("Gemm"::equals).count(), java.qGemms(), name);
                System.out.println(name + " static int8, native fused (Java kernels) vs onnxruntime: " + javaVsOrt + "; "
                        + firstDivergence(ort, java, quantized));
                assertTrue(javaVsOrt.steps() <= 1.0001, name + " with Java kernels vs onnxruntime: " + javaVsOrt);
                assertTrue(defaultVsOrt.steps() <= 1.0001, name + " with the default kernels vs onnxruntime: " + defaultVsOrt);
            } else {
                System.err.println("SKIPPED: the onnxruntime engine is not available here (native vs onnxruntime)");
            }
        }
    }

    /** Runs {@code body} with the kernel selection restricted to the Java kernels, then restores it. */
    private static <T> T withJavaKernels(java.util.function.Supplier<T> body) {
        String before = System.getProperty(KernelSelection.PROPERTY);
        System.setProperty(KernelSelection.PROPERTY, "java");
        KernelSelection.resetDefaults();
        try {
            return body.get();
        } finally {
            if (before == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, before);
            KernelSelection.resetDefaults();
        }
    }

    /** The model's first output as floats, every quantized tensor's elements, and the QGemm nodes run. */
    private record Outputs(float[] first, Map<String, long[]> quantized, int qGemms) {}

    /** The first quantized tensor (graph order) where two runs differ, and by how many elements. */
    private static String firstDivergence(Outputs x, Outputs y, List<String> names) {
        for (String t : names) {
            long[] a = x.quantized().get(t), b = y.quantized().get(t);
            int n = 0;
            long worst = 0;
            for (int i = 0; i < a.length; i++) {
                long d = Math.abs(a[i] - b[i]);
                if (d > 0) n++;
                worst = Math.max(worst, d);
            }
            if (n > 0) return "first quantized tensor that differs: " + t + " (" + n + " of " + a.length + ", by up to " + worst + ")";
        }
        return "every quantized tensor equal";
    }

    /** Runs on {@code engine}; with {@code expectedConvs >= 0}, also checks the plan ran that many QLinearConv and no Conv. */
    private static Outputs run(Model m, String engine, SessionOptions.OptimizationLevel level, Map<String, Tensor> inputs,
                               int expectedConvs) {
        SessionOptions.Builder b = SessionOptions.builder().engine(engine).optimization(level);
        if (engine.equals("native")) b.providerOption("profile", "true");
        SessionOptions o = b.build();
        int gemms = 0;
        try (Session s = Edgerun.session(m, o); RunResult r = s.run(inputs)) {
            if (expectedConvs >= 0) {
                NativeSession ns = (NativeSession) s;
                Map<String, Integer> ops = new TreeMap<>();
                for (NativeSession.NodeProfile p : ns.profile()) ops.merge(p.opType(), 1, Integer::sum);
                assertEquals(expectedConvs, ops.getOrDefault("QLinearConv", 0), ops.toString());
                assertEquals(0, ops.getOrDefault("Conv", 0), ops.toString());
                assertEquals(expectedConvs + ops.getOrDefault("QGemm", 0), ns.optimizations().fusedQdq());
                gemms = ops.getOrDefault("QGemm", 0);
            }
            Map<String, long[]> quantized = new HashMap<>();
            for (String name : r.names()) {
                Tensor t = r.get(name);
                if (t.dtype() != DType.UINT8 && t.dtype() != DType.INT8) continue;
                long[] v = new long[(int) t.elementCount()];
                for (int i = 0; i < v.length; i++) v[i] = t.getAsLong(i);
                quantized.put(name, v);
            }
            return new Outputs(r.get(0).toFloatArrayConverted(), quantized, gemms);
        }
    }
}
