package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Json;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** inspect, run, convert, bench, devices and demo through the command line, in-process. */
class VerbsTest {

    @Test
    void inspectShowsInputsOutputsHistogramAndParameters() {
        Cli.Outcome r = Cli.run("inspect", Cli.model("mobilenet_v2"));
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("input: float[1, 3, 224, 224]"), out);
        assertTrue(out.contains("output: float[1, 1000]"), out);
        assertTrue(out.matches("(?s).*Conv\\s+52.*"), out);
        assertTrue(out.matches("(?s).*Clip\\s+35.*"), out);
        assertTrue(out.contains("3,487,816"), out);
        assertTrue(out.contains("opsets {ai.onnx=17}"), out);
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectJsonHasTheDocumentedKeys() {
        Cli.Outcome r = Cli.run("inspect", "--json", Cli.model("mlp_tiny"));
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        for (String key : List.of("file", "format", "file_bytes", "ir_version", "opsets", "producer", "inputs", "outputs",
                "nodes", "operators", "parameters", "parameter_bytes", "flops", "planned_peak_bytes")) {
            assertTrue(doc.containsKey(key), key + " missing in " + doc.keySet());
        }
        assertEquals(9610L, doc.get("parameters"));
        assertEquals(Map.of("Gemm", 2L, "Relu", 1L, "Softmax", 1L), doc.get("operators"));
        Map<String, Object> input = (Map<String, Object>) ((List<Object>) doc.get("inputs")).get(0);
        assertEquals(List.of(1L, 64L), input.get("shape"));
    }

