package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.Arrays;
import java.util.List;

/** MaxPool and AveragePool over (C, H, W) with kernel, strides and pads (floor mode). */
public final class Pool2d implements Layer {
    private final boolean max;
    private final int kh, kw, sh, sw, padTop, padLeft, padBottom, padRight;
    private final boolean countIncludePad;
    private int[] argmax; // (batch, C, oh, ow) -> index into x, max pooling only
    private int batch, c, h, w, oh, ow;

    public Pool2d(boolean max, int[] kernel, int[] strides, int[] pads, boolean countIncludePad) {
        this.max = max;
        this.kh = kernel[0];
        this.kw = kernel[1];
        this.sh = strides[0];
        this.sw = strides[1];
        this.padTop = pads[0];
        this.padLeft = pads[1];
        this.padBottom = pads[2];
        this.padRight = pads[3];
        this.countIncludePad = countIncludePad;
    }

    public static Pool2d maxPool(int k) {
        return new Pool2d(true, new int[] {k, k}, new int[] {k, k}, new int[4], false);
    }

    @Override public String opType() { return max ? "MaxPool" : "AveragePool"; }
    @Override public String describe() { return opType() + " " + kh + "x" + kw; }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 3) throw new IllegalArgumentException(describe() + ": input must be (C, H, W), got rank " + in.length);
        return new int[] {in[0], (in[1] + padTop + padBottom - kh) / sh + 1, (in[2] + padLeft + padRight - kw) / sw + 1};
    }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        int[] o = outputShape(in);
        this.batch = batch;
        c = in[0];
        h = in[1];
        w = in[2];
        oh = o[1];
        ow = o[2];
        float[] y = new float[batch * c * oh * ow];
        if (max) argmax = new int[y.length];
        for (int plane = 0; plane < batch * c; plane++) {
            int xBase = plane * h * w;
            for (int yo = 0; yo < oh; yo++) {
                for (int xo = 0; xo < ow; xo++) {
                    int oi = (plane * oh + yo) * ow + xo;
                    float best = Float.NEGATIVE_INFINITY, sum = 0;
                    int bestAt = -1, count = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = yo * sh - padTop + ky;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = xo * sw - padLeft + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            float v = x[xBase + iy * w + ix];
                            count++;
                            sum += v;
                            if (v > best) {
                                best = v;
                                bestAt = xBase + iy * w + ix;
                            }
                        }
                    }
                    if (max) {
                        y[oi] = best;
                        argmax[oi] = bestAt;
                    } else {
                        y[oi] = sum / divisor(count);
                    }
                }
            }
        }
        return y;
    }

    private int divisor(int count) {
        return countIncludePad ? kh * kw : count;
    }

    @Override
    public float[] backward(float[] dy) {
        float[] dx = new float[batch * c * h * w];
        if (max) {
            for (int i = 0; i < dy.length; i++) if (argmax[i] >= 0) dx[argmax[i]] += dy[i];
            return dx;
        }
        for (int plane = 0; plane < batch * c; plane++) {
            int xBase = plane * h * w;
            for (int yo = 0; yo < oh; yo++) {
                for (int xo = 0; xo < ow; xo++) {
                    int count = 0;
                    for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
                        int iy = yo * sh - padTop + ky, ix = xo * sw - padLeft + kx;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) count++;
                    }
                    float g = dy[(plane * oh + yo) * ow + xo] / divisor(count);
                    for (int ky = 0; ky < kh; ky++) for (int kx = 0; kx < kw; kx++) {
                        int iy = yo * sh - padTop + ky, ix = xo * sw - padLeft + kx;
                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) dx[xBase + iy * w + ix] += g;
                    }
                }
            }
        }
        return dx;
    }

    @Override
    public String export(GraphSink sink, String input) {
        Attribute k = Attribute.of("kernel_shape", new long[] {kh, kw});
        Attribute s = Attribute.of("strides", new long[] {sh, sw});
        Attribute p = Attribute.of("pads", new long[] {padTop, padLeft, padBottom, padRight});
        if (max) return sink.node("MaxPool", List.of(input), k, s, p);
        return sink.node("AveragePool", List.of(input), k, s, p, Attribute.of("count_include_pad", countIncludePad ? 1L : 0L));
    }

    @Override
    public String toString() {
        return describe() + Arrays.toString(new int[] {sh, sw});
    }
}
