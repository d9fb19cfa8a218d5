package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D depthwise convolution (group == input channels == output channels): each output
 * row starts at the bias and receives one {@code y += w * x} pass per kernel tap, over the range of
 * output columns whose input column is inside the image, so padding costs nothing. Unit-stride taps
 * (the 3x3 stride-1 blocks of MobileNet) are vector fma over contiguous input; other strides use a
 * scalar loop. Planes (image, channel) are split across threads.
 *
 * <p>Small unit-stride planes (up to {@value #SMALL_PLANE} inputs, the 25x5 maps of a keyword
 * spotter, MobileNet's 7x7 to 28x28) are first copied into a zero-padded plane whose rows are as wide
 * as the output plus the kernel's reach: every tap is then the same flat shift for every output, so
 * the whole plane is unmasked vector fma, taps innermost with the sum in a register, and only the
 * copies in and out are masked per row. The column-masked pass below took 32 us for DS-CNN's
 * 64-channel 25x5 layer (scalar edges, a division per edge element); this one 19 us (single
 * thread, kernel alone; oneDNN 7.6 us).
 */
public final class F32DepthwiseConv implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species; // null: scalar
    private final int channels, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, planes;
    private final MemorySegment weights; // constant weights [C, kh, kw], or null
    private final int[] colLo, colHi;    // per kernel column: output columns whose input column is inside
    private final boolean wholePlane;    // unit strides, output as wide as input: taps are flat shifts
    private final MemorySegment[] columnMask; // per kernel column: [oh * ow] 1 where the tap's column is inside, 0 where not; null when all are
    private final boolean smallPlane;    // padded-plane path (see the class comment)
    private final int padW, padH;        // padded plane: rows of padW floats, padH rows
    private final int padFloats;         // padded plane plus slack for the last vector's reach
    private final int accFloats;         // oh * padW rounded up to whole vectors

    /** Planes of at most this many inputs take the padded-plane path. */
    static final int SMALL_PLANE = 1024;
    /**
     * Multiply-adds below which the planes run on the calling thread: waking a second thread cost
     * more than DS-CNN's 72k-MAC depthwise layers take (kws_dscnn, Java kernels, 2 threads on the
     * loaded 2-core machine: 594 us per run against 258 us with one).
     */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Fixed plane ranges of the padded-plane path, each with its own padded plane and sums in scratch (so at most this many threads). */
    private static final int CHUNKS = 4;

    /** Whether this kernel handles {@code spec}: 2-D, depthwise with one output per channel. */
    public static boolean supports(KernelProvider.ConvSpec spec) {
        return spec.spatialRank() == 2 && spec.isDepthwise() && spec.weightShape()[1] == 1;
    }

    public F32DepthwiseConv(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec)) throw new IllegalArgumentException("not a 2-D depthwise convolution: " + spec);
        this.spec = spec;
        this.species = species;
        long[] xs = spec.inputShape(), ws = spec.weightShape(), ys = spec.outputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        kh = (int) ws[2];
        kw = (int) ws[3];
        sh = spec.strides()[0];
        sw = spec.strides()[1];
        ph = spec.padsBegin()[0];
        pw = spec.padsBegin()[1];
        dh = spec.dilations()[0];
        dw = spec.dilations()[1];
        oh = (int) ys[2];
        ow = (int) ys[3];
        planes = (int) xs[0] * channels;
        colLo = new int[kw];
        colHi = new int[kw];
        for (int kj = 0; kj < kw; kj++) {
            int off = kj * dw - pw;
            colLo[kj] = off >= 0 ? 0 : Math.min(ow, F32Im2Col.ceilDiv(-off, sw));
            colHi[kj] = Math.max(colLo[kj], Math.min(ow, F32Im2Col.ceilDiv(w - off, sw)));
        }
        padW = ow + (kw - 1) * dw;
        padH = oh + (kh - 1) * dh;
        int lanes = species == null ? 1 : species.length();
        smallPlane = species != null && sh == 1 && sw == 1 && (long) h * w <= SMALL_PLANE
                && ph <= padH && pw <= padW;
        padFloats = roundUp(padH * padW + (kw - 1) * dw + lanes, lanes);
        accFloats = roundUp(oh * padW, lanes);
        wholePlane = !smallPlane && species != null && sh == 1 && sw == 1 && ow == w;
        columnMask = new MemorySegment[kw];
        for (int kj = 0; kj < kw && wholePlane; kj++) {
            if (colLo[kj] == 0 && colHi[kj] == ow) continue;
            columnMask[kj] = F32Gemm.allocatePacked(4L * oh * ow);
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    columnMask[kj].setAtIndex(F, (long) i * ow + j, j >= colLo[kj] && j < colHi[kj] ? 1f : 0f);
                }
            }
        }
        weights = spec.constantWeight() == null ? null
                : F32Gemm.allocatePacked(spec.constantWeight().byteSize()).copyFrom(spec.constantWeight().data());
    }

    /** Stride 2 with vectors: each input row split into even and odd columns, so taps read contiguously. */
    private boolean deinterleaved() {
        return species != null && sw == 2 && !wholePlane;
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    @Override
    public long scratchBytes() {
        if (smallPlane) return 4L * CHUNKS * (padFloats + accFloats);
        return deinterleaved() ? 4L * planes * h * w : 0;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment wt = weights != null ? weights : wIn;
        boolean hasBias = bias != null && bias.byteSize() > 0;
        boolean serial = par.threads() <= 1 || (long) planes * oh * ow * kh * kw < PARALLEL_MIN_MACS;
        if (smallPlane) {
            MemorySegment b = hasBias ? bias : null;
            if (serial) {
                for (int c = 0; c < CHUNKS; c++) smallPlanes(x, wt, b, y, scratch, c);
            } else {
                par.forRange(CHUNKS, (from, to) -> {
                    for (int c = from; c < to; c++) smallPlanes(x, wt, b, y, scratch, c);
                });
            }
            return;
        }
        if (serial) {
            planes(x, wt, hasBias ? bias : null, y, scratch, 0, planes);
        } else {
            MemorySegment b = hasBias ? bias : null;
            par.forRange(planes, (from, to) -> planes(x, wt, b, y, scratch, from, to));
        }
    }

    private void planes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                        int from, int to) {
        if (wholePlane) {
            for (int plane = from; plane < to; plane++) shiftedPlane(x, wt, bias, y, plane);
            return;
        }
        for (int plane = from; plane < to; plane++) {
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            long xPlane = 4L * plane * h * w;
            long wPlane = 4L * c * kh * kw;
            MemorySegment src = x;
            if (deinterleaved()) {
                deinterleave(x, scratch, xPlane);
                src = scratch;
            }
            for (int i = 0; i < oh; i++) {
                long yRow = 4L * ((long) plane * oh + i) * ow;
                for (int j = 0; j < ow; j++) y.set(F, yRow + 4L * j, b);
                for (int ki = 0; ki < kh; ki++) {
                    int ih = i * sh - ph + ki * dh;
                    if (ih < 0 || ih >= h) continue;
                    long xRow = xPlane + 4L * ih * w;
                    for (int kj = 0; kj < kw; kj++) {
                        float wv = wt.get(F, wPlane + 4L * (ki * kw + kj));
                        int off = kj * dw - pw;
                        int lo = colLo[kj], hi = colHi[kj];
                        if (sw == 1 && species != null) {
                            axpy(wv, x, xRow + 4L * off, y, yRow, lo, hi);
                        } else if (src != x) { // column 2j + off is in the even or the odd half of the row
                            long half = (off & 1) == 0 ? 0 : 4L * ((w + 1) / 2);
                            axpy(wv, src, xRow + half + 4L * Math.floorDiv(off, 2), y, yRow, lo, hi);
                        } else {
                            for (int j = lo; j < hi; j++) {
                                long at = yRow + 4L * j;
                                y.set(F, at, y.get(F, at) + wv * x.get(F, xRow + 4L * (j * sw + off)));
                            }
                        }
                    }
                }
                if (spec.epilogue() != null) spec.epilogue().apply(y, yRow, ow);
            }
        }
    }

    /**
     * One plane with unit strides and {@code ow == w}: input element of output {@code p = i*ow + j}
     * for tap (ki, kj) is {@code p + (ki*dh - ph)*w + (kj*dw - pw)}, so each tap is one long
     * {@code y += wv * x[shifted] * columnMask} over the rows it reaches, instead of a short pass
     * per output row (feature maps of 7x7 to 28x28 have rows shorter than a vector or two).
     */
    private void shiftedPlane(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, int plane) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int c = plane % channels;
        int count = oh * ow, inCount = h * w;
        long xPlane = 4L * plane * inCount, yPlane = 4L * plane * count;
        float b = bias == null ? 0f : bias.getAtIndex(F, c);
        FloatVector bv = FloatVector.broadcast(sp, b);
        int p = 0;
        for (; p + lanes <= count; p += lanes) bv.intoMemorySegment(y, yPlane + 4L * p, LE);
        for (; p < count; p++) y.set(F, yPlane + 4L * p, b);
        for (int ki = 0; ki < kh; ki++) {
            int rowOff = ki * dh - ph;
            int i0 = Math.max(0, -rowOff), i1 = Math.min(oh, h - rowOff);
            if (i0 >= i1) continue;
            for (int kj = 0; kj < kw; kj++) {
                float wv = wt.get(F, 4L * ((c * kh + ki) * kw + kj));
                int colOff = kj * dw - pw;
                int shift = rowOff * w + colOff;
                MemorySegment mask = columnMask[kj];
                int pStart = i0 * ow, pEnd = i1 * ow;
                // vector part: whole vectors whose shifted input stays inside the plane
                int vStart = Math.max(pStart, -shift), vEnd = Math.min(pEnd, inCount - shift);
                FloatVector wvv = FloatVector.broadcast(sp, wv);
                int q = pStart;
                for (; q < Math.min(vStart, pEnd); q++) scalarTap(x, xPlane, y, yPlane, q, shift, wv, kj);
                for (; q + lanes <= vEnd; q += lanes) {
                    FloatVector xv = FloatVector.fromMemorySegment(sp, x, xPlane + 4L * (q + shift), LE);
                    if (mask != null) xv = xv.mul(FloatVector.fromMemorySegment(sp, mask, 4L * q, LE));
                    FloatVector yv = FloatVector.fromMemorySegment(sp, y, yPlane + 4L * q, LE);
                    xv.fma(wvv, yv).intoMemorySegment(y, yPlane + 4L * q, LE);
                }
                for (; q < pEnd; q++) scalarTap(x, xPlane, y, yPlane, q, shift, wv, kj);
            }
        }
        if (spec.epilogue() != null) spec.epilogue().apply(y, yPlane, count);
    }

    private void scalarTap(MemorySegment x, long xPlane, MemorySegment y, long yPlane, int q, int shift, float wv, int kj) {
        int j = q % ow;
        if (j < colLo[kj] || j >= colHi[kj]) return;
        long at = yPlane + 4L * q;
        y.set(F, at, y.get(F, at) + wv * x.get(F, xPlane + 4L * (q + shift)));
    }

    /** Planes of chunk {@code chunk}, through the chunk's padded plane in scratch. */
    private void smallPlanes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y,
                             MemorySegment scratch, int chunk) {
        long padAt = 4L * chunk * (padFloats + accFloats);
        for (int plane = chunk * planes / CHUNKS; plane < (chunk + 1) * planes / CHUNKS; plane++) {
            padPlane(x, 4L * plane * h * w, scratch, padAt);
            smallPlane(wt, bias, y, scratch, padAt, plane);
        }
    }

    /** The input plane at {@code xPlane} into the zeroed padded plane at {@code padAt}: row ih at row ih + ph, column pw. */
    private void padPlane(MemorySegment x, long xPlane, MemorySegment pad, long padAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        FloatVector zero = FloatVector.zero(sp);
        for (int q = 0; q < padFloats; q += lanes) zero.intoMemorySegment(pad, padAt + 4L * q, LE);
        int cols = Math.min(w, padW - pw);
        int rows = Math.min(h, padH - ph);
        VectorMask<Float> outside = sp.indexInRange(0, cols).not();
        for (int ih = 0; ih < rows; ih++) {
            long from = xPlane + 4L * ih * w, to = padAt + 4L * ((ih + ph) * padW + pw);
            if (cols <= lanes && from + 4L * lanes <= x.byteSize()) {
                // A whole vector, the lanes past the row zeroed: it also writes zeros after the row,
                // where the padding is zero anyway and later rows write their own values.
                FloatVector.fromMemorySegment(sp, x, from, LE).blend(0f, outside).intoMemorySegment(pad, to, LE);
            } else {
                copyRow(sp, x, from, pad, to, cols);
            }
        }
    }

    /**
     * One plane from its padded copy: output (i, j) is at flat position {@code i*padW + j} and reads
     * tap (ki, kj) at that position plus {@code ki*dh*padW + kj*dw}; columns j >= ow are computed and
     * dropped. Vectors run over flat positions, taps inside, the sum kept in a register.
     */
    private void smallPlane(MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment pad, long padAt,
                            int plane) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int c = plane % channels;
        long wPlane = 4L * c * kh * kw;
        long accAt = padAt + 4L * padFloats;
        float b = bias == null ? 0f : bias.getAtIndex(F, c);
        long yPlane = 4L * plane * oh * ow;
        int q = 0;
        // Four vectors at a time: four independent fma chains hide the fma latency.
        for (; q + 4 * lanes <= accFloats; q += 4 * lanes) {
            FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * (ki * kw + kj)));
                    long at = padAt + 4L * (q + ki * dh * padW + kj * dw);
                    a0 = FloatVector.fromMemorySegment(sp, pad, at, LE).fma(wv, a0);
                    a1 = FloatVector.fromMemorySegment(sp, pad, at + 4L * lanes, LE).fma(wv, a1);
                    a2 = FloatVector.fromMemorySegment(sp, pad, at + 8L * lanes, LE).fma(wv, a2);
                    a3 = FloatVector.fromMemorySegment(sp, pad, at + 12L * lanes, LE).fma(wv, a3);
                }
            }
            long to = accAt + 4L * q;
            a0.intoMemorySegment(pad, to, LE);
            a1.intoMemorySegment(pad, to + 4L * lanes, LE);
            a2.intoMemorySegment(pad, to + 8L * lanes, LE);
            a3.intoMemorySegment(pad, to + 12L * lanes, LE);
        }
        for (; q < accFloats; q += lanes) {
            FloatVector acc = FloatVector.broadcast(sp, b);
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    float wv = wt.get(F, wPlane + 4L * (ki * kw + kj));
                    long at = padAt + 4L * (q + ki * dh * padW + kj * dw);
                    acc = FloatVector.fromMemorySegment(sp, pad, at, LE).fma(FloatVector.broadcast(sp, wv), acc);
                }
            }
            acc.intoMemorySegment(pad, accAt + 4L * q, LE);
        }
        for (int i = 0; i < oh; i++) {
            long from = accAt + 4L * i * padW, to = yPlane + 4L * i * ow;
            if (ow <= lanes && (i * ow + lanes) <= oh * ow) {
                // A whole vector: what it writes past the row lies in this plane's later rows, written after.
                FloatVector.fromMemorySegment(sp, pad, from, LE).intoMemorySegment(y, to, LE);
            } else {
                copyRow(sp, pad, from, y, to, ow);
            }
        }
        if (spec.epilogue() != null) spec.epilogue().apply(y, yPlane, oh * ow);
    }

    /** {@code n} floats from {@code src} to {@code dst}, whole vectors then a masked one. */
    private static void copyRow(VectorSpecies<Float> sp, MemorySegment src, long from, MemorySegment dst, long to, int n) {
        int lanes = sp.length();
        int j = 0;
        for (; j + lanes <= n; j += lanes) {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE).intoMemorySegment(dst, to + 4L * j, LE);
        }
        if (j < n) {
            VectorMask<Float> m = sp.indexInRange(j, n);
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE, m).intoMemorySegment(dst, to + 4L * j, LE, m);
        }
    }

    /** Copies one plane into {@code dst} at the same offset, each row as its even columns then its odd ones. */
    private void deinterleave(MemorySegment x, MemorySegment dst, long plane) {
        int evens = (w + 1) / 2;
        for (int i = 0; i < h; i++) {
            long row = plane + 4L * i * w;
            for (int j = 0; j < w; j++) {
                long at = row + 4L * ((j & 1) == 0 ? j >> 1 : evens + (j >> 1));
                dst.set(F, at, x.get(F, row + 4L * j));
            }
        }
    }

    /** {@code y[j] += a * x[j]} for j in [lo, hi); x and y are byte offsets of element 0. */
    private void axpy(float a, MemorySegment x, long x0, MemorySegment y, long y0, int lo, int hi) {
        VectorSpecies<Float> species = JavaKernelsSpecies.of(this.species).f32();
        int lanes = species.length();
        FloatVector av = FloatVector.broadcast(species, a);
        int j = lo;
        for (; j + lanes <= hi; j += lanes) {
            FloatVector xv = FloatVector.fromMemorySegment(species, x, x0 + 4L * j, LE);
            FloatVector yv = FloatVector.fromMemorySegment(species, y, y0 + 4L * j, LE);
            xv.fma(av, yv).intoMemorySegment(y, y0 + 4L * j, LE);
        }
        if (j < hi) { // masked tail: rows of small feature maps are often shorter than a vector
            VectorMask<Float> m = species.indexInRange(j, hi);
            FloatVector xv = FloatVector.fromMemorySegment(species, x, x0 + 4L * j, LE, m);
            FloatVector yv = FloatVector.fromMemorySegment(species, y, y0 + 4L * j, LE, m);
            xv.fma(av, yv).intoMemorySegment(y, y0 + 4L * j, LE, m);
        }
    }

    @Override
    public String toString() {
        return "F32DepthwiseConv(" + (species == null ? "scalar" : species.vectorBitSize() + "-bit") + ") " + spec;
    }
}
