package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.weight;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MultiHeadAttention (value passed by keyword, as tf.keras saves it), Dot, Average/Maximum/Minimum. */
class AttentionAndMergeTest {
    private static final int N = 2, TQ = 3, TV = 4, D = 5, H = 2, KD = 3;

    @Test
    void multiHeadAttentionMatchesTheKerasFormula() {
        String json = """
                {"class_name": "Model", "config": {"name": "att", "layers": [
                  {"class_name": "InputLayer", "name": "q", "config": {"batch_input_shape": [null, 3, 5], "dtype": "float32", "name": "q"}, "inbound_nodes": []},
                  {"class_name": "InputLayer", "name": "v", "config": {"batch_input_shape": [null, 4, 5], "dtype": "float32", "name": "v"}, "inbound_nodes": []},
                  {"class_name": "MultiHeadAttention", "name": "mha", "config": {"name": "mha", "num_heads": 2, "key_dim": 3, "use_bias": true},
                   "inbound_nodes": [[["q", 0, 0, {"value": ["v", 0, 0]}]]]}
                ], "input_layers": [["q", 0, 0], ["v", 0, 0]], "output_layers": [["mha", 0, 0]]}}""";
        Random rnd = new Random(9);
        Weight wq = weight("q", rnd, D, H, KD), bq = weight("bq", rnd, H, KD), wk = weight("k", rnd, D, H, KD),
                bk = weight("bk", rnd, H, KD), wv = weight("v", rnd, D, H, KD), bv = weight("bv", rnd, H, KD),
                wo = weight("o", rnd, H, KD, D), bo = weight("bo", rnd, D);
        float[] q = TestModels.random(rnd, N * TQ * D), v = TestModels.random(rnd, N * TV * D);
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("mha", wq, bq, wk, bk, wv, bv, wo, bo));
             Tensor tq = Tensor.of(q, N, TQ, D); Tensor tv = Tensor.of(v, N, TV, D)) {
            float[] got = TestModels.runAll(m, Map.of("q", tq, "v", tv)).get("mha");
            assertClose(reference(q, v, wq.data(), bq.data(), wk.data(), bk.data(), wv.data(), bv.data(), wo.data(), bo.data()), got, 1e-5);
        }
    }

    private static double[][][][] project(float[] x, int t, float[] w, float[] b) {
        double[][][][] p = new double[N][H][t][KD];
        for (int n = 0; n < N; n++) for (int i = 0; i < t; i++) for (int h = 0; h < H; h++) for (int e = 0; e < KD; e++) {
            double s = b[h * KD + e];
            for (int d = 0; d < D; d++) s += x[(n * t + i) * D + d] * w[(d * H + h) * KD + e];
            p[n][h][i][e] = s;
        }
        return p;
    }

    static float[] reference(float[] q, float[] v, float[] wq, float[] bq, float[] wk, float[] bk, float[] wv, float[] bv,
                             float[] wo, float[] bo) {
        double[][][][] qp = project(q, TQ, wq, bq), kp = project(v, TV, wk, bk), vp = project(v, TV, wv, bv);
        float[] out = new float[N * TQ * D];
        for (int n = 0; n < N; n++) for (int i = 0; i < TQ; i++) {
            double[][] ctx = new double[H][KD];
            for (int h = 0; h < H; h++) {
                double[] s = new double[TV];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < TV; j++) {
                    for (int e = 0; e < KD; e++) s[j] += qp[n][h][i][e] / Math.sqrt(KD) * kp[n][h][j][e];
                    max = Math.max(max, s[j]);
                }
                for (int j = 0; j < TV; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int j = 0; j < TV; j++) for (int e = 0; e < KD; e++) ctx[h][e] += s[j] / sum * vp[n][h][j][e];
            }
            for (int d = 0; d < D; d++) {
                double y = bo[d];
                for (int h = 0; h < H; h++) for (int e = 0; e < KD; e++) y += ctx[h][e] * wo[(h * KD + e) * D + d];
                out[(n * TQ + i) * D + d] = (float) y;
            }
        }
        return out;
    }

    @Test
    void dotProductAttentionWithScale() {
        String json = """
                {"class_name": "Model", "config": {"name": "att", "layers": [
                  {"class_name": "InputLayer", "name": "q", "config": {"batch_input_shape": [null, 3, 5], "dtype": "float32", "name": "q"}, "inbound_nodes": []},
                  {"class_name": "InputLayer", "name": "v", "config": {"batch_input_shape": [null, 4, 5], "dtype": "float32", "name": "v"}, "inbound_nodes": []},
                  {"class_name": "Attention", "name": "att", "config": {"name": "att", "use_scale": true, "score_mode": "dot"},
                   "inbound_nodes": [[["q", 0, 0, {}], ["v", 0, 0, {}]]]}
                ], "input_layers": [["q", 0, 0], ["v", 0, 0]], "output_layers": [["att", 0, 0]]}}""";
        Random rnd = new Random(10);
        float[] q = TestModels.random(rnd, N * TQ * D), v = TestModels.random(rnd, N * TV * D);
        float scale = 0.7f;
        float[] expected = new float[N * TQ * D];
        for (int n = 0; n < N; n++) for (int i = 0; i < TQ; i++) {
            double[] s = new double[TV];
            double sum = 0;
            for (int j = 0; j < TV; j++) {
                for (int d = 0; d < D; d++) s[j] += q[(n * TQ + i) * D + d] * v[(n * TV + j) * D + d];
                sum += s[j] = Math.exp(s[j] * scale);
            }
            for (int d = 0; d < D; d++) {
                double y = 0;
                for (int j = 0; j < TV; j++) y += s[j] / sum * v[(n * TV + j) * D + d];
                expected[(n * TQ + i) * D + d] = (float) y;
            }
        }
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("att", new Weight("scale", new long[0], new float[] {scale})));
             Tensor tq = Tensor.of(q, N, TQ, D); Tensor tv = Tensor.of(v, N, TV, D)) {
            assertClose(expected, TestModels.runAll(m, Map.of("q", tq, "v", tv)).get("att"), 1e-5);
        }
    }

    @Test
    void dotAverageMaximumMinimum() {
        String json = """
                {"class_name": "Model", "config": {"name": "merge", "layers": [
                  {"class_name": "InputLayer", "name": "a", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "a"}, "inbound_nodes": []},
                  {"class_name": "InputLayer", "name": "b", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "name": "b"}, "inbound_nodes": []},
                  {"class_name": "Dot", "name": "dot", "config": {"name": "dot", "axes": 1, "normalize": false}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Average", "name": "avg", "config": {"name": "avg"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Maximum", "name": "max", "config": {"name": "max"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
                  {"class_name": "Minimum", "name": "min", "config": {"name": "min"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}
                ], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["dot", 0, 0], ["avg", 0, 0], ["max", 0, 0], ["min", 0, 0]]}}""";
        float[] a = {1, -2, 3, 0.5f, 0.5f, 0.5f}, b = {4, 5, -6, 2, -2, 1};
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights());
             Tensor ta = Tensor.of(a, 2, 3); Tensor tb = Tensor.of(b, 2, 3)) {
            Map<String, float[]> out = TestModels.runAll(m, Map.of("a", ta, "b", tb));
            assertClose(new float[] {4 - 10 - 18, 1 - 1 + 0.5f}, out.get("dot"), 1e-6);
            assertClose(new float[] {2.5f, 1.5f, -1.5f, 1.25f, -0.75f, 0.75f}, out.get("avg"), 1e-6);
            assertClose(new float[] {4, 5, 3, 2, 0.5f, 1}, out.get("max"), 0);
            assertClose(new float[] {1, -2, -6, 0.5f, -2, 0.5f}, out.get("min"), 0);
        }
    }
}
