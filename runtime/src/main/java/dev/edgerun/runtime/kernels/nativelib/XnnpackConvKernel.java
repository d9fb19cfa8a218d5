package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A float32 1-D or 2-D convolution run by XNNPACK. XNNPACK works in NHWC, the engine in NCHW: the
 * input is transposed into scratch, the result transposed back with the bias added on the way.
 * The weights are rearranged once to XNNPACK's {@code [group, Mg, kh, kw, Cg]} order (XNNPACK
 * packs them again at operator creation).
 */
final class XnnpackConvKernel implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Xnnpack xnn;
    private final KernelProvider.ConvSpec spec;
    private final XnnpackOperators operators;
    private final int batch, channels, outChannels, inH, inW, outH, outW;
    private final long inBytes, outBytes;

    XnnpackConvKernel(Xnnpack xnn, KernelProvider.ConvSpec spec) {
        this.xnn = xnn;
        this.spec = spec;
        boolean oneD = spec.spatialRank() == 1;
        long[] x = spec.inputShape(), w = spec.weightShape(), y = spec.outputShape();
        batch = (int) x[0];
        channels = (int) x[1];
        outChannels = (int) w[0];
        inH = oneD ? 1 : (int) x[2];
        inW = (int) x[x.length - 1];
        outH = oneD ? 1 : (int) y[2];
        outW = (int) y[y.length - 1];
        int kh = oneD ? 1 : (int) w[2], kw = (int) w[w.length - 1];
        int sh = oneD ? 1 : spec.strides()[0], sw = spec.strides()[spec.strides().length - 1];
        int dh = oneD ? 1 : spec.dilations()[0], dw = spec.dilations()[spec.dilations().length - 1];
        int pt = oneD ? 0 : spec.padsBegin()[0], pl = spec.padsBegin()[spec.padsBegin().length - 1];
        int pb = Math.max(0, (outH - 1) * sh + (kh - 1) * dh + 1 - inH - pt);
        int pr = Math.max(0, (outW - 1) * sw + (kw - 1) * dw + 1 - inW - pl);
        int groups = spec.group();
        long cg = channels / groups, mg = outChannels / groups;
        MemorySegment ohwi = toOhwi(spec.constantWeight().data(), outChannels, (int) cg, kh * kw);
        int[] pads = {pt, pr, pb, pl};
        operators = new XnnpackOperators(this, xnn,
                () -> xnn.createConvolution(pads, kh, kw, sh, sw, dh, dw, groups, cg, mg, ohwi));
        inBytes = 4L * batch * channels * inH * inW;
        outBytes = 4L * batch * outChannels * outH * outW;
    }

    /** {@code [M, Cg, K]} (ONNX, K the kernel positions) to {@code [M, K, Cg]}. */
    private static MemorySegment toOhwi(MemorySegment w, int m, int cg, int k) {
        MemorySegment out = Arena.ofAuto().allocate(4L * m * cg * k, 64);
        for (int o = 0; o < m; o++) {
            for (int c = 0; c < cg; c++) {
                for (int p = 0; p < k; p++) {
                    out.setAtIndex(F, ((long) o * k + p) * cg + c, w.getAtIndex(F, ((long) o * cg + c) * k + p));
                }
            }
        }
        return out;
    }

    @Override
    public long scratchBytes() {
        return inBytes + outBytes + 128;
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        if (!x.isNative() || !y.isNative() || !scratch.isNative()) {
            KernelProvider.ConvKernel f = DnnlKernel.javaKernels().conv(spec).orElseThrow();
            f.run(x, w, bias, y, DnnlKernel.heapScratch(f.scratchBytes()), par);
            return;
        }
        long base = (scratch.address() + 63) & ~63L;
        long inOff = base - scratch.address(), outOff = inOff + ((inBytes + 63) & ~63L);
        MemorySegment xNhwc = scratch.asSlice(inOff, inBytes), yNhwc = scratch.asSlice(outOff, outBytes);
        long plane = (long) inH * inW;
        for (int n = 0; n < batch; n++) toNhwc(x, 4L * n * channels * plane, xNhwc, 4L * n * channels * plane, channels, plane);
        long pool = xnn.pool(NativeKernelRules.threadsFor(spec.flops(), par.threads()));
        long op = operators.acquire();
        try {
            xnn.setupConvolution(op, batch, inH, inW, xNhwc.address(), yNhwc.address(), pool);
            xnn.run(op, pool);
        } finally {
            operators.release(op);
        }
        long outPlane = (long) outH * outW;
        boolean hasBias = bias != null && bias.byteSize() > 0;
        for (int n = 0; n < batch; n++) {
            toNchw(yNhwc, 4L * n * outChannels * outPlane, y, 4L * n * outChannels * outPlane, outChannels, outPlane,
                    hasBias ? bias : null);
        }
        if (spec.epilogue() != null) spec.epilogue().apply(y, 0, (int) (outBytes / 4));
    }

    private static void toNhwc(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int c, long plane) {
        for (int ch = 0; ch < c; ch++) {
            long s = srcOff + 4L * ch * plane;
            for (long p = 0; p < plane; p++) dst.set(F, dstOff + 4L * (p * c + ch), src.get(F, s + 4 * p));
        }
    }

    private static void toNchw(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int c, long plane,
                               MemorySegment bias) {
        for (int ch = 0; ch < c; ch++) {
            float b = bias == null ? 0f : bias.getAtIndex(F, ch);
            long d = dstOff + 4L * ch * plane;
            for (long p = 0; p < plane; p++) dst.set(F, d + 4 * p, src.get(F, srcOff + 4L * (p * c + ch)) + b);
        }
    }

    @Override
    public String toString() {
        return "XNNPACK convolution2d_nhwc_f32 (NCHW transposed per run) " + spec;
    }
}
