package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A fully connected layer, y = x W^T + b, exported as ONNX {@code Gemm} with {@code transB=1}. */
public final class Dense implements Layer {
    private final int in;
    private final int out;
    private final Param weight; // (out, in)
    private final Param bias;   // (out), or null
    private float[] x;          // (batch, in) of the last forward
    private int batch;

    public Dense(Param weight, Param bias) {
        int[] s = weight.shape();
        if (s.length != 2) throw new IllegalArgumentException("Dense weight must be (out, in), got rank " + s.length);
        this.out = s[0];
        this.in = s[1];
        this.weight = weight;
        this.bias = bias;
    }

    /** He-initialised weights (uniform, fan-in), zero bias. */
    public static Dense init(String name, int in, int out, Random rng) {
        float[] w = new float[out * in];
        double bound = Math.sqrt(6.0 / in);
        for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return new Dense(new Param(name + ".weight", w, true, out, in), new Param(name + ".bias", new float[out], false, out));
    }

    public int inFeatures() { return in; }
    public int outFeatures() { return out; }

    @Override public String describe() { return "Gemm " + in + "->" + out; }
    @Override public String opType() { return "Gemm"; }

    @Override
    public int[] outputShape(int[] inShape) {
        int n = Network.size(inShape);
        if (n != in) throw new IllegalArgumentException(describe() + ": input has " + n + " features, expected " + in);
        return new int[] {out};
    }

    @Override
    public float[] forward(float[] x, int batch, int[] inShape) {
        outputShape(inShape);
        this.x = x;
        this.batch = batch;
        float[] w = weight.value;
        float[] y = new float[batch * out];
        for (int b = 0; b < batch; b++) {
            int xo = b * in;
            for (int o = 0; o < out; o++) {
                float s = bias == null ? 0f : bias.value[o];
                int wo = o * in;
                for (int i = 0; i < in; i++) s += x[xo + i] * w[wo + i];
                y[b * out + o] = s;
            }
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] w = weight.value;
        float[] dw = weight.grad;
        float[] dx = new float[batch * in];
        for (int b = 0; b < batch; b++) {
            int xo = b * in;
            for (int o = 0; o < out; o++) {
                float g = dy[b * out + o];
                if (g == 0f) continue;
                int wo = o * in;
                for (int i = 0; i < in; i++) {
                    dx[xo + i] += g * w[wo + i];
                    dw[wo + i] += g * x[xo + i];
                }
                if (bias != null) bias.grad[o] += g;
            }
        }
        return dx;
    }

    @Override
    public List<Param> params() {
        List<Param> p = new ArrayList<>();
        p.add(weight);
        if (bias != null) p.add(bias);
        return p;
    }

    @Override
    public String export(GraphSink sink, String input) {
        List<String> inputs = new ArrayList<>(List.of(input, sink.constant("weight", weight.value, out, in)));
        if (bias != null) inputs.add(sink.constant("bias", bias.value, out));
        return sink.node("Gemm", inputs, Attribute.of("transB", 1L));
    }
}
