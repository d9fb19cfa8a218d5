package dev.edgerun.keras;

import static dev.edgerun.keras.TestModels.assertClose;
import static dev.edgerun.keras.TestModels.layer;
import static dev.edgerun.keras.TestModels.sequential;
import static dev.edgerun.keras.TestModels.weight;

import dev.edgerun.runtime.ir.Model;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ConvLSTM2D (unrolled) and LocallyConnected1D/2D, which have no Keras-computed outputs in the
 * shared data, against plain Java transcriptions of Keras 2's definitions.
 */
class UnsharedAndConvRecurrentTest {

    @Test
    void convLstm2dSameReturnSequences() {
        int n = 1, t = 3, h = 4, w = 4, c = 2, f = 2, k = 3;
        Random rnd = new Random(31);
        Weight kern = weight("kernel", rnd, k, k, c, 4 * f), rec = weight("recurrent_kernel", rnd, k, k, f, 4 * f),
                bias = weight("bias", rnd, 4 * f);
        String json = sequential("[null, 3, 4, 4, 2]", layer("ConvLSTM2D", "cl", """
                "filters": 2, "kernel_size": [3, 3], "padding": "same", "return_sequences": true,
                "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": true"""));
        float[] x = TestModels.random(rnd, n * t * h * w * c);
        float[] expected = new float[t * h * w * f];
        double[] hs = new double[h * w * f], cs = new double[h * w * f];
        for (int step = 0; step < t; step++) {
            float[] xt = java.util.Arrays.copyOfRange(x, step * h * w * c, (step + 1) * h * w * c);
            float[] zx = LayerConverterTest.conv2dSame(xt, kern.data(), bias.data(), h, w, c, 4 * f, k, 1);
            float[] hf = new float[hs.length];
            for (int i = 0; i < hf.length; i++) hf[i] = (float) hs[i];
            float[] zh = LayerConverterTest.conv2dSame(hf, rec.data(), new float[4 * f], h, w, f, 4 * f, k, 1);
            for (int p = 0; p < h * w; p++) {
                for (int o = 0; o < f; o++) {
                    double i = hardSigmoid(zx[p * 4 * f + o] + zh[p * 4 * f + o]);
                    double fg = hardSigmoid(zx[p * 4 * f + f + o] + zh[p * 4 * f + f + o]);
                    double g = Math.tanh(zx[p * 4 * f + 2 * f + o] + zh[p * 4 * f + 2 * f + o]);
                    double og = hardSigmoid(zx[p * 4 * f + 3 * f + o] + zh[p * 4 * f + 3 * f + o]);
                    cs[p * f + o] = fg * cs[p * f + o] + i * g;
                    hs[p * f + o] = og * Math.tanh(cs[p * f + o]);
                    expected[(step * h * w + p) * f + o] = (float) hs[p * f + o];
                }
            }
        }
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("cl", kern, rec, bias))) {
            assertClose(expected, TestModels.runNative(m, x, n, t, h, w, c), 1e-5);
        }
    }

    private static double hardSigmoid(double v) {
        return Math.max(0, Math.min(1, 0.2 * v + 0.5)); // Keras 2
    }

    @Test
    void locallyConnected2dBothDataFormats() {
        int h = 4, w = 5, c = 2, f = 3, kh = 2, kw = 3, s = 1;
        int oh = (h - kh) / s + 1, ow = (w - kw) / s + 1, patch = kh * kw * c;
        for (boolean channelsFirst : new boolean[] {false, true}) {
            Random rnd = new Random(channelsFirst ? 41 : 42);
            Weight kern = weight("kernel", rnd, oh * ow, patch, f), bias = weight("bias", rnd, oh, ow, f);
            String shape = channelsFirst ? "[null, 2, 4, 5]" : "[null, 4, 5, 2]";
            String json = sequential(shape, layer("LocallyConnected2D", "lc", """
                    "filters": 3, "kernel_size": [2, 3], "strides": [1, 1], "padding": "valid", "implementation": 1,
                    "activation": "linear", "use_bias": true, "data_format": "%s\"""".formatted(channelsFirst ? "channels_first" : "channels_last")));
            float[] x = TestModels.random(rnd, h * w * c);
            float[] expected = new float[oh * ow * f];
            for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) for (int o = 0; o < f; o++) {
                int pos = i * ow + j;
                double acc = bias.data()[pos * f + o];
                for (int di = 0; di < kh; di++) for (int dj = 0; dj < kw; dj++) for (int ci = 0; ci < c; ci++) {
                    // Keras' patch order: (kh, kw, C) for channels_last, (C, kh, kw) for channels_first
                    int q = channelsFirst ? (ci * kh + di) * kw + dj : (di * kw + dj) * c + ci;
                    float xv = channelsFirst ? x[(ci * h + i * s + di) * w + j * s + dj] : x[((i * s + di) * w + j * s + dj) * c + ci];
                    acc += xv * kern.data()[(pos * patch + q) * f + o];
                }
                int out = channelsFirst ? (o * oh + i) * ow + j : pos * f + o;
                expected[out] = (float) acc;
            }
            try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("lc", kern, bias))) {
                long[] dims = channelsFirst ? new long[] {1, c, h, w} : new long[] {1, h, w, c};
                assertClose(expected, TestModels.runNative(m, x, dims), 1e-5);
            }
        }
    }

    @Test
    void locallyConnected1dWithStride() {
        int t = 7, c = 2, f = 2, k = 3, s = 2, ol = (t - k) / s + 1;
        Random rnd = new Random(43);
        Weight kern = weight("kernel", rnd, ol, k * c, f), bias = weight("bias", rnd, ol, f);
        String json = sequential("[null, 7, 2]", layer("LocallyConnected1D", "lc", """
                "filters": 2, "kernel_size": [3], "strides": [2], "padding": "valid", "implementation": 1, "activation": "relu\""""));
        float[] x = TestModels.random(rnd, t * c);
        float[] expected = new float[ol * f];
        for (int p = 0; p < ol; p++) for (int o = 0; o < f; o++) {
            double acc = bias.data()[p * f + o];
            for (int d = 0; d < k; d++) for (int ci = 0; ci < c; ci++) acc += x[(p * s + d) * c + ci] * kern.data()[(p * k * c + d * c + ci) * f + o];
            expected[p * f + o] = (float) Math.max(0, acc);
        }
        try (Model m = TestModels.importJson(json, new TestModels.MapWeights().put("lc", kern, bias))) {
            assertClose(expected, TestModels.runNative(m, x, 1, t, c), 1e-5);
        }
    }
}
