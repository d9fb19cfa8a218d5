package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.layer;
import static dev.edgerun.keras.TestModels.sequential;
import static dev.edgerun.keras.TestModels.sigmoid;
import static dev.edgerun.keras.TestModels.weight;

import dev.edgerun.runtime.ir.Model;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LSTM and GRU cases the Keras 3 test models lack (go_backwards, GRU reset_after=False), checked
 * against a direct Java transcription of Keras' cell equations, gates in Keras' own order.
 */
class RecurrentConverterTest {
    private static final int T = 5, F = 3, U = 4, N = 2;

    @Test
    void lstmGoBackwardsReturnSequences() {
        Random rnd = new Random(1);
        Weight k = weight("kernel", rnd, F, 4 * U);
        Weight r = weight("recurrent_kernel", rnd, U, 4 * U);
        Weight b = weight("bias", rnd, 4 * U);
        String json = sequential("[null, " + T + ", " + F + "]", layer("LSTM", "lstm", """
                "units": 4, "return_sequences": true, "go_backwards": true, "activation": "tanh",
                "recurrent_activation": "sigmoid", "use_bias": true"""));
        float[] x = TestModels.random(rnd, N * T * F);
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("lstm", k, r, b))) {
            assertClose(lstmReference(x, k.data(), r.data(), b.data(), true), TestModels.runNative(m, x, N, T, F), 1e-5);
        }
    }

    @Test
    void gruResetBeforeAndAfter() {
        for (boolean resetAfter : new boolean[] {false, true}) {
            Random rnd = new Random(resetAfter ? 2 : 3);
            Weight k = weight("kernel", rnd, F, 3 * U);
            Weight r = weight("recurrent_kernel", rnd, U, 3 * U);
            Weight b = resetAfter ? weight("bias", rnd, 2, 3 * U) : weight("bias", rnd, 3 * U);
            String json = sequential("[null, " + T + ", " + F + "]", layer("GRU", "gru", """
                    "units": 4, "return_sequences": false, "reset_after": %s, "activation": "tanh",
                    "recurrent_activation": "sigmoid\"""".formatted(resetAfter)));
            float[] x = TestModels.random(rnd, N * T * F);
            try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("gru", k, r, b))) {
                assertClose(gruReference(x, k.data(), r.data(), b.data(), resetAfter), TestModels.runNative(m, x, N, T, F), 1e-5);
            }
        }
    }

    /** Keras LSTM, gates i, f, c, o; returns (N, T, U) in processing order. */
    static float[] lstmReference(float[] x, float[] k, float[] r, float[] b, boolean backwards) {
        float[] out = new float[N * T * U];
        for (int n = 0; n < N; n++) {
            double[] h = new double[U], c = new double[U];
            for (int step = 0; step < T; step++) {
                int t = backwards ? T - 1 - step : step;
                double[] z = new double[4 * U];
                for (int j = 0; j < 4 * U; j++) {
                    double s = b[j];
                    for (int f = 0; f < F; f++) s += x[(n * T + t) * F + f] * k[f * 4 * U + j];
                    for (int u = 0; u < U; u++) s += h[u] * r[u * 4 * U + j];
                    z[j] = s;
                }
                for (int u = 0; u < U; u++) {
                    double i = sigmoid(z[u]), f = sigmoid(z[U + u]), g = Math.tanh(z[2 * U + u]), o = sigmoid(z[3 * U + u]);
                    c[u] = f * c[u] + i * g;
                    h[u] = o * Math.tanh(c[u]);
                    out[(n * T + step) * U + u] = (float) h[u];
                }
            }
        }
        return out;
    }

    /** Keras GRU, gates z, r, h; returns the last state (N, U). */
    static float[] gruReference(float[] x, float[] k, float[] r, float[] b, boolean resetAfter) {
        float[] out = new float[N * U];
        int g3 = 3 * U;
        for (int n = 0; n < N; n++) {
            double[] h = new double[U];
            for (int t = 0; t < T; t++) {
                double[] xi = new double[g3], hr = new double[g3];
                for (int j = 0; j < g3; j++) {
                    double s = b[j];
                    for (int f = 0; f < F; f++) s += x[(n * T + t) * F + f] * k[f * g3 + j];
                    xi[j] = s;
                    double q = resetAfter ? b[g3 + j] : 0;
                    for (int u = 0; u < U; u++) q += h[u] * r[u * g3 + j];
                    hr[j] = q;
                }
                double[] next = new double[U];
                for (int u = 0; u < U; u++) {
                    double z = sigmoid(xi[u] + hr[u]);
                    double rr = sigmoid(xi[U + u] + hr[U + u]);
                    double cand;
                    if (resetAfter) {
                        cand = Math.tanh(xi[2 * U + u] + rr * hr[2 * U + u]);
                    } else {
                        double s = xi[2 * U + u];
                        for (int v = 0; v < U; v++) {
                            double rv = sigmoid(xi[U + v] + hr[U + v]);
                            s += rv * h[v] * r[v * g3 + 2 * U + u];
                        }
                        cand = Math.tanh(s);
                    }
                    next[u] = z * h[u] + (1 - z) * cand;
                }
                h = next;
            }
            for (int u = 0; u < U; u++) out[n * U + u] = (float) h[u];
        }
        return out;
    }
}