    @Test
    void aMissingModelIsExitTwoWithOneLineAndNoStackTrace() {
        Cli.Outcome r = Cli.run("inspect", "/no/such/model.onnx");
        assertEquals(2, r.exit());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].contains("/no/such/model.onnx"), lines[0]);
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void aUsageErrorIsExitTwoWithOneLine() {
        Cli.Outcome r = Cli.run("run", "model.onnx"); // --input is required
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().contains("--input"), r.err());
    }

    @Test
    void runWritesOutputsAsNpy(@TempDir Path dir) {
        Path folder = Cli.shared("models").resolve("mlp_tiny");
        Cli.Outcome r = Cli.run("run", "--engine", "onnxruntime", folder.resolve("model.onnx").toString(),
                "--input", folder.resolve("test_data_set_0/input_0.pb").toString(), "--output-dir", dir.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("output: float[1, 10]") && r.out().contains("argmax"), r.out());
        Path written = dir.resolve("output.npy");
        assertTrue(Files.isRegularFile(written), r.out());
        try (Tensor got = Npy.read(written); Tensor expected = TensorProtos.read(folder.resolve("test_data_set_0/output_0.pb"))) {
            assertTrue(Comparison.of(expected, got, 1e-4, 1e-5).close());
        }
    }

    @Test
    void runRefusesImagesForNowWithOneLine() {
        Cli.Outcome r = Cli.run("run", "--engine", "onnxruntime", Cli.model("mlp_tiny"), "--input", "input=cat.png");
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void runTakesNameEqualsFileAndPrintsJson() {
        Path folder = Cli.shared("models").resolve("mlp_tiny");
        Cli.Outcome r = Cli.run("run", "--json", "--engine", "onnxruntime", folder.resolve("model.onnx").toString(),
                "--input", "input=" + folder.resolve("test_data_set_0/input_0.pb"));
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        Map<String, Object> out = (Map<String, Object>) ((List<Object>) doc.get("outputs")).get(0);
        assertEquals("output", out.get("name"));
        assertEquals(List.of(1L, 10L), out.get("shape"));
    }

    @Test
    void convertWritesAModelThatLoadsBack(@TempDir Path dir) {
        Path out = dir.resolve("copy.onnx");
        Cli.Outcome r = Cli.run("convert", Cli.model("kws_dscnn"), "-o", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("wrote " + out), r.out());
        try (Model m = OnnxModels.read(out)) {
            assertEquals(21, m.graph().nodes().size());
            assertEquals(22604, m.graph().parameterCount());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void benchJsonHasPerEngineLatenciesAndRatioWhenComparing() {
        Cli.Outcome r = Cli.run("bench", "--json", "--compare", "--engine", "onnxruntime,onnxruntime", "--runs", "5",
                "--warmup", "1", "--warmup-seconds", "0", Cli.model("mlp_tiny"));
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        Map<String, Object> engines = (Map<String, Object>) doc.get("engines");
        Map<String, Object> ort = (Map<String, Object>) engines.get("onnxruntime");
        for (String k : List.of("median_us", "p90_us", "p99_us", "throughput_per_s", "compile_ms", "first_run_ms")) {
            assertTrue(((Number) ort.get(k)).doubleValue() > 0, k + " in " + ort);
        }
        double firstResult = ((Number) ort.get("time_to_first_result_ms")).doubleValue();
        double parts = ((Number) doc.get("load_ms")).doubleValue() + ((Number) ort.get("compile_ms")).doubleValue()
                + ((Number) ort.get("first_run_ms")).doubleValue();
        assertEquals(parts, firstResult, 1e-6, "time to first result = load + compile + first run");
        assertTrue(((Number) doc.get("ratio")).doubleValue() > 0);
        assertTrue(((Number) doc.get("peak_rss_bytes")).longValue() > 0);
    }

    @Test
    void benchRefusesSeveralEnginesWithoutCompare() {
        Cli.Outcome r = Cli.run("bench", "--engine", "native,onnxruntime", "model.onnx");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--compare"), r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void devicesListsEnginesAndTheCpu() {
        Cli.Outcome r = Cli.run("devices", "--json");
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        List<Object> engines = (List<Object>) doc.get("engines");
        assertTrue(engines.stream().anyMatch(e -> "onnxruntime".equals(((Map<String, Object>) e).get("name"))
                && Boolean.TRUE.equals(((Map<String, Object>) e).get("available"))), engines.toString());
        Map<String, Object> cpu = (Map<String, Object>) doc.get("cpu");
        assertTrue(((Number) cpu.get("logical_cpus")).intValue() >= 1, cpu.toString());
        List<Object> providers = (List<Object>) ((Map<String, Object>) doc.get("onnxruntime")).get("providers");
        assertTrue(providers.stream().anyMatch(p -> "CPUExecutionProvider".equals(((Map<String, Object>) p).get("provider"))
                && Boolean.TRUE.equals(((Map<String, Object>) p).get("available"))), providers.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void demoRunsOnOnnxRuntimeAndReportsEveryEngine(@TempDir Path dir) {
        Path model = dir.resolve("demo.onnx");
        Cli.Outcome r = Cli.run("demo", "--json", "--runs", "5", "-o", model.toString());
        Map<String, Object> doc = MiniJson.object(r.out());
        assertTrue(Files.isRegularFile(model));
        List<Object> engines = (List<Object>) doc.get("engines");
        Map<String, Object> ort = (Map<String, Object>) engines.stream()
                .filter(e -> "onnxruntime".equals(((Map<String, Object>) e).get("engine"))).findFirst().orElseThrow();
        assertEquals(Boolean.TRUE, ort.get("ran"), ort.toString());
        List<Object> probabilities = (List<Object>) ort.get("output");
        double sum = probabilities.stream().mapToDouble(p -> ((Number) p).doubleValue()).sum();
        assertEquals(1.0, sum, 1e-5);
        for (Object e : engines) {
            Map<String, Object> m = (Map<String, Object>) e;
            if (!Boolean.TRUE.equals(m.get("ran"))) assertTrue(m.get("detail").toString().length() > 10, m.toString());
        }
        assertEquals(Boolean.TRUE.equals(doc.get("agree")) ? 0 : 1, r.exit());
        assertNull(doc.get("error"));
    }

    @Test
    void jsonWriterEscapesAndNests() {
        String doc = Json.write(Map.of("k", List.of("a\"b\\c\n", 1.5, Double.NaN, true)));
        assertEquals(Map.of("k", java.util.Arrays.asList("a\"b\\c\n", 1.5, null, true)), MiniJson.parse(doc));
    }
}
