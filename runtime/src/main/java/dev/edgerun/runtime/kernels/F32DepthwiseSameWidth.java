package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D depthwise convolution with unit strides whose output rows are as wide as its input
 * rows ("same" column padding), for small planes. The 3x3 ones with one pixel of padding (DS-CNN's
 * 25x5 and MobileNet's stride-1 layers) go to {@link F32Depthwise3x3}, about twice as fast.
 *
 * <p>Output (i, j) sits at flat position {@code q = i*w + j} of its plane and tap (ki, kj) reads
 * input (i + ki*dh - ph, j + kj*dw - pw): the same flat shift for every output. The taps load
 * straight from X at that shift with a lane mask fixed at compile time (one per output vector and
 * tap), which zeroes the lanes whose input lies beside the row (the shift would read the
 * neighbouring row) or above or below the plane (the neighbouring plane). Output vectors are
 * computed four at a time with the sums in registers and a fused Relu/Clip applied before the
 * single store into Y. Only the first and last planes of X, whose taps would load before or past
 * it, are first copied into an edge region of scratch between zeros.
 *
 * <p>The kernel this replaced wrote, per plane, one masked copy for each kernel column and read
 * the taps from those copies; the copies took half its time. DS-CNN's 64-channel 25x5 layer:
 * 9.3 against 15.1 us, MobileNetV2's 576-channel 14x14 layer 117 against 198 us (one thread,
 * interleaved medians of thread CPU time, load ~8). Its loop still runs about twelve instructions
 * per multiply-add (the bounds check of every load against a spilled segment size, a mask fetched,
 * moved and blended per load), which {@link F32Depthwise3x3} avoids by working on heap arrays.
 */
public final class F32DepthwiseSameWidth implements KernelProvider.ConvKernel, F32DepthwiseSplit.PlaneRanges {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Planes of at most this many inputs: larger ones go to {@link F32DepthwiseConv}'s rows path. */
    static final int MAX_PLANE = 1024;

    /** Fixed plane ranges split over threads, each with its own edge region and tail vector in scratch. */
    private static final int CHUNKS = F32DepthwiseSplit.CHUNKS;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int channels, h, w, kh, kw, oh, planes, taps;
    private final int outFloats;         // oh * w
    private final int maskVectors;       // output vectors per plane, rounded up to whole blocks of four
    private final int[] tapShift;        // per tap ki*kw + kj: its flat shift (ki*dh - ph)*w + kj*dw - pw
    private final int minShift, maxShift; // over the taps
    private final int maxVectorEnd;      // end of the last vector a plane's loop computes: maskVectors * lanes
    private final int edgeLead;          // zeros before the plane in an edge region: -minShift, at least 0
    private final long[] outside;        // [tap][maskVectors]: lane bits of the outputs whose tap input is outside the plane
    private final MemorySegment weights; // constant weights [C, kh, kw], or null
    private final boolean clamp;         // a Relu/Clip epilogue applied in registers
    private final float lo, hi;
    private final F32GemmEpilogue after; // another epilogue, applied per plane; or null

