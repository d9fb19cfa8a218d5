package dev.edgerun.finetune.nn;

import java.util.List;

/** ONNX GlobalAveragePool: (C, spatial...) to (C, 1, ...). */
public final class GlobalAveragePool implements Layer {
    private int batch, channels, spatial;
    private int[] in;

    @Override public String opType() { return "GlobalAveragePool"; }
    @Override public String describe() { return opType(); }

    @Override
    public int[] outputShape(int[] in) {
        int[] o = new int[in.length];
        java.util.Arrays.fill(o, 1);
        o[0] = in[0];
        return o;
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        this.batch = batch;
        this.in = in.clone();
        channels = in[0];
        spatial = Network.size(in) / channels;
        float[] y = new float[batch * channels];
        for (int p = 0; p < y.length; p++) {
            float s = 0;
            for (int i = 0; i < spatial; i++) s += x[p * spatial + i];
            y[p] = s / spatial;
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] dx = new float[batch * channels * spatial];
        for (int p = 0; p < dy.length; p++) {
            float g = dy[p] / spatial;
            for (int i = 0; i < spatial; i++) dx[p * spatial + i] = g;
        }
        return dx;
    }

    @Override
    public String export(GraphSink sink, String input) {
        return sink.node("GlobalAveragePool", List.of(input));
    }
}
