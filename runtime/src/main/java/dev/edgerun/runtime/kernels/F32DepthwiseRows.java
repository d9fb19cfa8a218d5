package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D depthwise convolution along output rows, column stride 1 or 2, any row stride,
 * kernel size, padding and dilation, reading X in place (no padded copy of the plane).
 *
 * <p>Output vector (i, j..j+lanes) of a plane takes, per tap (ki, kj), input row
 * {@code i*sh + ki*dh - ph} at columns {@code sw*j + kj*dw - pw}: rows outside the plane are
 * skipped (their taps add zero), and the lanes whose column lies beside the row, which read the
 * neighbouring row, are zeroed by a blend under a lane mask fixed at compile time. With column
 * stride 2 the tap's lanes are the even lanes of two consecutive vectors, gathered by one
 * two-vector select. Rows of several vectors are computed four vectors along the row at a time;
 * rows of one vector (14x14 and 7x7 outputs) four rows at a time. Bias and a Relu/Clip epilogue
 * are applied in registers before the single store.
 *
 * <p>Only the first and last planes of X can have taps that load before or past X; those are
 * first copied into an edge region of scratch between zeros. {@link F32DepthwiseConv} gives this
 * kernel column stride 2 only: at stride 1 its padded rows were faster on MobileNetV2's 112x112
 * and 56x56 layers (this kernel took 1.4x and 1.9x their time). The kernel this replaced
 * ({@link F32DepthwiseConv}'s rows path) copied every row of every plane into a padded buffer,
 * split into even and odd columns for stride 2, which took most of its time on MobileNetV2's
 * stride-2 layers. Against it (one thread, interleaved medians of thread CPU time, load ~11):
 * 192 channels 28x28 68 against 170 us, 576 at 14x14 140 against 212, 144 at 56x56 410 against
 * 459, 96 at 112x112 789 against 876.
 */
public final class F32DepthwiseRows implements KernelProvider.ConvKernel, F32DepthwiseSplit.PlaneRanges {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Fixed plane ranges split over threads, each with its own edge region and tail vector in scratch. */
    private static final int CHUNKS = F32DepthwiseSplit.CHUNKS;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int channels, h, w, kh, kw, sh, sw, ph, dh, oh, ow, planes, lanes;
    private final int vectors;           // output vectors per row
    private final int[] colOff;          // per kernel column: kj*dw - pw
    private final long[] colOutside;     // [vector][kj]: lane bits whose input column lies outside the row
    private final boolean[] besideRow;   // per output vector: whether any of its taps has such lanes
    private final FloatVector even;      // stride 2: lane indices 0, 2, 4, ... into two vectors
    private final int readLo, readHi;    // float offsets a row's taps read, relative to the row's start: [lo, hi)
    private final int edgeLead;          // zeros before the plane in an edge region
    private final MemorySegment weights; // constant weights [C, kh, kw], or null
    private final boolean clamp;         // a Relu/Clip epilogue applied in registers
    private final float lo, hi;
    private final F32GemmEpilogue after; // another epilogue, applied per plane; or null

    /** Whether this kernel handles {@code spec} on {@code species}: 2-D depthwise, column stride 1 or 2. */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        return species != null && species.length() <= 64 && F32DepthwiseConv.supports(spec)
                && (spec.strides()[1] == 1 || spec.strides()[1] == 2);
    }

    public F32DepthwiseRows(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not a 2-D depthwise convolution of column stride 1 or 2: " + spec);
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
        dh = spec.dilations()[0];
        oh = (int) ys[2];
        ow = (int) ys[3];
        planes = (int) xs[0] * channels;
        lanes = species.length();
        vectors = (ow + lanes - 1) / lanes;
        int pw = spec.padsBegin()[1], dw = spec.dilations()[1];
        colOff = new int[kw];
        colOutside = new long[vectors * kw];
        for (int kj = 0; kj < kw; kj++) {
            colOff[kj] = kj * dw - pw;
            for (int j = 0; j < vectors * lanes; j++) {
                int col = sw * j + colOff[kj];
                if (col < 0 || col >= w) colOutside[(j / lanes) * kw + kj] |= 1L << (j % lanes);
            }
        }
        besideRow = new boolean[vectors];
        for (int v = 0; v < vectors; v++) {
            for (int kj = 0; kj < kw; kj++) besideRow[v] |= colOutside[v * kw + kj] != 0;
        }
        float[] idx = new float[lanes];
        for (int l = 0; l < lanes; l++) idx[l] = 2 * l;
        even = FloatVector.fromArray(species, idx, 0);
        readLo = Math.min(0, -pw);
        readHi = sw * vectors * lanes + (kw - 1) * dw - pw;
        edgeLead = -readLo;
        ActivationEpilogue c = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();
        weights = spec.constantWeight() == null ? null
                : F32Gemm.allocatePacked(spec.constantWeight().byteSize()).copyFrom(spec.constantWeight().data());
    }

    /** Floats of one edge region: zeros for the reach before the plane, the plane, zeros for the reach past it. */
    private long edgeFloats() {
        return edgeLead + Math.max((long) h * w, (long) (h - 1) * w + readHi);
    }

    @Override
    public long scratchBytes() {
        return 4L * CHUNKS * (edgeFloats() + species.length());
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment wt = weights != null ? weights : wIn;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        F32DepthwiseSplit.run(this, planes, (long) planes * oh * ow * kh * kw, par, x, wt, b, y, scratch);
    }

    /**
     * Planes {@code [from, to)}. A plane whose taps would load before or past X is first copied into
     * range {@code range}'s edge region, between zeros.
     */
    @Override
    public void planes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                        int range, int from, int to) {
        long yEnd = 4L * to * oh * ow; // a whole vector may spill past its row up to here: later rows are written after
        long tailAt = 4L * range * (edgeFloats() + species.length()) + 4L * edgeFloats(); // the range's last partial vector
        for (int plane = from; plane < to; plane++) {
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            long xPlane = 4L * plane * h * w, yPlane = 4L * plane * oh * ow;
            if (xPlane + 4L * readLo >= 0 && xPlane + 4L * ((long) (h - 1) * w + readHi) <= x.byteSize()) {
                plane(x, xPlane, wt, b, y, yPlane, c, yEnd, scratch, tailAt);
            } else {
                long region = 4L * range * (edgeFloats() + species.length());
                long lead = 4L * edgeLead, planeBytes = 4L * h * w; // zeros, the plane, zeros
                zeroBytes(scratch, region, lead);
                MemorySegment.copy(x, xPlane, scratch, region + lead, planeBytes);
                zeroBytes(scratch, region + lead + planeBytes, 4L * edgeFloats() - lead - planeBytes);
                plane(scratch, region + 4L * edgeLead, wt, b, y, yPlane, c, yEnd, scratch, tailAt);
            }
            if (after != null) after.apply(y, yPlane, oh * ow);
        }
    }

    /**
     * One output plane from the input plane at byte {@code xPlane} of {@code x}. A row's last vector
     * is stored whole, spilling into later rows or planes of the range (written after it), unless
     * it would pass {@code yEnd}.
     */
    private void plane(MemorySegment x, long xPlane, MemorySegment wt, float b, MemorySegment y, long yPlane, int c,
                       long yEnd, MemorySegment tail, long tailAt) {
        long wPlane = 4L * c * kh * kw;
        int i = 0;
        while (i < oh) {
            if (vectors == 1 && i + 4 <= oh && firstTap(i) == 0 && endTap(i + 3) == kh) {
                fourRows(x, xPlane, wt, wPlane, b, y, yPlane, i, yEnd, tail, tailAt);
                i += 4;
            } else {
                row(x, xPlane, wt, wPlane, b, y, yPlane, i, yEnd, tail, tailAt);
                i++;
            }
        }
    }

    /**
     * Zeros {@code bytes} (a multiple of 4) at {@code at}, without vectors: {@code
     * JavaKernelsSpecies.zeroFloats}, shared by kernels of every width, boxed its zero vector
     * (96 B per call) in a JVM that had run several vector shapes.
     */
    static void zeroBytes(MemorySegment s, long at, long bytes) {
        long b = 0;
        for (; b + 8 <= bytes; b += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, at + b, 0L);
        if (b < bytes) s.set(F, at + b, 0f);
    }

    /** The first kernel row whose input row is inside the plane for output row {@code i}. */
    private int firstTap(int i) {
        int top = ph - i * sh; // kernel rows ki*dh below this read above the plane
        return top <= 0 ? 0 : Math.min(kh, (top + dh - 1) / dh);
    }

    /** One past the last kernel row whose input row is inside the plane for output row {@code i}. */
    private int endTap(int i) {
        int room = h - 1 + ph - i * sh; // ki*dh may be at most this
        return room < 0 ? 0 : Math.min(kh, room / dh + 1);
    }

    /** Output row {@code i}: four vectors along the row at a time, then one at a time. */
    private void row(MemorySegment x, long xPlane, MemorySegment wt, long wPlane, float b, MemorySegment y, long yPlane,
                     int i, long yEnd, MemorySegment tail, long tailAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int kiLo = firstTap(i), kiHi = endTap(i);
        long yRow = yPlane + 4L * i * ow;
        long vb = 4L * lanes;
        long step = sw * vb; // input bytes from one output vector's taps to the next's
        int v = 0;
        for (; v + 4 <= vectors; v += 4) {
            FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
            boolean e0 = besideRow[v], e1 = besideRow[v + 1], e2 = besideRow[v + 2], e3 = besideRow[v + 3];
            for (int ki = kiLo; ki < kiHi; ki++) {
                long rowAt = xPlane + 4L * ((long) (i * sh + ki * dh - ph) * w + (long) sw * v * lanes);
                for (int kj = 0; kj < kw; kj++) {
                    FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * (ki * kw + kj)));
                    long at = rowAt + 4L * colOff[kj];
                    int m = v * kw + kj;
                    FloatVector t0 = FloatVector.fromMemorySegment(sp, x, at, LE);
                    FloatVector t1 = FloatVector.fromMemorySegment(sp, x, at + step, LE);
                    FloatVector t2 = FloatVector.fromMemorySegment(sp, x, at + 2 * step, LE);
                    FloatVector t3 = FloatVector.fromMemorySegment(sp, x, at + 3 * step, LE);
                    if (sw == 2) { // the even lanes of this vector and the next
                        t0 = even.selectFrom(t0, FloatVector.fromMemorySegment(sp, x, at + vb, LE));
                        t1 = even.selectFrom(t1, FloatVector.fromMemorySegment(sp, x, at + step + vb, LE));
                        t2 = even.selectFrom(t2, FloatVector.fromMemorySegment(sp, x, at + 2 * step + vb, LE));
                        t3 = even.selectFrom(t3, FloatVector.fromMemorySegment(sp, x, at + 3 * step + vb, LE));
                    }
                    // only vectors at a row's ends have lanes beside the row
                    if (e0) t0 = t0.blend(0f, VectorMask.fromLong(sp, colOutside[m]));
                    if (e1) t1 = t1.blend(0f, VectorMask.fromLong(sp, colOutside[m + kw]));
                    if (e2) t2 = t2.blend(0f, VectorMask.fromLong(sp, colOutside[m + 2 * kw]));
                    if (e3) t3 = t3.blend(0f, VectorMask.fromLong(sp, colOutside[m + 3 * kw]));
                    a0 = t0.fma(wv, a0);
                    a1 = t1.fma(wv, a1);
                    a2 = t2.fma(wv, a2);
                    a3 = t3.fma(wv, a3);
                }
            }
            // One store block, the accumulator picked by a switch: a helper taking vectors that
            // the JIT does not inline makes it box them.
            for (int r = 0; r < 4; r++) {
                FloatVector o = switch (r) {
                    case 0 -> a0;
                    case 1 -> a1;
                    case 2 -> a2;
                    default -> a3;
                };
                if (clamp) o = o.max(lo).min(hi);
                long at = yRow + 4L * (v + r) * lanes;
                if (at + vb <= yEnd) o.intoMemorySegment(y, at, LE);
                else { // through scratch: a masked store allocated its mask once other vector shapes had run in the JVM
                    o.intoMemorySegment(tail, tailAt, LE);
                    MemorySegment.copy(tail, tailAt, y, at, yEnd - at);
                }
            }
        }
        for (; v < vectors; v++) {
            FloatVector a = FloatVector.broadcast(sp, b);
            boolean edge = besideRow[v];
            for (int ki = kiLo; ki < kiHi; ki++) {
                long rowAt = xPlane + 4L * ((long) (i * sh + ki * dh - ph) * w + (long) sw * v * lanes);
                for (int kj = 0; kj < kw; kj++) {
                    FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * (ki * kw + kj)));
                    long at = rowAt + 4L * colOff[kj];
                    FloatVector t = FloatVector.fromMemorySegment(sp, x, at, LE);
                    if (sw == 2) t = even.selectFrom(t, FloatVector.fromMemorySegment(sp, x, at + vb, LE));
                    if (edge) t = t.blend(0f, VectorMask.fromLong(sp, colOutside[v * kw + kj]));
                    a = t.fma(wv, a);
                }
            }
            if (clamp) a = a.max(lo).min(hi);
            long at = yRow + 4L * v * lanes;
            if (at + vb <= yEnd) a.intoMemorySegment(y, at, LE);
            else { // through scratch: a masked store allocated its mask once other vector shapes had run in the JVM
                a.intoMemorySegment(tail, tailAt, LE);
                MemorySegment.copy(tail, tailAt, y, at, yEnd - at);
            }
        }
    }

    /** Output rows {@code i..i+3} of one vector each, all of whose kernel rows are inside the plane. */
    private void fourRows(MemorySegment x, long xPlane, MemorySegment wt, long wPlane, float b, MemorySegment y,
                          long yPlane, int i, long yEnd, MemorySegment tail, long tailAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        long rowStep = 4L * sh * w, vb = 4L * lanes;
        FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
        for (int ki = 0; ki < kh; ki++) {
            long rowAt = xPlane + 4L * (long) (i * sh + ki * dh - ph) * w;
            for (int kj = 0; kj < kw; kj++) {
                FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * (ki * kw + kj)));
                VectorMask<Float> inRow = VectorMask.fromLong(sp, colOutside[kj]);
                long at = rowAt + 4L * colOff[kj];
                FloatVector t0 = FloatVector.fromMemorySegment(sp, x, at, LE);
                FloatVector t1 = FloatVector.fromMemorySegment(sp, x, at + rowStep, LE);
                FloatVector t2 = FloatVector.fromMemorySegment(sp, x, at + 2 * rowStep, LE);
                FloatVector t3 = FloatVector.fromMemorySegment(sp, x, at + 3 * rowStep, LE);
                if (sw == 2) { // the even lanes of this vector and the next
                    t0 = even.selectFrom(t0, FloatVector.fromMemorySegment(sp, x, at + vb, LE));
                    t1 = even.selectFrom(t1, FloatVector.fromMemorySegment(sp, x, at + rowStep + vb, LE));
                    t2 = even.selectFrom(t2, FloatVector.fromMemorySegment(sp, x, at + 2 * rowStep + vb, LE));
                    t3 = even.selectFrom(t3, FloatVector.fromMemorySegment(sp, x, at + 3 * rowStep + vb, LE));
                }
                a0 = t0.blend(0f, inRow).fma(wv, a0);
                a1 = t1.blend(0f, inRow).fma(wv, a1);
                a2 = t2.blend(0f, inRow).fma(wv, a2);
                a3 = t3.blend(0f, inRow).fma(wv, a3);
            }
        }
        for (int r = 0; r < 4; r++) {
            FloatVector o = switch (r) {
                case 0 -> a0;
                case 1 -> a1;
                case 2 -> a2;
                default -> a3;
            };
            if (clamp) o = o.max(lo).min(hi);
            long at = yPlane + 4L * (i + r) * ow;
            if (at + vb <= yEnd) o.intoMemorySegment(y, at, LE);
            else { // through scratch: a masked store allocated its mask once other vector shapes had run in the JVM
                o.intoMemorySegment(tail, tailAt, LE);
                MemorySegment.copy(tail, tailAt, y, at, yEnd - at);
            }
        }
    }

    @Override
    public String toString() {
        return "F32DepthwiseRows(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
