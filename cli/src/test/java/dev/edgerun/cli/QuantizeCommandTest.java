package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgerun quantize} on digits_cnn: the JSON keys, the text report, the guardrail and usage errors. */
class QuantizeCommandTest {

    @Test
    void dynamicJsonHasTheDocumentedKeys(@TempDir Path dir) {
        String model = Cli.model("digits_cnn");
        Path out = dir.resolve("digits.int8.onnx");
        Cli.Outcome o = Cli.run("quantize", model, "-o", out.toString(), "--mode", "dynamic",
                "--eval", Cli.shared("models/digits_cnn").toString(), "--labels",
                Cli.shared("models/digits_cnn").resolve("labels.npy").toString(), "--latency-runs", "2", "--json");
        assertEquals(0, o.exit(), o.err());
        Map<String, Object> doc = MiniJson.object(o.out());
        for (String k : new String[] {"size_bytes_float", "size_bytes_quantized", "top1_agreement", "cosine_min",
                "accuracy_float", "accuracy_quantized", "layers", "latency"}) {
            assertTrue(doc.containsKey(k), k + " missing in " + doc.keySet());
        }
        assertTrue(((Number) doc.get("size_bytes_quantized")).longValue() < ((Number) doc.get("size_bytes_float")).longValue());
        assertTrue(((Number) doc.get("accuracy_float")).doubleValue() - ((Number) doc.get("accuracy_quantized")).doubleValue() <= 0.002);
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void staticWithGuardrailPrintsWhatWasKeptInFloat(@TempDir Path dir) throws IOException {
        Path calibration = trainSplit(Cli.shared("testdata/datasets/sklearn-digits"), dir.resolve("train"));
        Path out = dir.resolve("digits.qdq.onnx");
        Cli.Outcome o = Cli.run("quantize", Cli.model("digits_cnn"), "-o", out.toString(), "--mode", "static",
                "--calibration", calibration.toString(), "--method", "percentile", "--eval",
                Cli.shared("models/digits_cnn").toString(), "--max-accuracy-drop", "0.002", "--latency-runs", "0");
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.out().contains("size:") && o.out().contains("accuracy: float 98.44%"), o.out());
        assertTrue(o.out().contains("guardrail (accuracy drop <= 0.002): met"), o.out());
    }

    @Test
    void usageErrorsExitWithTwoAndOneLine(@TempDir Path dir) {
        String model = Cli.model("digits_cnn");
        Cli.Outcome noCalibration = Cli.run("quantize", model, "-o", dir.resolve("a.onnx").toString(), "--mode", "static");
        assertEquals(2, noCalibration.exit());
        assertTrue(noCalibration.err().contains("--calibration"), noCalibration.err());
        Cli.Outcome badMode = Cli.run("quantize", model, "-o", dir.resolve("b.onnx").toString(), "--mode", "int3");
        assertEquals(2, badMode.exit());
        assertTrue(badMode.err().contains("dynamic, static, fp16, weight-only"), badMode.err());
        Cli.Outcome noEval = Cli.run("quantize", model, "-o", dir.resolve("c.onnx").toString(), "--mode", "dynamic",
                "--min-agreement", "0.99");
        assertEquals(2, noEval.exit());
        assertTrue(noEval.err().contains("--eval"), noEval.err());
    }

    /** The train split of sklearn-digits as images.npy, pixels scaled to 0..1. */
    private static Path trainSplit(Path dataset, Path out) throws IOException {
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
}
