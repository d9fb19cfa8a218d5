package dev.edgerun.runtime.ops.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LSTM, GRU and RNN against plain array references written straight from the ONNX formulas
 * (layout 0, forward), then layout 1, reverse, bidirectional and sequence_lens checked against
 * the forward runs.
 */
class RecurrentTest {
    private static final int SEQ = 5, BATCH = 3, IN = 4, H = 6;

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    private static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    /** x[t][b][k], w[g*H+j][k], r[g*H+j][k], bias[2*G*H], p[3H]; returns Y[t][b][j] flattened (one direction). */
    private static float[] lstmReference(float[] x, float[] w, float[] r, float[] bias, float[] p, int seq) {
        float[] y = new float[seq * BATCH * H];
        for (int b = 0; b < BATCH; b++) {
            double[] h = new double[H], c = new double[H];
            for (int t = 0; t < seq; t++) {
                double[] a = new double[4 * H];
                for (int row = 0; row < 4 * H; row++) {
                    double s = bias[row] + bias[4 * H + row];
                    for (int k = 0; k < IN; k++) s += x[(t * BATCH + b) * IN + k] * w[row * IN + k];
                    for (int k = 0; k < H; k++) s += h[k] * r[row * H + k];
                    a[row] = s;
                }
                for (int j = 0; j < H; j++) {
                    double i = sigmoid(a[j] + p[j] * c[j]);
                    double f = sigmoid(a[2 * H + j] + p[2 * H + j] * c[j]);
                    double cc = Math.tanh(a[3 * H + j]);
                    c[j] = f * c[j] + i * cc;
                    double o = sigmoid(a[H + j] + p[H + j] * c[j]);
                    h[j] = o * Math.tanh(c[j]);
                    y[(t * BATCH + b) * H + j] = (float) h[j];
                }
            }
        }
        return y;
    }

    private static float[] gruReference(float[] x, float[] w, float[] r, float[] bias, boolean linearBeforeReset) {
        float[] y = new float[SEQ * BATCH * H];
        for (int b = 0; b < BATCH; b++) {
            double[] h = new double[H];
            for (int t = 0; t < SEQ; t++) {
                double[] xw = new double[3 * H], hr = new double[3 * H];
                for (int row = 0; row < 3 * H; row++) {
                    for (int k = 0; k < IN; k++) xw[row] += x[(t * BATCH + b) * IN + k] * w[row * IN + k];
                    for (int k = 0; k < H; k++) hr[row] += h[k] * r[row * H + k];
                }
                double[] resetGate = new double[H];
                for (int k = 0; k < H; k++) resetGate[k] = sigmoid(xw[H + k] + hr[H + k] + bias[H + k] + bias[4 * H + k]);
                double[] next = new double[H];
                for (int j = 0; j < H; j++) {
                    double z = sigmoid(xw[j] + hr[j] + bias[j] + bias[3 * H + j]);
                    double rr = resetGate[j];
                    double pre;
                    if (linearBeforeReset) {
                        pre = xw[2 * H + j] + rr * (hr[2 * H + j] + bias[5 * H + j]) + bias[2 * H + j];
                    } else {
                        double s = 0;
                        for (int k = 0; k < H; k++) s += resetGate[k] * h[k] * r[(2 * H + j) * H + k];
                        pre = xw[2 * H + j] + s + bias[5 * H + j] + bias[2 * H + j];
                    }
                    double hh = Math.tanh(pre);
                    next[j] = (1 - z) * hh + z * h[j];
                }
                h = next;
                for (int j = 0; j < H; j++) y[(t * BATCH + b) * H + j] = (float) h[j];
            }
        }
        return y;
    }

    private static Node node(String op, String... attrs) {
        Node.Builder b = Node.builder(op).inputs("X", "W", "R", "B").outputs("Y", "Y_h", "Y_c").attribute("hidden_size", (long) H);
        for (int i = 0; i < attrs.length; i += 2) {
            if (attrs[i].equals("layout")) b.attribute("layout", Long.parseLong(attrs[i + 1]));
            else b.attribute(attrs[i], attrs[i + 1]);
        }
        return b.build();
    }