    /** Whether this kernel handles {@code spec} on {@code species} (null: it does not). */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || species.length() > 64 || !F32DepthwiseConv.supports(spec)) return false;
        long[] xs = spec.inputShape(), ys = spec.outputShape();
        return spec.strides()[0] == 1 && spec.strides()[1] == 1 && ys[3] == xs[3] && xs[2] * xs[3] <= MAX_PLANE
                && ys[2] * ys[3] <= MAX_PLANE;
    }

    public F32DepthwiseSameWidth(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not a small same-width depthwise convolution: " + spec);
        this.spec = spec;
        this.species = species;
        long[] xs = spec.inputShape(), ws = spec.weightShape(), ys = spec.outputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        kh = (int) ws[2];
        kw = (int) ws[3];
        oh = (int) ys[2];
        planes = (int) xs[0] * channels;
        taps = kh * kw;
        outFloats = oh * w;
        int lanes = species.length();
        maskVectors = (outFloats + 4 * lanes - 1) / (4 * lanes) * 4;
        int ph = spec.padsBegin()[0], pw = spec.padsBegin()[1], dh = spec.dilations()[0], dw = spec.dilations()[1];
        tapShift = new int[taps];
        outside = new long[taps * maskVectors];
        for (int ki = 0; ki < kh; ki++) {
            for (int kj = 0; kj < kw; kj++) {
                int t = ki * kw + kj, rowOff = ki * dh - ph, colOff = kj * dw - pw;
                tapShift[t] = rowOff * w + colOff;
                for (int q = 0; q < maskVectors * lanes; q++) {
                    int ih = q / w + rowOff, jw = q % w + colOff;
                    if (q >= outFloats || ih < 0 || ih >= h || jw < 0 || jw >= w) outside[t * maskVectors + q / lanes] |= 1L << (q % lanes);
                }
            }
        }
        minShift = Arrays.stream(tapShift).min().orElseThrow();
        maxShift = Arrays.stream(tapShift).max().orElseThrow();
        maxVectorEnd = maskVectors * lanes;
        edgeLead = Math.max(0, -minShift);
        ActivationEpilogue c = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();
        weights = spec.constantWeight() == null ? null
                : F32Gemm.allocatePacked(spec.constantWeight().byteSize()).copyFrom(spec.constantWeight().data());
    }

    /** Floats of one edge region: zeros the lowest shift reaches, the plane, zeros up to the highest reach. */
    private long edgeFloats() {
        return edgeLead + Math.max((long) h * w, maxVectorEnd + maxShift);
    }

    /** One edge region and one tail vector per plane range. */
    @Override
    public long scratchBytes() {
        return 4L * CHUNKS * (edgeFloats() + species.length());
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment wt = weights != null ? weights : wIn;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        F32DepthwiseSplit.run(this, planes, (long) planes * outFloats * taps, par, x, wt, b, y, scratch);
    }

    /**
     * Planes {@code [from, to)}. A plane whose taps would load past either end of X (the first and
     * last planes) is first copied into range {@code range}'s edge region, between zeros.
     */
    @Override
    public void planes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                        int range, int from, int to) {
        long yEnd = 4L * to * outFloats; // a whole vector may spill past its plane up to here: later planes are written after
        long tailAt = 4L * range * (edgeFloats() + species.length()) + 4L * edgeFloats(); // the range's last partial vector
        for (int plane = from; plane < to; plane++) {
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            long xPlane = 4L * plane * h * w, yPlane = 4L * plane * outFloats;
            if (xPlane + 4L * minShift >= 0 && xPlane + 4L * (maxVectorEnd + maxShift) <= x.byteSize()) {
                plane(x, xPlane, wt, b, y, yPlane, c, yEnd, scratch, tailAt);
            } else {
                long region = 4L * range * (edgeFloats() + species.length());
                long lead = 4L * edgeLead, planeBytes = 4L * h * w; // zeros, the plane, zeros
                F32DepthwiseRows.zeroBytes(scratch, region, lead);
                MemorySegment.copy(x, xPlane, scratch, region + lead, planeBytes);
                F32DepthwiseRows.zeroBytes(scratch, region + lead + planeBytes, 4L * edgeFloats() - lead - planeBytes);
                plane(scratch, region + 4L * edgeLead, wt, b, y, yPlane, c, yEnd, scratch, tailAt);
            }
            if (after != null) after.apply(y, yPlane, outFloats);
        }
    }

    /**
     * One output plane: output vector at flat position q is the bias plus, per tap, the weight times
     * X at {@code q + tapShift} under the tap's lane mask for that vector. A last vector is stored
     * whole, spilling into the next plane (written after it), unless it would pass {@code yEnd}.
     */
    private void plane(MemorySegment x, long xPlane, MemorySegment wt, float b, MemorySegment y, long yPlane, int c,
                       long yEnd, MemorySegment tail, long tailAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        long vb = 4L * lanes;
        long wPlane = 4L * c * taps;
        int q = 0, v = 0;
        // Four vectors at a time while three or more are left (four independent fma chains; a
        // fourth past the plane is blended to zero and not stored).
        for (; q + 2 * lanes < outFloats; q += 4 * lanes, v += 4) {
            FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * t));
                long in = xPlane + 4L * (q + tapShift[t]);
                int m = t * maskVectors + v;
                a0 = FloatVector.fromMemorySegment(sp, x, in, LE).blend(0f, VectorMask.fromLong(sp, outside[m])).fma(wv, a0);
                a1 = FloatVector.fromMemorySegment(sp, x, in + vb, LE).blend(0f, VectorMask.fromLong(sp, outside[m + 1])).fma(wv, a1);
                a2 = FloatVector.fromMemorySegment(sp, x, in + 2 * vb, LE).blend(0f, VectorMask.fromLong(sp, outside[m + 2])).fma(wv, a2);
                a3 = FloatVector.fromMemorySegment(sp, x, in + 3 * vb, LE).blend(0f, VectorMask.fromLong(sp, outside[m + 3])).fma(wv, a3);
            }
            // One store block, the accumulator picked by a switch: a helper taking vectors that
            // the JIT does not inline makes it box them.
            for (int r = 0; r < 4 && q + r * lanes < outFloats; r++) {
                FloatVector o = switch (r) {
                    case 0 -> a0;
                    case 1 -> a1;
                    case 2 -> a2;
                    default -> a3;
                };
                if (clamp) o = o.max(lo).min(hi);
                long at = yPlane + 4L * (q + r * lanes);
                if (at + vb <= yEnd) o.intoMemorySegment(y, at, LE);
                else { // through scratch: a masked store allocated its mask once other vector shapes had run in the JVM
                    o.intoMemorySegment(tail, tailAt, LE);
                    MemorySegment.copy(tail, tailAt, y, at, yEnd - at);
                }
            }
        }
        for (; q < outFloats; q += lanes, v++) {
            FloatVector a = FloatVector.broadcast(sp, b);
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * t));
                long in = xPlane + 4L * (q + tapShift[t]);
                a = FloatVector.fromMemorySegment(sp, x, in, LE).blend(0f, VectorMask.fromLong(sp, outside[t * maskVectors + v])).fma(wv, a);
            }
            if (clamp) a = a.max(lo).min(hi);
            long at = yPlane + 4L * q;
            if (at + vb <= yEnd) a.intoMemorySegment(y, at, LE);
            else { // through scratch: a masked store allocated its mask once other vector shapes had run in the JVM
                a.intoMemorySegment(tail, tailAt, LE);
                MemorySegment.copy(tail, tailAt, y, at, yEnd - at);
            }
        }
    }

    @Override
    public String toString() {
        return "F32DepthwiseSameWidth(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
