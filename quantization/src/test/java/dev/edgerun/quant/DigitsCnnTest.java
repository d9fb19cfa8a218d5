package dev.edgerun.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * digits_cnn (a CNN trained on scikit-learn's 8x8 digits) in every mode: accuracy on the 450-image
 * test split against the float model, calibration on the train split only, both engines.
 */
class DigitsCnnTest {
    private static Model model;
    private static DataFolder test;
    private static DataFolder train;
    private static Quantizer.Prepared prepared;

    @BeforeAll
    static void setUp(@TempDir Path dir) throws IOException {
        Path folder = TestModels.shared("models/digits_cnn");
        model = OnnxModels.read(folder.resolve("model.onnx"));
        test = DataFolder.read(folder, model.graph().requiredInputs());
        train = DataFolder.read(trainSplit(TestModels.shared("testdata/datasets/sklearn-digits"), dir.resolve("train")),
                model.graph().requiredInputs());
        prepared = new Quantizer.Prepared(model, train);
    }

    @AfterAll
    static void tearDown() {
        if (test != null) test.close();
        if (train != null) train.close();
        if (model != null) model.close();
    }

    /** The train split (split.npy == 0) as images.npy, pixels 0..16 scaled to 0..1 as the model was trained. */
    static Path trainSplit(Path dataset, Path out) throws IOException {
        try (Tensor images = Npy.read(dataset.resolve("images_8x8_uint8.npy"));
             Tensor split = Npy.read(dataset.resolve("split.npy"))) {
            int n = 0;
            for (long i = 0; i < split.elementCount(); i++) if (split.getAsLong(i) == 0) n++;
            float[] v = new float[n * 64];
            int k = 0;
            for (long i = 0; i < split.elementCount(); i++) {
                if (split.getAsLong(i) != 0) continue;
                for (int p = 0; p < 64; p++) v[k++] = images.getAsLong(i * 64 + p) / 16f;
            }
            Files.createDirectories(out);
            try (Tensor t = Tensor.of(v, n, 1, 8, 8)) {
                Npy.write(t, out.resolve("images.npy"));
            }
        }
        return out;
    }

    private Comparison.Result check(QuantOptions options, double maxDrop, int levels) {
        try (Quantizer.Result q = prepared.quantize(options)) {
            Comparison.Result r = Comparison.compare(model, q.model(), test);
            assertEquals(450, r.samples());
            assertEquals(0.9844, r.accuracyFloat(), 0.0001, "float accuracy (ACCURACY.txt)");
            assertTrue(r.accuracyDrop() <= maxDrop + 1e-9, options.mode() + " " + options.method() + ": accuracy "
                    + r.accuracyFloat() + " -> " + r.accuracyQuantized());
            TestModels.assumeOnnxRuntime();
            TestModels.assertEnginesAgree(q.model(), test.slice(0, 64), levels);
            return r;
        }
    }

    @Test
    void dynamicLosesAtMostPointTwo() {
        check(QuantOptions.builder(QuantMode.DYNAMIC).build(), 0.002, 255);
    }

    @Test
    void staticLosesAtMostHalfAPointWithEachCalibrationMethod() {
        assertEquals(1347, train.size());
        for (CalibrationMethod m : CalibrationMethod.values()) {
            check(QuantOptions.builder(QuantMode.STATIC).method(m).build(), 0.005, 255);
        }
    }

    @Test
    void fp16AndWeightOnlyKeepAccuracy() {
        check(QuantOptions.builder(QuantMode.FP16).build(), 0.002, 1024);
        check(QuantOptions.builder(QuantMode.WEIGHT_ONLY).build(), 0.002, 255);
    }

    @Test
    void guardrailMeetsMaxAccuracyDropOfPointTwo() {
        Guardrail.Guarded g = Guardrail.apply(prepared, model, QuantOptions.builder(QuantMode.STATIC).build(), test,
                new Guardrail.Budget(0.002, Double.NaN));
        try (Quantizer.Result q = g.result()) {
            assertTrue(g.outcome().met(), g.outcome().toString());
            assertTrue(g.comparison().accuracyDrop() <= 0.002 + 1e-9, "drop " + g.comparison().accuracyDrop());
            // what was kept in float is no longer quantized
            for (String k : g.outcome().keptFloat()) assertTrue(!q.quantizedNodes().contains(k), k);
            assertEquals(g.outcome().attempts(), g.outcome().keptFloat().size() + 1);
        }
    }

    @Test
    void guardrailOnAgreementWithoutLabelsKeepsLayersUntilItHolds() {
        try (DataFolder unlabelled = test.withLabels(null)) {
            Guardrail.Guarded g = Guardrail.apply(prepared, model, QuantOptions.builder(QuantMode.STATIC)
                    .perChannel(false).build(), unlabelled, new Guardrail.Budget(Double.NaN, 0.998));
            try (Quantizer.Result q = g.result()) {
                assertTrue(g.outcome().met(), g.outcome().toString());
                assertTrue(g.comparison().top1Agreement() >= 0.998, "agreement " + g.comparison().top1Agreement());
                assertTrue(Double.isNaN(g.comparison().accuracyFloat()));
            }
        }
        QuantizationException e = org.junit.jupiter.api.Assertions.assertThrows(QuantizationException.class,
                () -> Guardrail.apply(prepared, model, QuantOptions.builder(QuantMode.STATIC).build(), test.withLabels(null),
                        new Guardrail.Budget(0.01, Double.NaN)));
        assertTrue(e.getMessage().contains("labels"), e.getMessage());
    }

    @Test
    void layerErrorsNameEveryQuantizedNode() {
        try (Quantizer.Result q = prepared.quantize(QuantOptions.builder(QuantMode.STATIC).build())) {
            List<LayerErrors.LayerError> errors = LayerErrors.measure(model, q.model(), q.quantizedNodes(), test, 64);
            assertEquals(q.quantizedNodes().size(), errors.size());
            for (LayerErrors.LayerError e : errors) assertTrue(e.relativeError() > 0 && e.relativeError() < 0.2, e.toString());
            for (int i = 1; i < errors.size(); i++) assertTrue(errors.get(i - 1).addedError() >= errors.get(i).addedError());
        }
    }

    @Test
    void dataFolderReadsTestSetsWithLabelsAndArrayPairs() {
        assertEquals(450, test.size());
        assertEquals(450, test.labels().length);
        Map<String, Tensor> b = test.slice(10, 20);
        assertEquals(List.of(10L, 1L, 8L, 8L), java.util.Arrays.stream(b.get("input").shape().dims()).boxed().toList());
        assertTrue(!train.hasLabels());
    }
}
