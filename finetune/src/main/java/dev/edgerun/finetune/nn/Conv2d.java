package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A 2-D convolution (ONNX {@code Conv}) with strides, pads, dilations and groups (grouped and
 * depthwise included). Input (batch, C, H, W), weight (M, C/groups, kh, kw).
 */
public final class Conv2d implements Layer {
    private final Param weight;
    private final Param bias; // (M) or null
    private final int m, cPerGroup, kh, kw, groups;
    private final int sh, sw, dh, dw;
    private final int padTop, padLeft, padBottom, padRight;
    private float[] x;
    private int batch, c, h, w, oh, ow;

    public Conv2d(Param weight, Param bias, int groups, int[] strides, int[] pads, int[] dilations) {
        int[] s = weight.shape();
        if (s.length != 4) throw new IllegalArgumentException("Conv2d weight must be (M, C/g, kh, kw), got rank " + s.length);
        this.weight = weight;
        this.bias = bias;
        this.m = s[0];
        this.cPerGroup = s[1];
        this.kh = s[2];
        this.kw = s[3];
        this.groups = groups;
        if (m % groups != 0) throw new IllegalArgumentException("Conv: " + m + " output channels not divisible by group " + groups);
        this.sh = strides[0];
        this.sw = strides[1];
        this.padTop = pads[0];
        this.padLeft = pads[1];
        this.padBottom = pads[2];
        this.padRight = pads[3];
        this.dh = dilations[0];
        this.dw = dilations[1];
    }

    /** He-initialised kernel with "same" padding for odd kernels, stride 1, zero bias. */
    public static Conv2d init(String name, int inChannels, int outChannels, int k, Random rng) {
        float[] wv = new float[outChannels * inChannels * k * k];
        double bound = Math.sqrt(6.0 / (inChannels * k * k));
        for (int i = 0; i < wv.length; i++) wv[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        int p = k / 2;
        return new Conv2d(new Param(name + ".weight", wv, true, outChannels, inChannels, k, k),
                new Param(name + ".bias", new float[outChannels], false, outChannels),
                1, new int[] {1, 1}, new int[] {p, p, p, p}, new int[] {1, 1});
    }

    @Override public String describe() {
        return "Conv " + cPerGroup * groups + "->" + m + " " + kh + "x" + kw + (groups > 1 ? " groups " + groups : "")
                + (sh > 1 || sw > 1 ? " stride " + sh : "");
    }

    @Override public String opType() { return "Conv"; }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 3) throw new IllegalArgumentException(describe() + ": input must be (C, H, W), got rank " + in.length);
        if (in[0] != cPerGroup * groups) {
            throw new IllegalArgumentException(describe() + ": input has " + in[0] + " channels, expected " + cPerGroup * groups);
        }
        int outH = (in[1] + padTop + padBottom - dh * (kh - 1) - 1) / sh + 1;
        int outW = (in[2] + padLeft + padRight - dw * (kw - 1) - 1) / sw + 1;
        return new int[] {m, outH, outW};
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        int[] o = outputShape(in);
        this.x = x;
        this.batch = batch;
        this.c = in[0];
        this.h = in[1];
        this.w = in[2];
        this.oh = o[1];
        this.ow = o[2];
        float[] y = new float[batch * m * oh * ow];
        float[] wt = weight.value;
        int mPerGroup = m / groups;
        for (int b = 0; b < batch; b++) {
            for (int mo = 0; mo < m; mo++) {
                int yBase = ((b * m) + mo) * oh * ow;
                if (bias != null) java.util.Arrays.fill(y, yBase, yBase + oh * ow, bias.value[mo]);
                int g = mo / mPerGroup;
                for (int ci = 0; ci < cPerGroup; ci++) {
                    int xBase = ((b * c) + g * cPerGroup + ci) * h * w;
                    int wBase = ((mo * cPerGroup) + ci) * kh * kw;
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            float wv = wt[wBase + ky * kw + kx];
                            for (int yo = 0; yo < oh; yo++) {
                                int iy = yo * sh - padTop + ky * dh;
                                if (iy < 0 || iy >= h) continue;
                                int xRow = xBase + iy * w;
                                int yRow = yBase + yo * ow;
                                for (int xo = 0; xo < ow; xo++) {
                                    int ix = xo * sw - padLeft + kx * dw;
                                    if (ix >= 0 && ix < w) y[yRow + xo] += wv * x[xRow + ix];
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] dx = new float[x.length];
        float[] wt = weight.value;
        float[] dwt = weight.grad;
        int mPerGroup = m / groups;
        for (int b = 0; b < batch; b++) {
            for (int mo = 0; mo < m; mo++) {
                int yBase = ((b * m) + mo) * oh * ow;
                if (bias != null) {
                    float s = 0;
                    for (int i = 0; i < oh * ow; i++) s += dy[yBase + i];
                    bias.grad[mo] += s;
                }
                int g = mo / mPerGroup;
                for (int ci = 0; ci < cPerGroup; ci++) {
                    int xBase = ((b * c) + g * cPerGroup + ci) * h * w;
                    int wBase = ((mo * cPerGroup) + ci) * kh * kw;
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            float wv = wt[wBase + ky * kw + kx];
                            float gw = 0;
                            for (int yo = 0; yo < oh; yo++) {
                                int iy = yo * sh - padTop + ky * dh;
                                if (iy < 0 || iy >= h) continue;
                                int xRow = xBase + iy * w;
                                int yRow = yBase + yo * ow;
                                for (int xo = 0; xo < ow; xo++) {
                                    int ix = xo * sw - padLeft + kx * dw;
                                    if (ix < 0 || ix >= w) continue;
                                    float g0 = dy[yRow + xo];
                                    gw += g0 * x[xRow + ix];
                                    dx[xRow + ix] += g0 * wv;
                                }
                            }
                            dwt[wBase + ky * kw + kx] += gw;
                        }
                    }
                }
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
        List<String> inputs = new ArrayList<>(List.of(input, sink.constant("weight", weight.value, weight.longShape())));
        if (bias != null) inputs.add(sink.constant("bias", bias.value, m));
        return sink.node("Conv", inputs,
                Attribute.of("kernel_shape", new long[] {kh, kw}),
                Attribute.of("strides", new long[] {sh, sw}),
                Attribute.of("pads", new long[] {padTop, padLeft, padBottom, padRight}),
                Attribute.of("dilations", new long[] {dh, dw}),
                Attribute.of("group", (long) groups));
    }
}
