package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.onnx.TestCaseFolder;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared tiny_transformer after {@link GraphOptimizer} and {@link TransformerFusion} (Transposes,
 * Div + Softmax and GELU folded into MatMuls, residual Adds into LayerNormalization) still gives
 * the outputs PyTorch computed (rtol 1e-3, atol 1e-4, as the model tests), with 1 and 2 threads.
 */
class TransformerFusionModelTest {

    private static Path folder() {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        Path p = (s == null ? Path.of("../shared") : Path.of(s)).resolve("models/tiny_transformer");
        assumeTrue(Files.isRegularFile(p.resolve("model.onnx")), p.toAbsolutePath() + " is absent: skipping");
        return p;
    }

    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void tinyTransformerStillMatchesPyTorch(int threads) {
        Path dir = folder();
        try (Model model = Edgerun.load(dir.resolve("model.onnx"))) {
            Graph optimized = GraphOptimizer.optimize(FunctionInliner.inline(model), model.onnxOpset()).graph();
            TransformerFusion.Result fused = TransformerFusion.fuse(optimized);
            assertEquals(26, fused.foldedNodes(), "per layer: 4 Transposes, Div, Softmax, 5 GELU nodes, 2 residual Adds");
            Model rewritten = model.toBuilder().graph(fused.graph()).build();
            var options = SessionOptions.builder().engine("native").threads(threads)
                    .optimization(SessionOptions.OptimizationLevel.NONE).build();
            TestCaseFolder.DataSet data = TestCaseFolder.open(dir).readDataSets(model).get(0);
            Map<String, Tensor> inputs = new HashMap<>();
            data.inputs().forEach((k, v) -> inputs.put(k, (Tensor) v));
            try (Session s = Edgerun.session(rewritten, options); RunResult r = s.run(inputs)) {
                for (var e : data.expectedOutputs().entrySet()) {
                    float[] want = ((Tensor) e.getValue()).toFloatArray(), got = r.get(e.getKey()).toFloatArray();
                    assertEquals(want.length, got.length);
                    for (int i = 0; i < want.length; i++) {
                        assertTrue(Math.abs(want[i] - got[i]) <= 1e-4 + 1e-3 * Math.abs(want[i]),
                                e.getKey() + "[" + i + "]: PyTorch " + want[i] + ", fused " + got[i]);
                    }
                }
            }
        }
    }
}
