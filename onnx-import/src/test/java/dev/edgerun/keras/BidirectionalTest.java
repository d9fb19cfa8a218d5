package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.sequential;
import static dev.edgerun.keras.TestModels.weight;

import dev.edgerun.runtime.ir.Model;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bidirectional(LSTM) with every merge mode, return_sequences: the backward sequence is Keras'
 * go_backwards output flipped back into input time order, then merged with the forward one.
 */
class BidirectionalTest {
    private static final int N = 2, T = 5, F = 3, U = 4;

    @Test
    void everyMergeModeMatchesTwoKerasPasses() {
        for (String mode : new String[] {"concat", "sum", "ave", "mul"}) {
            Random rnd = new Random(mode.hashCode());
            Weight fk = weight("fk", rnd, F, 4 * U), fr = weight("fr", rnd, U, 4 * U), fb = weight("fb", rnd, 4 * U);
            Weight bk = weight("bk", rnd, F, 4 * U), br = weight("br", rnd, U, 4 * U), bb = weight("bb", rnd, 4 * U);
            String inner = TestModels.layer("LSTM", "lstm", """
                    "units": 4, "return_sequences": true, "activation": "tanh", "recurrent_activation": "sigmoid\"""");
            String json = sequential("[null, 5, 3]", "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bi\", \"merge_mode\": \""
                    + mode + "\", \"layer\": " + inner + "}}");
            float[] x = TestModels.random(rnd, N * T * F);
            float[] fw = RecurrentConverterTest.lstmReference(x, fk.data(), fr.data(), fb.data(), false);
            float[] bw = RecurrentConverterTest.lstmReference(x, bk.data(), br.data(), bb.data(), true);
            int width = mode.equals("concat") ? 2 * U : U;
            float[] expected = new float[N * T * width];
            for (int n = 0; n < N; n++) for (int t = 0; t < T; t++) for (int u = 0; u < U; u++) {
                float a = fw[(n * T + t) * U + u];
                float b = bw[(n * T + (T - 1 - t)) * U + u]; // flipped back to input order
                int base = (n * T + t) * width;
                switch (mode) {
                    case "concat" -> {
                        expected[base + u] = a;
                        expected[base + U + u] = b;
                    }
                    case "sum" -> expected[base + u] = a + b;
                    case "ave" -> expected[base + u] = (a + b) / 2;
                    default -> expected[base + u] = a * b;
                }
            }
            try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("bi", fk, fr, fb, bk, br, bb))) {
                assertClose(expected, TestModels.runNative(m, x, N, T, F), 1e-5);
            }
        }
    }
}
