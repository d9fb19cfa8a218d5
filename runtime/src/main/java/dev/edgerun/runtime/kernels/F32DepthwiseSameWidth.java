package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D depthwise convolution with unit strides whose output rows are as wide as its input
 * rows ("same" column padding, as in DS-CNN's 25x5 and MobileNet's 3x3 layers), for small planes.
 *
 * <p>Output (i, j) sits at flat position {@code q = i*w + j} of its plane and tap (ki, kj) reads
 * input (i - ph + ki*dh, j + s) with {@code s = kj*dw - pw}: the same flat shift for every output.
 * A shift past a row's end would read the neighbouring row's first or last columns, so each
 * kernel column gets its own copy of the plane with those columns zeroed, and rows above and below
 * the plane are zero in every copy. The copies are written whole vectors at a time, and-ed with
 * lane masks fixed at compile time, one plane ahead of the one being computed; the output is
 * computed straight into Y, four vectors at a time with the sums in registers and a fused
 * Relu/Clip applied before the store. Against the padded-plane kernel ({@link F32DepthwiseConv}),
 * whose rows are {@code ow + kw - 1} wide and copied out a row at a time, this spares the per-row
 * copies that dominated small planes: DS-CNN's 64-channel 25x5 layer took 11.8 us against 28.3
 * (one thread, interleaved, load ~8); a variant with the nine 3x3 weights held in registers
 * measured the same, so there is one loop for every kernel size.
 */
