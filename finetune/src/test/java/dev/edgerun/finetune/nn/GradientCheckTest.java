package dev.edgerun.finetune.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every backward rule against central finite differences of the loss L = sum(y * r) for a random
 * r: the input gradient and every parameter gradient.
 */
class GradientCheckTest {
    private static final int BATCH = 2;
    private static final double EPS = 1e-2;
    private static final double TOLERANCE = 2e-2;

    @Test
    void dense() {
        check(Dense.init("fc", 6, 4, new Random(1)), 6);
    }

    @Test
    void denseWithoutBias() {
        Random r = new Random(2);
        check(new Dense(new Param("w", randoms(r, 12), true, 3, 4), null), 4);
    }

    @Test
    void conv() {
        Random r = new Random(3);
        Conv2d c = new Conv2d(new Param("w", randoms(r, 4 * 3 * 3 * 3), true, 4, 3, 3, 3), new Param("b", randoms(r, 4), false, 4),
                1, new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1});
        check(c, 3, 5, 5);
    }

    @Test
    void convStridedDilatedAsymmetricPads() {
        Random r = new Random(4);
        Conv2d c = new Conv2d(new Param("w", randoms(r, 2 * 2 * 2 * 3), true, 2, 2, 2, 3), null,
                1, new int[] {2, 1}, new int[] {0, 1, 1, 0}, new int[] {1, 2});
        check(c, 2, 6, 7);
    }

    @Test
    void groupedConv() {
        Random r = new Random(5);
        Conv2d c = new Conv2d(new Param("w", randoms(r, 4 * 2 * 3 * 3), true, 4, 2, 3, 3), new Param("b", randoms(r, 4), false, 4),
                2, new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1});
        check(c, 4, 4, 4);
    }

    @Test
    void depthwiseConv() {
        Random r = new Random(6);
        Conv2d c = new Conv2d(new Param("w", randoms(r, 3 * 9), true, 3, 1, 3, 3), new Param("b", randoms(r, 3), false, 3),
                3, new int[] {1, 1}, new int[] {1, 1, 1, 1}, new int[] {1, 1});
        check(c, 3, 5, 5);
    }

    @Test
    void add() {
        Random r = new Random(7);
        check(new ConstBinary(false, new Param("c", randoms(r, 3), false, 3, 1, 1)), 3, 2, 2);
    }

    @Test
    void mul() {
        Random r = new Random(8);
        check(new ConstBinary(true, new Param("c", randoms(r, 4), false, 1, 4)), 3, 4);
    }

    @Test
    void activations() {
        check(Activation.relu(), 10);
        check(Activation.clip(-0.3f, 0.4f), 10);
        check(Activation.leakyRelu(0.1f), 10);
        check(Activation.sigmoid(), 10);
        check(Activation.tanh(), 10);
    }

    @Test
    void maxPool() {
        check(new Pool2d(true, new int[] {2, 2}, new int[] {2, 2}, new int[4], false), 2, 4, 4);
        check(new Pool2d(true, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, false), 2, 4, 4);
    }

    @Test
    void averagePool() {
        check(new Pool2d(false, new int[] {2, 2}, new int[] {2, 2}, new int[4], false), 2, 4, 4);
        check(new Pool2d(false, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, false), 2, 4, 4);
        check(new Pool2d(false, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1, 1, 1}, true), 2, 4, 4);
    }

    @Test
    void globalAveragePool() {
        check(new GlobalAveragePool(), 3, 4, 4);
    }

    @Test
    void flattenAndReshape() {
        check(Reshape.flatten(), 2, 3, 3);
        check(Reshape.to(3, -1), 2, 3, 3);
    }

    @Test
    void batchNormalization() {
        Random r = new Random(9);
        float[] var = {0.5f, 1.5f, 2f};
        check(new BatchNorm(new Param("s", randoms(r, 3), false, 3), new Param("b", randoms(r, 3), false, 3),
                randoms(r, 3), var, 1e-5f), 3, 2, 2);
    }

    @Test
    void softmaxCrossEntropyWithWeightsAndSmoothing() {
        Random r = new Random(10);
        float[] logits = randoms(r, 3 * 5);
        int[] labels = {1, 4, 0};
        CrossEntropy ce = new CrossEntropy(new float[] {1, 2, 0.5f, 1, 3}, 0.1f);
        float[] analytic = ce.compute(logits, labels, 3).gradient();
        for (int i = 0; i < logits.length; i++) {
            float keep = logits[i];
            logits[i] = (float) (keep + EPS);
            double up = ce.compute(logits, labels, 3).loss();
            logits[i] = (float) (keep - EPS);
            double down = ce.compute(logits, labels, 3).loss();
            logits[i] = keep;
            assertClose((up - down) / (2 * EPS), analytic[i], "logit " + i);
        }
    }

    @Test
    void crossEntropyOfAConfidentCorrectPredictionIsSmall() {
        CrossEntropy.Result r = CrossEntropy.plain().compute(new float[] {10, 0, 0}, new int[] {0}, 1);
        assertTrue(r.loss() < 1e-3, "loss " + r.loss());
        assertEquals(1, r.correct());
    }

    @Test
    void smallNetworkEndToEnd() {
        Random r = new Random(11);
        Network net = new Network(List.of(Conv2d.init("c", 1, 2, 3, r), Activation.tanh(), Pool2d.maxPool(2),
                Reshape.flatten(), Dense.init("fc", 8, 3, r)), new int[] {1, 4, 4});
        float[] x = randoms(r, BATCH * 16);
        float[] w = randoms(r, BATCH * 3);
        net.zeroGrad();
        net.forward(x, BATCH);
        float[] dx = net.backward(w.clone());
        for (int i = 0; i < x.length; i += 3) {
            float keep = x[i];
            x[i] = (float) (keep + EPS);
            double up = dot(net.forward(x, BATCH), w);
            x[i] = (float) (keep - EPS);
            double down = dot(net.forward(x, BATCH), w);
            x[i] = keep;
            assertClose((up - down) / (2 * EPS), dx[i], "network input " + i);
        }
    }

    /** Checks the input gradient and every parameter gradient of {@code layer} on a random batch. */
    private static void check(Layer layer, int... inShape) {
        Random r = new Random(42);
        int n = BATCH * Network.size(inShape);
        float[] x = randoms(r, n);
        for (int i = 0; i < n; i++) if (Math.abs(x[i]) < 0.05f) x[i] += 0.1f; // keep away from kinks
        float[] y = layer.forward(x, BATCH, inShape);
        float[] w = randoms(r, y.length);
        for (Param p : layer.params()) p.zeroGrad();
        float[] dx = layer.backward(w.clone());
        for (int i = 0; i < n; i++) {
            float keep = x[i];
            x[i] = (float) (keep + EPS);
            double up = dot(layer.forward(x, BATCH, inShape), w);
            x[i] = (float) (keep - EPS);
            double down = dot(layer.forward(x, BATCH, inShape), w);
            x[i] = keep;
            assertClose((up - down) / (2 * EPS), dx[i], layer.describe() + " input " + i);
        }
        for (Param p : layer.params()) {
            float[] analytic = p.grad.clone();
            for (int i = 0; i < p.size(); i++) {
                float keep = p.value[i];
                p.value[i] = (float) (keep + EPS);
                double up = dot(layer.forward(x, BATCH, inShape), w);
                p.value[i] = (float) (keep - EPS);
                double down = dot(layer.forward(x, BATCH, inShape), w);
                p.value[i] = keep;
                assertClose((up - down) / (2 * EPS), analytic[i], layer.describe() + " " + p.name() + "[" + i + "]");
            }
        }
    }

    private static void assertClose(double numeric, double analytic, String what) {
        double err = Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric));
        assertTrue(err < TOLERANCE, what + ": finite difference " + numeric + ", backward " + analytic);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    static float[] randoms(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }
}
