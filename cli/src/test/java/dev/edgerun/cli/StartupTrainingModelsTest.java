package dev.edgerun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extra models of the start-up training run: each must load from its ONNX file and run on
 * the native engine (a model that fails there would leave its operators' classes out of the
 * launcher's archive without anyone noticing), and agree with ONNX Runtime where it is available.
 */
class StartupTrainingModelsTest {

    @Test
    void everyTrainingModelRunsOnTheNativeEngineAndAgreesWithOnnxRuntime(@TempDir Path dir) {
        boolean ort = Edgerun.engines().stream()
                .anyMatch(e -> e.name().equals("onnxruntime") && e.availability().available());
        int models = 0;
        for (Model m : StartupTrainingModels.all()) {
            Path file = dir.resolve(m.graph().name() + ".onnx");
            try (m) {
                OnnxModels.write(m, file);
            }
            try (Model loaded = Edgerun.load(file)) {
                Map<String, Tensor> inputs = RandomInputs.create(loaded.graph(), Map.of(), 7);
                try (Session nat = Edgerun.session(loaded, SessionOptions.builder().engine("native").threads(1).build());
                     RunResult n = nat.run(inputs)) {
                    assertEquals(loaded.graph().outputs().size(), n.asMap().size(), file.toString());
                    if (ort) {
                        try (Session onnx = Edgerun.session(loaded, SessionOptions.builder().engine("onnxruntime").threads(1).build());
                             RunResult o = onnx.run(inputs)) {
                            for (String name : n.asMap().keySet()) assertClose(file + " " + name, o.get(name), n.get(name));
                        }
                    }
                } finally {
                    inputs.values().forEach(Tensor::close);
                }
            }
            models++;
        }
        assertEquals(5, models);
    }

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - a[i]) <= 1e-4f + 1e-4f * Math.abs(e[i]),
                    what + "[" + i + "]: ONNX Runtime " + e[i] + ", native " + a[i]);
        }
    }
}