public final class F32DepthwiseSameWidth implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Planes of at most this many inputs: larger ones go to {@link F32DepthwiseConv}'s rows path. */
    static final int MAX_PLANE = 1024;

    /** Fixed plane ranges, each with its own copies in scratch (so at most this many threads). */
    private static final int CHUNKS = 4;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int channels, h, w, kh, kw, ph, dh, oh, planes;
    private final int[] shift;           // per kernel column: its flat shift s = kj*dw - pw
    private final int lead;              // zero floats before the first padded row of a copy
    private final int copyFloats;        // floats of one copy: lead, ph zero rows, the plane, zero rows below
    private final int copiedRows;        // input rows that taps reach (written into every copy)
    private final int copyVectors;       // vectors per copy that hold the copied rows
    private final MemorySegment copyMasks; // [vector][kj][lanes] ints: -1 where a lane is copied from X, 0 where written as zero
    private final long[] tapAt;          // per tap ki*kw + kj: byte offset from a copy set's first output position
    private final int outFloats;         // oh * w
    private final MemorySegment weights; // constant weights [C, kh, kw], or null
    private final boolean clamp;         // a Relu/Clip epilogue applied in registers
    private final float lo, hi;
    private final F32GemmEpilogue after; // another epilogue, applied per plane; or null

    /**
     * Multiply-adds below which the planes run on the calling thread (as {@link F32DepthwiseConv}).
     */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Whether this kernel handles {@code spec} on {@code species} (null: it does not). */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || !F32DepthwiseConv.supports(spec)) return false;
        long[] xs = spec.inputShape(), ws = spec.weightShape(), ys = spec.outputShape();
        if (spec.strides()[0] != 1 || spec.strides()[1] != 1 || ys[3] != xs[3] || xs[2] * xs[3] > MAX_PLANE) return false;
        int pw = spec.padsBegin()[1], dw = spec.dilations()[1];
        for (int kj = 0; kj < ws[3]; kj++) {
            if (Math.abs(kj * dw - pw) >= xs[3]) return false; // a tap wholly beside the plane
        }
        return spec.padsBegin()[0] <= ys[2] + (ws[2] - 1) * spec.dilations()[0];
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
        ph = spec.padsBegin()[0];
        dh = spec.dilations()[0];
        oh = (int) ys[2];
        planes = (int) xs[0] * channels;
        outFloats = oh * w;
        int lanes = species.length();
        shift = new int[kw];
        int minShift = 0, maxShift = 0;
        for (int kj = 0; kj < kw; kj++) {
            shift[kj] = kj * spec.dilations()[1] - spec.padsBegin()[1];
            minShift = Math.min(minShift, shift[kj]);
            maxShift = Math.max(maxShift, shift[kj]);
        }
        lead = roundUp(-minShift + ph * w, lanes) - ph * w; // copied rows start on a vector boundary: whole-line stores
        int rowsReached = oh + (kh - 1) * dh;               // padded rows the taps of all outputs reach
        copiedRows = Math.max(0, Math.min(h, rowsReached - ph));
        copyVectors = (copiedRows * w + lanes - 1) / lanes;
        int reach = roundUp(outFloats + 2 * lanes, 4 * lanes) + (kh - 1) * dh * w + maxShift; // past the last computed vector's taps
        copyFloats = roundUp(lead + Math.max(reach, ph * w + copyVectors * lanes), lanes);
        copyMasks = F32Gemm.allocatePacked(4L * copyVectors * kw * lanes);
        for (int v = 0; v < copyVectors; v++) {
            for (int kj = 0; kj < kw; kj++) {
                for (int l = 0; l < lanes; l++) {
                    copyMasks.setAtIndex(ValueLayout.JAVA_INT, ((long) v * kw + kj) * lanes + l, copies(kj, v * lanes + l) ? -1 : 0);
                }
            }
        }
        tapAt = new long[kh * kw];
        for (int ki = 0; ki < kh; ki++) {
            for (int kj = 0; kj < kw; kj++) tapAt[ki * kw + kj] = 4L * ((long) kj * copyFloats + lead + shift[kj] + (long) ki * dh * w);
        }
        ActivationEpilogue c = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();
        weights = spec.constantWeight() == null ? null
                : F32Gemm.allocatePacked(spec.constantWeight().byteSize()).copyFrom(spec.constantWeight().data());
    }

    /** Whether kernel column {@code kj}'s copy holds input at flat position {@code q} of the copied rows (else zero). */
    private boolean copies(int kj, int q) {
        int j = q % w - shift[kj]; // the output column that reads input column q % w through this tap
        return q < copiedRows * w && j >= 0 && j < w;
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    /** One set of copies (one per kernel column). */
    private long copySetBytes() {
        return 4L * kw * copyFloats;
    }

    /** A chunk's scratch: two sets of copies, the next plane copied into one while the other is read. */
    private long chunkBytes() {
        return 2 * copySetBytes();
    }

    @Override
    public long scratchBytes() {
        return CHUNKS * chunkBytes();
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment wt = weights != null ? weights : wIn;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        boolean serial = par.threads() <= 1 || (long) planes * outFloats * kh * kw < PARALLEL_MIN_MACS;
        if (serial) {
            chunk(x, wt, b, y, scratch, 0, 0, planes);
        } else {
            par.forRange(CHUNKS, (from, to) -> {
                for (int c = from; c < to; c++) {
                    chunk(x, wt, b, y, scratch, c, (int) ((long) c * planes / CHUNKS), (int) ((long) (c + 1) * planes / CHUNKS));
                }
            });
        }
    }

    /**
     * Planes {@code [from, to)} through the copies of chunk {@code chunk}. Each plane is copied one
     * plane ahead, into the set the previous plane did not use: the taps' loads straddle the copy's
     * vector stores, and reading them right after they were written stalled on store forwarding.
     */
    private void chunk(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                       int chunk, int from, int to) {
        if (from >= to) return;
        long at = chunk * chunkBytes();
        JavaKernelsSpecies.of(species).zeroFloats(scratch, at, chunkBytes() / 4); // rows outside the plane stay zero
        copyPlane(x, 4L * from * h * w, scratch, at);
        for (int plane = from; plane < to; plane++) {
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            long yPlane = 4L * plane * outFloats;
            long set = at + ((plane - from) & 1) * copySetBytes();
            if (plane + 1 < to) copyPlane(x, 4L * (plane + 1) * h * w, scratch, at + ((plane + 1 - from) & 1) * copySetBytes());
            plane(wt, b, y, yPlane, scratch, set, c, plane == to - 1);
            if (after != null) after.apply(y, yPlane, outFloats);
        }
    }

    /**
     * The copied rows of the input plane into every kernel column's copy, the columns it must not
     * read zeroed by a bitwise and (not a multiply: an infinite input times zero is NaN).
     */
    private void copyPlane(MemorySegment x, long xPlane, MemorySegment buf, long at) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        long vecBytes = 4L * sp.length();
        long copyStep = 4L * copyFloats;
        long rowsAt = at + 4L * (lead + ph * w);
        // whole loads up to the end of X, then masked loads (the last plane's last vector); two
        // loops, not a helper: a helper taking vectors that the JIT does not inline boxes them
        int whole = (int) Math.min(copyVectors, Math.max(0, (x.byteSize() - xPlane) / vecBytes));
        for (int v = 0; v < whole; v++) {
            IntVector in = FloatVector.fromMemorySegment(sp, x, xPlane + v * vecBytes, LE).reinterpretAsInts();
            long to = rowsAt + v * vecBytes, m = v * kw * vecBytes;
            for (int kj = 0; kj < kw; kj++) {
                IntVector keep = FloatVector.fromMemorySegment(sp, copyMasks, m + kj * vecBytes, LE).reinterpretAsInts();
                in.and(keep).reinterpretAsFloats().intoMemorySegment(buf, to + kj * copyStep, LE);
            }
        }
        for (int v = whole; v < copyVectors; v++) {
            long from = xPlane + v * vecBytes;
            VectorMask<Float> inX = sp.indexInRange(0, (int) Math.min(sp.length(), (x.byteSize() - from) / 4));
            IntVector in = FloatVector.fromMemorySegment(sp, x, from, LE, inX).reinterpretAsInts();
            long to = rowsAt + v * vecBytes, m = v * kw * vecBytes;
            for (int kj = 0; kj < kw; kj++) {
                IntVector keep = FloatVector.fromMemorySegment(sp, copyMasks, m + kj * vecBytes, LE).reinterpretAsInts();
                in.and(keep).reinterpretAsFloats().intoMemorySegment(buf, to + kj * copyStep, LE);
            }
        }
    }

    /**
     * One output plane: output vector at flat position q is the bias plus, per tap, the weight times
     * the copy of its kernel column at {@code q + ki*dh*w + s}. The last vector of the last plane of
     * a chunk is stored masked; any other spills into the next plane, written after it.
     */
    private void plane(MemorySegment wt, float b, MemorySegment y, long yPlane, MemorySegment buf, long at, int c,
                       boolean lastOfChunk) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        long wPlane = 4L * c * kh * kw;
        int taps = kh * kw;
        int q = 0;
        // Four vectors at a time while three or more are left (four independent fma chains; a
        // fourth past the plane is computed from the copies' slack and not stored).
        for (; q + 2 * lanes < outFloats; q += 4 * lanes) {
            FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
            long out = at + 4L * q;
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * t));
                long in = out + tapAt[t];
                a0 = FloatVector.fromMemorySegment(sp, buf, in, LE).fma(wv, a0);
                a1 = FloatVector.fromMemorySegment(sp, buf, in + 4L * lanes, LE).fma(wv, a1);
                a2 = FloatVector.fromMemorySegment(sp, buf, in + 8L * lanes, LE).fma(wv, a2);
                a3 = FloatVector.fromMemorySegment(sp, buf, in + 12L * lanes, LE).fma(wv, a3);
            }
            // One store block, the accumulator picked by a switch: a helper taking vectors that
            // the JIT does not inline makes it box them.
            for (int r = 0; r < 4 && q + r * lanes < outFloats; r++) {
                FloatVector v = switch (r) {
                    case 0 -> a0;
                    case 1 -> a1;
                    case 2 -> a2;
                    default -> a3;
                };
                if (clamp) v = v.max(lo).min(hi);
                int qr = q + r * lanes;
                if (qr + lanes <= outFloats || !lastOfChunk) v.intoMemorySegment(y, yPlane + 4L * qr, LE);
                else v.intoMemorySegment(y, yPlane + 4L * qr, LE, sp.indexInRange(qr, outFloats));
            }
        }
        for (; q < outFloats; q += lanes) {
            FloatVector a = FloatVector.broadcast(sp, b);
            long out = at + 4L * q;
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wPlane + 4L * t));
                a = FloatVector.fromMemorySegment(sp, buf, out + tapAt[t], LE).fma(wv, a);
            }
            if (clamp) a = a.max(lo).min(hi);
            if (q + lanes <= outFloats || !lastOfChunk) a.intoMemorySegment(y, yPlane + 4L * q, LE);
            else a.intoMemorySegment(y, yPlane + 4L * q, LE, sp.indexInRange(q, outFloats));
        }
    }

    @Override
    public String toString() {
        return "F32DepthwiseSameWidth(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
