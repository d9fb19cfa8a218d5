package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An 8-bit 1-D or 2-D convolution (QLinearConv semantics, {@link KernelProvider.Q8ConvSpec}) run
 * by XNNPACK's {@code qc8} operator: signed 8-bit activations, s8 weights with a scale per output
 * channel, int32 bias. XNNPACK works in NHWC and on s8 only, the engine in NCHW and u8 or s8: the
 * input is transposed into scratch, flipping its sign bit when it is u8 ({@code x - 128}, with the
 * zero point moved alike, which leaves {@code x - zx} unchanged), and the result transposed back
 * the same way. The requantization scale of channel m is the spec's multiplier (XNNPACK is given
 * input and output scales of 1), applied in float32 with rounding half to even, as oneDNN does.
 */
final class XnnpackQ8ConvKernel implements KernelProvider.Q8ConvKernel {
    private final KernelProvider.Q8ConvSpec spec;
    private final Xnnpack xnn;
    private final XnnpackOperators operators;
    private final XnnpackConvGeometry geo;
    private final byte xFlip, yFlip;
    private final long inBytes, outBytes;
    // referenced by the operators' creation, which may happen again for a concurrent run
    private final MemorySegment weights, bias, scales;

    XnnpackQ8ConvKernel(Xnnpack xnn, KernelProvider.Q8ConvSpec spec) {
        this.xnn = xnn;
        this.spec = spec;
        KernelProvider.ConvSpec g = spec.geometry();
        geo = XnnpackConvGeometry.of(g);
        xFlip = spec.xSigned() ? 0 : (byte) 0x80;
        yFlip = spec.ySigned() ? 0 : (byte) 0x80;
        int yShift = spec.ySigned() ? 0 : 128;
        Arena arena = Arena.ofAuto();
        weights = toOhwi(arena, g.constantWeight().data(), geo.outChannels(), (int) geo.cg(), geo.kh() * geo.kw());
        bias = spec.bias() == null ? MemorySegment.NULL : arena.allocateFrom(ValueLayout.JAVA_INT, spec.bias());
        scales = arena.allocate(4L * geo.outChannels(), 64);
        for (int m = 0; m < geo.outChannels(); m++) {
            float multiplier = spec.multipliers()[spec.multipliers().length == 1 ? 0 : m];
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, m, multiplier);
        }
        byte zx = (byte) (spec.xZeroPoint() - (spec.xSigned() ? 0 : 128));
        byte zy = (byte) (spec.yZeroPoint() - yShift);
        byte lo = (byte) (spec.yMin() - yShift), hi = (byte) (spec.yMax() - yShift);
        operators = new XnnpackOperators(this, xnn, () -> xnn.createConvolutionQc8(geo.pads(), geo.kh(), geo.kw(),
                geo.sh(), geo.sw(), geo.dh(), geo.dw(), geo.groups(), geo.cg(), geo.mg(), zx, scales, weights, bias, zy, lo, hi));
        inBytes = geo.inputElements();
        outBytes = geo.outputElements();
    }

    /** {@code [M, Cg, K]} (ONNX, K the kernel positions) to {@code [M, K, Cg]}. */
    private static MemorySegment toOhwi(Arena arena, MemorySegment w, int m, int cg, int k) {
        MemorySegment out = arena.allocate((long) m * cg * k, 64);
        for (int o = 0; o < m; o++) {
            for (int c = 0; c < cg; c++) {
                for (int p = 0; p < k; p++) {
                    out.set(ValueLayout.JAVA_BYTE, ((long) o * k + p) * cg + c, w.get(ValueLayout.JAVA_BYTE, ((long) o * cg + c) * k + p));
                }
            }
        }
        return out;
    }

    @Override
    public long scratchBytes() {
        return ((inBytes + 63) & ~63L) + outBytes + 128;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int batch = geo.batch(), channels = geo.channels(), outChannels = geo.outChannels();
        int inH = geo.inH(), inW = geo.inW(), outH = geo.outH(), outW = geo.outW();
        MemorySegment work = scratch.isNative() && scratch.byteSize() >= scratchBytes() ? scratch
                : Arena.ofAuto().allocate(scratchBytes(), 64); // heap scratch (rare): XNNPACK needs native memory
        long base = (work.address() + 63) & ~63L;
        long inOff = base - work.address(), outOff = inOff + ((inBytes + 63) & ~63L);
        MemorySegment xNhwc = work.asSlice(inOff, inBytes), yNhwc = work.asSlice(outOff, outBytes);
        long plane = (long) inH * inW, outPlane = (long) outH * outW;
        for (int n = 0; n < batch; n++) {
            transpose(x, (long) n * channels * plane, channels, plane, xNhwc, (long) n * channels * plane, xFlip);
        }
        long pool = xnn.pool(NativeKernelRules.threadsFor(spec.geometry().flops(), par.threads()));
        long op = operators.acquire();
        try {
            xnn.setupConvolutionQc8(op, batch, inH, inW, xNhwc.address(), yNhwc.address(), pool);
            xnn.run(op, pool);
        } finally {
            operators.release(op);
        }
        for (int n = 0; n < batch; n++) {
            transpose(yNhwc, (long) n * outChannels * outPlane, outPlane, outChannels, y, (long) n * outChannels * outPlane, yFlip);
        }
    }

    /** {@code dst[j, i] = src[i, j] ^ flip} for a {@code rows x cols} byte matrix at the given offsets. */
    private static void transpose(MemorySegment src, long srcOff, long rows, long cols, MemorySegment dst, long dstOff,
                                  byte flip) {
        for (long i = 0; i < rows; i++) {
            long s = srcOff + i * cols;
            for (long j = 0; j < cols; j++) {
                dst.set(ValueLayout.JAVA_BYTE, dstOff + j * rows + i, (byte) (src.get(ValueLayout.JAVA_BYTE, s + j) ^ flip));
            }
        }
    }

    @Override
    public String toString() {
        return "XNNPACK convolution2d_nhwc_qc8 (NCHW transposed per run) " + spec;
    }
}
