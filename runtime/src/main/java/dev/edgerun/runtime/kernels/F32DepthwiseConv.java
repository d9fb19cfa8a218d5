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
        wholePlane = species != null && sh == 1 && sw == 1 && ow == w;
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

    @Override
    public long scratchBytes() {
        return deinterleaved() ? 4L * planes * h * w : 0;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment wt = weights != null ? weights : wIn;
        boolean hasBias = bias != null && bias.byteSize() > 0;
        if (par.threads() <= 1) {
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
