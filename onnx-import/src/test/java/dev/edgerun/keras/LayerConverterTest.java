package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.layer;
import static dev.edgerun.keras.TestModels.sequential;
import static dev.edgerun.keras.TestModels.weight;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.ir.Model;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Converter cases the shared Keras test models do not cover, each against a plain Java computation. */
class LayerConverterTest {

    @Test
    void conv2dSameStride2OnOddSizePadsAtTheEndLikeTensorFlow() {
        Random rnd = new Random(11);
        int h = 7, w = 6, c = 2, f = 3, k = 3, s = 2;
        Weight kernel = weight("kernel", rnd, k, k, c, f), bias = weight("bias", rnd, f);
        String json = sequential("[null, 7, 6, 2]", layer("Conv2D", "conv", """
                "filters": 3, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "activation": "linear", "use_bias": true"""));
        float[] x = TestModels.random(rnd, h * w * c);
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("conv", kernel, bias))) {
            assertArrayEquals(new long[] {-1, 4, 3, 3}, m.graph().outputs().get(0).shape().dims());
            assertClose(conv2dSame(x, kernel.data(), bias.data(), h, w, c, f, k, s), TestModels.runNative(m, x, 1, h, w, c), 1e-5);
        }
    }

    /** NHWC convolution, TensorFlow "same": total padding max((out-1)*s + k - in, 0), the extra element at the end. */
    static float[] conv2dSame(float[] x, float[] kern, float[] b, int h, int w, int c, int f, int k, int s) {
        int oh = (h + s - 1) / s, ow = (w + s - 1) / s;
        int pt = Math.max((oh - 1) * s + k - h, 0) / 2, pl = Math.max((ow - 1) * s + k - w, 0) / 2;
        float[] y = new float[oh * ow * f];
        for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) for (int o = 0; o < f; o++) {
            double acc = b[o];
            for (int di = 0; di < k; di++) for (int dj = 0; dj < k; dj++) {
                int yi = i * s + di - pt, xj = j * s + dj - pl;
                if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
                for (int ci = 0; ci < c; ci++) acc += x[(yi * w + xj) * c + ci] * kern[((di * k + dj) * c + ci) * f + o];
            }
            y[(i * ow + j) * f + o] = (float) acc;
        }
        return y;
    }

    @Test
    void reluWithThresholdSlopeAndCap() {
        String json = sequential("[null, 6]", layer("ReLU", "r", "\"max_value\": 1.5, \"negative_slope\": 0.1, \"threshold\": 0.5"));
        float[] x = {-2f, 0f, 0.4f, 0.5f, 1f, 3f};
        float[] expected = new float[6];
        for (int i = 0; i < 6; i++) expected[i] = x[i] >= 0.5f ? Math.min(x[i], 1.5f) : 0.1f * (x[i] - 0.5f);
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights())) {
            assertClose(expected, TestModels.runNative(m, x, 1, 6), 1e-6);
        }
    }

    @Test
    void repeatVectorPermuteReshape() {
        String json = sequential("[null, 3]", layer("RepeatVector", "rep", "\"n\": 2"),
                layer("Permute", "perm", "\"dims\": [2, 1]"), layer("Reshape", "resh", "\"target_shape\": [-1]"));
        float[] x = {1, 2, 3, 4, 5, 6};
        // repeat: (2, 2, 3); permute: (2, 3, 2) = [[1,1],[2,2],[3,3]]; flatten
        float[] expected = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6};
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights())) {
            assertArrayEquals(new long[] {-1, 6}, m.graph().outputs().get(0).shape().dims());
            assertClose(expected, TestModels.runNative(m, x, 2, 3), 0);
        }
    }

    @Test
    void timeDistributedDense() {
        Random rnd = new Random(5);
        Weight k = weight("kernel", rnd, 3, 2), b = weight("bias", rnd, 2);
        String json = sequential("[null, 4, 3]", "{\"class_name\": \"TimeDistributed\", \"config\": {\"name\": \"td\", \"layer\": "
                + layer("Dense", "inner", "\"units\": 2, \"activation\": \"linear\"") + "}}");
        float[] x = TestModels.random(rnd, 2 * 4 * 3);
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("td", k, b))) {
            assertArrayEquals(new long[] {-1, 4, 2}, m.graph().outputs().get(0).shape().dims());
            assertClose(FunctionalModelTest.dense(x, k.data(), b.data(), 3, 2), TestModels.runNative(m, x, 2, 4, 3), 1e-6);
        }
    }

    @Test
    void cropping1dZeroPadding1dAndUpSampling1d() {
        String json = sequential("[null, 5, 1]", layer("Cropping1D", "crop", "\"cropping\": [1, 2]"),
                layer("ZeroPadding1D", "pad", "\"padding\": [2, 1]"), layer("UpSampling1D", "up", "\"size\": 2"));
        float[] x = {1, 2, 3, 4, 5};
        // crop → [2, 3]; pad → [0, 0, 2, 3, 0]; upsample ×2
        float[] expected = {0, 0, 0, 0, 2, 2, 3, 3, 0, 0};
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights())) {
            assertClose(expected, TestModels.runNative(m, x, 1, 5, 1), 0);
        }
    }

    @Test
    void normalizationAndPerChannelRescaling() {
        String json = sequential("[null, 2, 2]",
                layer("Normalization", "norm", "\"axis\": -1, \"mean\": [1.0, -1.0], \"variance\": [4.0, 0.25]"),
                layer("Rescaling", "scale", "\"scale\": [2.0, 3.0], \"offset\": 0.5"));
        float[] x = {3, 0, -1, -2};
        float[] expected = {(3 - 1) / 2f * 2 + 0.5f, (0 + 1) / 0.5f * 3 + 0.5f, (-1 - 1) / 2f * 2 + 0.5f, (-2 + 1) / 0.5f * 3 + 0.5f};
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights())) {
            assertClose(expected, TestModels.runNative(m, x, 1, 2, 2), 1e-6);
        }
    }

    @Test
    void unitNormalizationOverTheLastAxis() {
        String json = sequential("[null, 2, 2]", layer("UnitNormalization", "un", "\"axis\": -1"));
        float[] x = {3, 4, 0, 0};
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights())) {
            assertClose(new float[] {0.6f, 0.8f, 0, 0}, TestModels.runNative(m, x, 1, 2, 2), 1e-6);
        }
    }

    @Test
    void groupNormalization() {
        int n = 2, h = 3, w = 2, c = 4, groups = 2;
        Random rnd = new Random(12);
        Weight gamma = weight("gamma", rnd, c), beta = weight("beta", rnd, c);
        String json = sequential("[null, 3, 2, 4]", layer("GroupNormalization", "gn", "\"groups\": 2, \"epsilon\": 0.001"));
        float[] x = TestModels.random(rnd, n * h * w * c);
        float[] expected = new float[x.length];
        int per = c / groups;
        for (int b = 0; b < n; b++) for (int g = 0; g < groups; g++) {
            double sum = 0, sq = 0;
            int count = h * w * per;
            for (int p = 0; p < h * w; p++) for (int k = 0; k < per; k++) sum += x[(b * h * w + p) * c + g * per + k];
            double mean = sum / count;
            for (int p = 0; p < h * w; p++) for (int k = 0; k < per; k++) {
                double d = x[(b * h * w + p) * c + g * per + k] - mean;
                sq += d * d;
            }
            double std = Math.sqrt(sq / count + 0.001);
            for (int p = 0; p < h * w; p++) for (int k = 0; k < per; k++) {
                int i = (b * h * w + p) * c + g * per + k;
                expected[i] = (float) ((x[i] - mean) / std * gamma.data()[g * per + k] + beta.data()[g * per + k]);
            }
        }
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("gn", gamma, beta))) {
            assertClose(expected, TestModels.runNative(m, x, n, h, w, c), 1e-5);
        }
    }

    @Test
    void hardSigmoidFollowsTheKerasVersion() {
        String json = sequential("[null, 3]", layer("Activation", "act", "\"activation\": \"hard_sigmoid\""));
        float[] x = {-1f, 0.5f, 2f};
        try (Model k2 = TestModels.importJson(json, new TestModels.MapWeights(), "2.4.0");
             Model k3 = TestModels.importJson(json, new TestModels.MapWeights(), "3.1.0")) {
            assertClose(new float[] {0.3f, 0.6f, 0.9f}, TestModels.runNative(k2, x, 1, 3), 1e-6);
            assertClose(new float[] {1 / 3f, 7 / 12f, 5 / 6f}, TestModels.runNative(k3, x, 1, 3), 1e-6);
        }
    }

    @Test
    void everyListedActivationImportsAndComputesItsFormula() {
        float[] x = {-2.5f, -0.75f, -0.25f, 0f, 0.3f, 1.2f, 3f, 0.9f};
        for (String name : Activations.NAMES) {
            String json = sequential("[null, 8]", layer("Activation", "act", "\"activation\": \"" + name + "\""));
            try (Model m = TestModels.importJson(json, new TestModels.MapWeights(), "3.5.0")) {
                float[] y = TestModels.runNative(m, x, 1, 8);
                float[] expected = expectedActivation(name, x);
                if (expected != null) assertClose(expected, y, 1e-5);
                else assertEquals(name.equals("glu") ? 4 : 8, y.length, name);
            }
        }
    }

    /** Plain Java formulas for the element-wise activations (Keras 3 definitions); null for softmax-like ones. */
    private static float[] expectedActivation(String name, float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i], sp = Math.log1p(Math.exp(v)), sg = 1 / (1 + Math.exp(-v));
            double hs = Math.max(0, Math.min(1, v / 6 + 0.5));
            r[i] = (float) switch (name) {
                case "linear" -> v;
                case "relu" -> Math.max(0, v);
                case "sigmoid" -> sg;
                case "tanh" -> Math.tanh(v);
                case "elu", "celu" -> v > 0 ? v : Math.expm1(v);
                case "selu" -> 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * Math.expm1(v));
                case "softplus" -> sp;
                case "softsign" -> v / (1 + Math.abs(v));
                case "exponential" -> Math.exp(v);
                case "hard_sigmoid" -> hs;
                case "swish", "silu" -> v * sg;
                case "hard_silu", "hard_swish" -> v * hs;
                case "gelu" -> 0.5 * v * (1 + erf(v / Math.sqrt(2)));
                case "relu6" -> Math.min(6, Math.max(0, v));
                case "leaky_relu" -> v >= 0 ? v : 0.2 * v;
                case "mish" -> v * Math.tanh(sp);
                case "log_sigmoid" -> -Math.log1p(Math.exp(-v));
                case "hard_tanh" -> Math.max(-1, Math.min(1, v));
                case "hard_shrink" -> Math.abs(v) > 0.5 ? v : 0;
                case "soft_shrink" -> v > 0.5 ? v - 0.5 : v < -0.5 ? v + 0.5 : 0;
                case "tanh_shrink" -> v - Math.tanh(v);
                case "squareplus" -> (v + Math.sqrt(v * v + 4)) / 2;
                case "sparse_plus" -> v <= -1 ? 0 : v >= 1 ? v : (v + 1) * (v + 1) / 4;
                default -> Double.NaN;
            };
        }
        return Float.isNaN(r[0]) ? null : r;
    }

    /** erf from Numerical Recipes' erfc approximation (fractional error below 1.2e-7). */
    private static double erf(double z) {
        double t = 1 / (1 + 0.5 * Math.abs(z));
        double y = 1 - t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? y : -y;
    }

    @Test
    void channelsFirstConvAndFlattenKeepKerasOrder() {
        Random rnd = new Random(3);
        Weight kernel = weight("kernel", rnd, 1, 1, 2, 1);
        // channels_first: the Keras tensor is (N, C, H, W); Flatten(channels_first) flattens in (H, W, C) order.
        String json = sequential("[null, 2, 2, 3]",
                layer("Conv2D", "conv", "\"filters\": 1, \"kernel_size\": [1, 1], \"data_format\": \"channels_first\", \"use_bias\": false"),
                layer("Flatten", "flat", "\"data_format\": \"channels_first\""));
        float[] x = TestModels.random(rnd, 12);
        float[] expected = new float[6];
        for (int p = 0; p < 6; p++) expected[p] = x[p] * kernel.data()[0] + x[6 + p] * kernel.data()[1];
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("conv", kernel))) {
            assertEquals(6, m.graph().outputs().get(0).shape().dim(1));
            assertClose(expected, TestModels.runNative(m, x, 1, 2, 2, 3), 1e-6);
        }
    }
}
