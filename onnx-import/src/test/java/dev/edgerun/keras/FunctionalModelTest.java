package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.weight;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Functional-model structure: two inputs, a shared layer called twice, a nested Sequential, two outputs. */
class FunctionalModelTest {
    private static final String JSON = """
            {"class_name": "Model", "config": {"name": "f", "layers": [
              {"class_name": "InputLayer", "name": "a", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "a"}, "inbound_nodes": []},
              {"class_name": "InputLayer", "name": "b", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "name": "b"}, "inbound_nodes": []},
              {"class_name": "Subtract", "name": "sub", "config": {"name": "sub"}, "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]},
              {"class_name": "Dense", "name": "shared", "config": {"name": "shared", "units": 3, "activation": "linear", "use_bias": true},
               "inbound_nodes": [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]},
              {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": [
                  {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "inner_in"}},
                  {"class_name": "Dense", "config": {"name": "d2", "units": 2, "activation": "relu"}}]},
               "inbound_nodes": [[["shared", 1, 0, {}]]]}
            ], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["sub", 0, 0], ["inner", 0, 0]]}}
            """;

    @Test
    void sharedLayerNestedModelAndTwoOutputs() {
        Random rnd = new Random(7);
        Weight w = weight("kernel", rnd, 4, 3), bias = weight("bias", rnd, 3);
        Weight w2 = weight("kernel", rnd, 3, 2), b2 = weight("bias", rnd, 2);
        float[] a = TestModels.random(rnd, 8), b = TestModels.random(rnd, 8);
        try (Model m = TestModels.importJson(JSON, new TestModels.MapWeights().put("shared", w, bias).put("d2", w2, b2));
             Tensor ta = Tensor.of(a, 2, 4); Tensor tb = Tensor.of(b, 2, 4)) {
            assertEquals(List.of("a", "b"), m.graph().inputs().stream().map(v -> v.name()).toList());
            assertEquals(List.of("sub", "inner"), m.graph().outputs().stream().map(v -> v.name()).toList());
            Map<String, float[]> out = TestModels.runAll(m, Map.of("a", ta, "b", tb));
            float[] sa = dense(a, w.data(), bias.data(), 4, 3), sb = dense(b, w.data(), bias.data(), 4, 3);
            float[] sub = new float[6];
            for (int i = 0; i < 6; i++) sub[i] = sa[i] - sb[i];
            float[] inner = dense(sb, w2.data(), b2.data(), 3, 2);
            for (int i = 0; i < inner.length; i++) inner[i] = Math.max(0, inner[i]);
            assertClose(sub, out.get("sub"), 1e-6);
            assertClose(inner, out.get("inner"), 1e-6);
        }
    }

    static float[] dense(float[] x, float[] k, float[] b, int in, int units) {
        int n = x.length / in;
        float[] y = new float[n * units];
        for (int r = 0; r < n; r++) {
            for (int u = 0; u < units; u++) {
                double s = b[u];
                for (int i = 0; i < in; i++) s += x[r * in + i] * k[i * units + u];
                y[r * units + u] = (float) s;
            }
        }
        return y;
    }
}
