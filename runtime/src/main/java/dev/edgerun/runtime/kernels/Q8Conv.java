package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Direct integer convolution of 8-bit operands with int32 accumulation over up to three spatial
 * dimensions (1-D and 2-D convolutions pass 1 for the leading ones):
 * {@code y[n, m, o] = sum (x[n, c, o*s - p + k*d] - zx) * (w[m, c, k] - zw[m])}; positions in
 * the padding contribute nothing (they hold zx). The core of ConvInteger and QLinearConv.
 */
public final class Q8Conv {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** Sizes, all for three spatial dimensions (depth, height, width). */
    public record Geometry(int batch, int channels, int outChannels, int group,
                           int[] in, int[] kernel, int[] out, int[] stride, int[] padBegin, int[] dilation) {}

    private Q8Conv() {}

    /**
     * @param x    (batch, channels, in...) bytes
     * @param w    (outChannels, channels / group, kernel...) bytes
     * @param zw   (outChannels) int32 zero points of w
     * @param y    (batch, outChannels, out...) int32 from byte offset {@code yOffset}
     */
    public static void conv(Geometry g, MemorySegment x, boolean xSigned, int zx,
                            MemorySegment w, boolean wSigned, MemorySegment zw, MemorySegment y, long yOffset) {
        int cPerGroup = g.channels() / g.group();
        int mPerGroup = g.outChannels() / g.group();
        int[] in = g.in(), k = g.kernel(), out = g.out(), s = g.stride(), p = g.padBegin(), d = g.dilation();
        long inPlane = (long) in[0] * in[1] * in[2];
        long outPlane = (long) out[0] * out[1] * out[2];
        long kPlane = (long) k[0] * k[1] * k[2];
        long yAt = 0;
        for (int n = 0; n < g.batch(); n++) {
            for (int m = 0; m < g.outChannels(); m++) {
                int firstC = (m / mPerGroup) * cPerGroup;
                int zwm = zw.getAtIndex(I32, m);
                long wBase = (long) m * cPerGroup * kPlane;
                for (int od = 0; od < out[0]; od++) {
                    for (int oh = 0; oh < out[1]; oh++) {
                        for (int ow = 0; ow < out[2]; ow++) {
                            int acc = 0;
                            for (int c = 0; c < cPerGroup; c++) {
                                long xBase = ((long) n * g.channels() + firstC + c) * inPlane;
                                long wc = wBase + c * kPlane;
                                for (int kd = 0; kd < k[0]; kd++) {
                                    int id = od * s[0] - p[0] + kd * d[0];
                                    if (id < 0 || id >= in[0]) continue;
                                    for (int kh = 0; kh < k[1]; kh++) {
                                        int ih = oh * s[1] - p[1] + kh * d[1];
                                        if (ih < 0 || ih >= in[1]) continue;
                                        for (int kw = 0; kw < k[2]; kw++) {
                                            int iw = ow * s[2] - p[2] + kw * d[2];
                                            if (iw < 0 || iw >= in[2]) continue;
                                            int xv = Q8MatMul.load(x, xBase + ((long) id * in[1] + ih) * in[2] + iw, xSigned) - zx;
                                            int wv = Q8MatMul.load(w, wc + ((long) kd * k[1] + kh) * k[2] + kw, wSigned) - zwm;
                                            acc += xv * wv;
                                        }
                                    }
                                }
                            }
                            y.set(I32, yOffset + 4 * yAt++, acc);
                        }
                    }
                }
            }
        }
        assert yAt == (long) g.batch() * g.outChannels() * outPlane;
    }
}
