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
    private final XnnpackConvGeometry geo;
    private final long inBytes, outBytes;

    XnnpackConvKernel(Xnnpack xnn, KernelProvider.ConvSpec spec) {
        this.xnn = xnn;
        this.spec = spec;
        geo = XnnpackConvGeometry.of(spec);
        MemorySegment ohwi = toOhwi(spec.constantWeight().data(), geo.outChannels(), (int) geo.cg(), geo.kh() * geo.kw());
        operators = new XnnpackOperators(this, xnn,
                () -> xnn.createConvolution(geo.pads(), geo.kh(), geo.kw(), geo.sh(), geo.sw(), geo.dh(), geo.dw(),
                        geo.groups(), geo.cg(), geo.mg(), ohwi));
        inBytes = 4L * geo.inputElements();
        outBytes = 4L * geo.outputElements();
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
        int batch = geo.batch(), channels = geo.channels(), outChannels = geo.outChannels();
        int inH = geo.inH(), inW = geo.inW(), outH = geo.outH(), outW = geo.outW();
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
