package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;

/**
 * A 1-D or 2-D convolution in XNNPACK's 2-D terms (a 1-D one as height 1), shared by the float and
 * 8-bit XNNPACK convolutions: sizes, kernel, strides, dilations, pads (the bottom and right ones what
 * the output size needs) and the per-group channel counts.
 */
record XnnpackConvGeometry(int batch, int channels, int outChannels, int inH, int inW, int outH, int outW,
                           int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padRight,
                           int padBottom, int padLeft, int groups, long cg, long mg) {

    static XnnpackConvGeometry of(KernelProvider.ConvSpec g) {
        boolean oneD = g.spatialRank() == 1;
        long[] x = g.inputShape(), w = g.weightShape(), y = g.outputShape();
        int channels = (int) x[1], outChannels = (int) w[0];
        int inH = oneD ? 1 : (int) x[2], inW = (int) x[x.length - 1];
        int outH = oneD ? 1 : (int) y[2], outW = (int) y[y.length - 1];
        int kh = oneD ? 1 : (int) w[2], kw = (int) w[w.length - 1];
        int sh = oneD ? 1 : g.strides()[0], sw = g.strides()[g.strides().length - 1];
        int dh = oneD ? 1 : g.dilations()[0], dw = g.dilations()[g.dilations().length - 1];
        int pt = oneD ? 0 : g.padsBegin()[0], pl = g.padsBegin()[g.padsBegin().length - 1];
        int pb = Math.max(0, (outH - 1) * sh + (kh - 1) * dh + 1 - inH - pt);
        int pr = Math.max(0, (outW - 1) * sw + (kw - 1) * dw + 1 - inW - pl);
        int groups = g.group();
        return new XnnpackConvGeometry((int) x[0], channels, outChannels, inH, inW, outH, outW, kh, kw, sh, sw, dh, dw,
                pt, pr, pb, pl, groups, channels / groups, outChannels / groups);
    }

    /** The elements of the input (N x C x H x W). */
    long inputElements() {
        return (long) batch * channels * inH * inW;
    }

    /** The elements of the output (N x M x OH x OW). */
    long outputElements() {
        return (long) batch * outChannels * outH * outW;
    }

    /** The pads in XNNPACK's order: top, right, bottom, left. */
    int[] pads() {
        return new int[] {padTop, padRight, padBottom, padLeft};
    }
}
