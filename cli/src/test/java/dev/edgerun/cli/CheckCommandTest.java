package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edgerun check}: lines, closing line, JSON document, exit codes, PASS/FAIL/SKIP. */
class CheckCommandTest {

    @Test
    void sharedModelsPassOnOnnxRuntimeWithTheClosingLine() {
        Path models = Cli.shared("models");
        Cli.Outcome r = Cli.run("check", "--engine", "onnxruntime", models.resolve("mlp_tiny").toString(),
                models.resolve("kws_dscnn").toString());
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.outLines();
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[0].startsWith("PASS") && lines[0].contains("mlp_tiny") && lines[0].contains("max abs err"), lines[0]);
        assertTrue(lines[1].startsWith("PASS") && lines[1].contains("kws_dscnn"), lines[1]);
        assertEquals("2 passed, 0 failed", lines[2]);
    }

    @Test
    void tighterTolerancesThanTheEngineMeetFailWithExitOne() {
        Path models = Cli.shared("models");
        Cli.Outcome r = Cli.run("check", "--engine", "onnxruntime", "--rtol", "0", "--atol", "0",
                models.resolve("kws_dscnn").toString());
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().startsWith("FAIL"), r.out());
        assertTrue(r.out().contains("expected"), r.out());
        assertTrue(r.out().strip().endsWith("0 passed, 1 failed"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonListsEachTestWithStatusErrorsAndTotals() {
        Path models = Cli.shared("models");
        Cli.Outcome r = Cli.run("check", "--json", "--engine", "onnxruntime", models.resolve("mlp_tiny").toString());
        assertEquals(0, r.exit(), r.err());
        Map<String, Object> doc = MiniJson.object(r.out());
        assertEquals(1L, doc.get("passed"));
        assertEquals(0L, doc.get("failed"));
        assertEquals(0L, doc.get("skipped"));
        List<Object> tests = (List<Object>) doc.get("tests");
        Map<String, Object> t = (Map<String, Object>) tests.get(0);
        assertEquals("mlp_tiny", t.get("name"));
        assertEquals("PASS", t.get("status"));
        assertTrue(((Number) t.get("max_abs_error")).doubleValue() < 1e-5, t.toString());
        assertTrue(t.containsKey("max_rel_error"));
    }

    /** A folder built here: an Add model with top-level input_*.npy and output_*.npy. */
    @Test
    void topLevelNpyFoldersAreChecked(@TempDir Path dir) {
        Path test = dir.resolve("add_npy");
        writeAddTest(test, 4f);
        Cli.Outcome r = Cli.run("check", "--engine", "onnxruntime", test.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("PASS") && r.out().contains("add_npy"), r.out());
        writeAddTest(test, 5f); // now the expected output is wrong
        Cli.Outcome bad = Cli.run("check", "--engine", "onnxruntime", test.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.out().contains("FAIL") && bad.out().contains("expected 5.0"), bad.out());
    }

    @Test
    void aModelTheEngineCannotRunIsSkippedWithTheReason(@TempDir Path dir) throws Exception {
        Path test = dir.resolve("unknown_op");
        Files.createDirectories(test);
        Graph g = Graph.builder("unknown")
                .input(Value.tensor("x", DType.FLOAT, 2))
                .output(Value.tensor("y", DType.FLOAT, 2))
                .node("NoSuchOperator", List.of("x"), List.of("y"))
                .build();
        try (Model m = Model.builder().graph(g).opset(17).build();
             Tensor x = Tensor.of(new float[] {1, 2}, 2)) {
            OnnxModels.write(m, test.resolve("model.onnx"));
            Npy.write(x, test.resolve("input_0.npy"));
            Npy.write(x, test.resolve("output_0.npy"));
        }
        Cli.Outcome r = Cli.run("check", "--engine", "native", test.toString());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("SKIP") && r.out().contains("NoSuchOperator"), r.out());
        assertTrue(r.out().strip().endsWith("0 passed, 0 failed, 1 skipped"), r.out());
    }

    @Test
    void aMissingFolderIsAUsageErrorWithOneLine() {
        Cli.Outcome r = Cli.run("check", "/no/such/folder");
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().split("\n").length, r.err());
        assertTrue(r.err().contains("/no/such/folder"), r.err());
    }

    private static void writeAddTest(Path dir, float expectedFirst) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Graph g = Graph.builder("add")
                .input(Value.tensor("a", DType.FLOAT, 2))
                .input(Value.tensor("b", DType.FLOAT, 2))
                .output(Value.tensor("sum", DType.FLOAT, 2))
                .node("Add", List.of("a", "b"), List.of("sum"))
                .build();
        try (Model m = Model.builder().graph(g).opset(17).build();
             Tensor a = Tensor.of(new float[] {1, 2}, 2);
             Tensor b = Tensor.of(new float[] {3, 4}, 2);
             Tensor sum = Tensor.of(new float[] {expectedFirst, 6}, 2)) {
            OnnxModels.write(m, dir.resolve("model.onnx"));
            Npy.write(a, dir.resolve("input_0.npy"));
            Npy.write(b, dir.resolve("input_1.npy"));
            Npy.write(sum, dir.resolve("output_0.npy"));
        }
    }
}
