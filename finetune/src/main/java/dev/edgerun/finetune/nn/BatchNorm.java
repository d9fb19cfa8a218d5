package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * BatchNormalization with its inference statistics: y = (x - mean) / sqrt(var + eps) * scale + bias
 * per channel (axis 1). Scale and bias train; mean and variance stay as imported.
 */
public final class BatchNorm implements Layer {
    private final Param scale, bias;
    private final float[] mean, var;
    private final float epsilon;
    private float[] xHat;
    private int batch, channels, spatial;

    public BatchNorm(Param scale, Param bias, float[] mean, float[] var, float epsilon) {
        this.scale = scale;
        this.bias = bias;
        this.mean = mean;
        this.var = var;
        this.epsilon = epsilon;
    }

    @Override public String opType() { return "BatchNormalization"; }
    @Override public String describe() { return "BatchNormalization " + mean.length; }

    @Override
    public int[] outputShape(int[] in) {
        if (in[0] != mean.length) {
            throw new IllegalArgumentException(describe() + ": input has " + in[0] + " channels, expected " + mean.length);
        }
        return in.clone();
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        outputShape(in);
        this.batch = batch;
        channels = in[0];
        spatial = Network.size(in) / channels;
        xHat = new float[x.length];
        float[] y = new float[x.length];
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < channels; ch++) {
                float inv = (float) (1 / Math.sqrt(var[ch] + epsilon));
                int base = (b * channels + ch) * spatial;
                for (int i = base; i < base + spatial; i++) {
                    xHat[i] = (x[i] - mean[ch]) * inv;
                    y[i] = xHat[i] * scale.value[ch] + bias.value[ch];
                }
            }
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] dx = new float[dy.length];
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < channels; ch++) {
                float inv = (float) (1 / Math.sqrt(var[ch] + epsilon));
                int base = (b * channels + ch) * spatial;
                float gs = 0, gb = 0;
                for (int i = base; i < base + spatial; i++) {
                    gs += dy[i] * xHat[i];
                    gb += dy[i];
                    dx[i] = dy[i] * scale.value[ch] * inv;
                }
                scale.grad[ch] += gs;
                bias.grad[ch] += gb;
            }
        }
        return dx;
    }

    @Override
    public List<Param> params() {
        return List.of(scale, bias);
    }

    @Override
    public String export(GraphSink sink, String input) {
        int c = mean.length;
        return sink.node("BatchNormalization",
                List.of(input, sink.constant("scale", scale.value, c), sink.constant("bias", bias.value, c),
                        sink.constant("mean", mean, c), sink.constant("var", var, c)),
                Attribute.of("epsilon", epsilon));
    }
}
