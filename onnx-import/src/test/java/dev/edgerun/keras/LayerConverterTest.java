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