    @Test
    void lstmForwardWithPeepholesMatchesReference() {
        Random rnd = new Random(1);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 4 * H * IN), r = random(rnd, 4 * H * H);
        float[] bias = random(rnd, 8 * H), p = random(rnd, 3 * H);
        try (OpHarness h = new OpHarness()) {
            List<Object> out = h.run(new LSTM(), node("LSTM"), 14,
                    Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 4 * H, IN), Tensor.of(r, 1, 4 * H, H),
                    Tensor.of(bias, 1, 8 * H), null, null, null, Tensor.of(p, 1, 3 * H));
            float[] expected = lstmReference(x, w, r, bias, p, SEQ);
            float[] y = ((Tensor) out.get(0)).toFloatArray();
            assertArrayEquals(expected, y, 1e-5f);
            float[] yh = ((Tensor) out.get(1)).toFloatArray();
            for (int b = 0; b < BATCH; b++) {
                for (int j = 0; j < H; j++) assertEquals(expected[((SEQ - 1) * BATCH + b) * H + j], yh[b * H + j], 1e-6f);
            }
        }
    }

    @Test
    void lstmWithoutPeepholesTakesTheVectorGatesAndMatchesReference() {
        Random rnd = new Random(7);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 4 * H * IN), r = random(rnd, 4 * H * H);
        float[] bias = random(rnd, 8 * H);
        try (OpHarness h = new OpHarness()) {
            List<Object> out = h.run(new LSTM(), node("LSTM"), 14,
                    Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 4 * H, IN), Tensor.of(r, 1, 4 * H, H),
                    Tensor.of(bias, 1, 8 * H));
            float[] expected = lstmReference(x, w, r, bias, new float[3 * H], SEQ);
            assertArrayEquals(expected, ((Tensor) out.get(0)).toFloatArray(), 1e-5f);
            float[] yc = ((Tensor) out.get(2)).toFloatArray();
            for (float v : yc) assertEquals(false, Float.isNaN(v) || v == 0f, "cell state " + java.util.Arrays.toString(yc));
        }
    }

    @Test
    void lstmLayoutOneIsTheTransposeOfLayoutZero() {
        Random rnd = new Random(2);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 4 * H * IN), r = random(rnd, 4 * H * H);
        float[] xBatchFirst = new float[x.length];
        for (int t = 0; t < SEQ; t++) for (int b = 0; b < BATCH; b++) {
            System.arraycopy(x, (t * BATCH + b) * IN, xBatchFirst, (b * SEQ + t) * IN, IN);
        }
        try (OpHarness h = new OpHarness()) {
            float[] y0 = ((Tensor) h.run(new LSTM(), node("LSTM"), 14,
                    Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 4 * H, IN), Tensor.of(r, 1, 4 * H, H)).get(0)).toFloatArray();
            Tensor y1 = (Tensor) h.run(new LSTM(), node("LSTM", "layout", "1"), 14,
                    Tensor.of(xBatchFirst, BATCH, SEQ, IN), Tensor.of(w, 1, 4 * H, IN), Tensor.of(r, 1, 4 * H, H)).get(0);
            assertEquals(List.of(3L, 5L, 1L, 6L), java.util.Arrays.stream(y1.shape().dims()).boxed().toList());
            float[] y1a = y1.toFloatArray();
            for (int t = 0; t < SEQ; t++) for (int b = 0; b < BATCH; b++) for (int j = 0; j < H; j++) {
                // 1 ulp apart at most: layout 0 may run on oneDNN's LSTM (DnnlLstmKernel), layout 1 never does
                assertEquals(y0[(t * BATCH + b) * H + j], y1a[(b * SEQ + t) * H + j], 1e-6f);
            }
        }
    }

    @Test
    void bidirectionalRunsTheSecondDirectionBackwards() {
        Random rnd = new Random(3);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 2 * 4 * H * IN), r = random(rnd, 2 * 4 * H * H);
        float[] xReversed = new float[x.length];
        for (int t = 0; t < SEQ; t++) System.arraycopy(x, t * BATCH * IN, xReversed, (SEQ - 1 - t) * BATCH * IN, BATCH * IN);
        float[] w1 = java.util.Arrays.copyOfRange(w, 4 * H * IN, 8 * H * IN), r1 = java.util.Arrays.copyOfRange(r, 4 * H * H, 8 * H * H);
        try (OpHarness h = new OpHarness()) {
            float[] yBi = ((Tensor) h.run(new LSTM(), node("LSTM", "direction", "bidirectional"), 14,
                    Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 2, 4 * H, IN), Tensor.of(r, 2, 4 * H, H)).get(0)).toFloatArray();
            float[] yFwdOnReversed = lstmReference(xReversed, w1, r1, new float[8 * H], new float[3 * H], SEQ);
            for (int t = 0; t < SEQ; t++) for (int b = 0; b < BATCH; b++) for (int j = 0; j < H; j++) {
                assertEquals(yFwdOnReversed[((SEQ - 1 - t) * BATCH + b) * H + j], yBi[((t * 2 + 1) * BATCH + b) * H + j], 1e-5f);
            }
        }
    }

    @Test
    void sequenceLensStopsEachBatchItemAndZeroesTheRest() {
        Random rnd = new Random(4);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 3 * H * IN), r = random(rnd, 3 * H * H);
        int[] lens = {5, 2, 0};
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("GRU").inputs("X", "W", "R", "", "L").outputs("Y", "Y_h").attribute("hidden_size", (long) H).build();
            List<Object> out = h.run(new GRU(), n, 14, Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 3 * H, IN),
                    Tensor.of(r, 1, 3 * H, H), null, Tensor.of(lens, BATCH));
            float[] y = ((Tensor) out.get(0)).toFloatArray();
            float[] yh = ((Tensor) out.get(1)).toFloatArray();
            float[] full = gruReference(x, w, r, new float[6 * H], false);
            for (int b = 0; b < BATCH; b++) {
                for (int t = 0; t < SEQ; t++) for (int j = 0; j < H; j++) {
                    float expected = t < lens[b] ? full[(t * BATCH + b) * H + j] : 0f;
                    assertEquals(expected, y[(t * BATCH + b) * H + j], 1e-5f);
                }
                for (int j = 0; j < H; j++) {
                    float expected = lens[b] == 0 ? 0f : full[((lens[b] - 1) * BATCH + b) * H + j];
                    assertEquals(expected, yh[b * H + j], 1e-5f);
                }
            }
        }
    }

    @Test
    void gruBothResetVariantsMatchReference() {
        Random rnd = new Random(5);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, 3 * H * IN), r = random(rnd, 3 * H * H), bias = random(rnd, 6 * H);
        for (boolean lbr : new boolean[] {false, true}) {
            try (OpHarness h = new OpHarness()) {
                Node n = Node.builder("GRU").inputs("X", "W", "R", "B").outputs("Y").attribute("hidden_size", (long) H)
                        .attribute("linear_before_reset", lbr ? 1L : 0L).build();
                float[] y = h.run1(new GRU(), n, 14, Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 3 * H, IN),
                        Tensor.of(r, 1, 3 * H, H), Tensor.of(bias, 1, 6 * H)).toFloatArray();
                assertArrayEquals(gruReference(x, w, r, bias, lbr), y, 1e-5f, "linear_before_reset=" + lbr);
            }
        }
    }

    @Test
    void rnnWithReluAndClip() {
        Random rnd = new Random(6);
        float[] x = random(rnd, SEQ * BATCH * IN), w = random(rnd, H * IN), r = random(rnd, H * H);
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("RNN").inputs("X", "W", "R").outputs("Y").attribute("hidden_size", (long) H)
                    .attribute(dev.edgerun.runtime.ir.Attribute.ofStrings("activations", List.of("Relu")))
                    .attribute("clip", 0.25f).build();
            float[] y = h.run1(new RNN(), n, 14, Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, H, IN), Tensor.of(r, 1, H, H)).toFloatArray();
            for (int b = 0; b < BATCH; b++) {
                double[] hs = new double[H];
                for (int t = 0; t < SEQ; t++) {
                    double[] next = new double[H];
                    for (int j = 0; j < H; j++) {
                        double s = 0;
                        for (int k = 0; k < IN; k++) s += x[(t * BATCH + b) * IN + k] * w[j * IN + k];
                        for (int k = 0; k < H; k++) s += hs[k] * r[j * H + k];
                        next[j] = Math.max(0, Math.min(0.25, s));
                        assertEquals(next[j], y[(t * BATCH + b) * H + j], 1e-6);
                    }
                    hs = next;
                }
            }
        }
    }
}
