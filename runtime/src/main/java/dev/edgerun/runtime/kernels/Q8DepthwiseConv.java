package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java 8-bit 2-D depthwise convolution, one plane (image, channel) at a time in two passes
 * over cache-resident scratch:
 * <ol>
 *   <li>the 8-bit plane is widened to exact floats {@code x - zx} into a zero-padded copy split
 *       into {@code sh * sw} stride phases (phase (a, b) holds the padded rows {@code r = a mod sh}
 *       and columns {@code c = b mod sw}), so that every tap of every stride reads contiguous
 *       memory: output (i, j) at flat position {@code q = i * wh + j} reads tap (ki, kj) at
 *       {@code q + tapOffset[ki, kj]};</li>
 *   <li>the taps are summed over flat positions in vector registers (integer sums exact on the
 *       float FMA path, see {@link Q8ConvViaF32}) into a float row buffer, and each output row is
 *       requantized from it into the 8-bit output ({@link Q8Quantize#requantize}).</li>
 * </ol>
 * Columns {@code j >= ow} of the flat range are computed and dropped. Memory traffic is that of
 * the 8-bit tensors. Planes are split into {@value #CHUNKS} fixed ranges, each with its own
 * scratch (so the threads of {@link Parallel} never share one); padding positions of a chunk's
 * copy are zeroed once per run and never written by the planes. The 3x3 paths with per-thread heap
 * buffers ({@link Q8Depthwise3x3}, {@link Q8Depthwise3x3Stride2Phases}, {@link Q8Depthwise3x3Stride2}) need no scratch region per range,
 * so from {@link #PLANE_SPLIT_MIN_MACS} they hand the planes themselves to {@link Parallel}, which
 * cuts them into as many parts as it balances best (eight at two threads, not four): a helper that
 * starts late, or is descheduled while holding a part, leaves less work behind it.
 * {@code -Dedgerun.java.q8PlaneSplit=off} keeps them in the {@value #CHUNKS} fixed ranges. Thread-safe.
 */
final class Q8DepthwiseConv implements KernelProvider.Q8ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Fixed plane ranges, each with its own scratch: at most this many threads work at once. */
    static final int CHUNKS = 4;
    /** Multiply-adds below which the planes stay on the calling thread (as the float depthwise kernels, {@link F32DepthwiseSplit}). */
    private static final long PARALLEL_MIN_MACS = 1L << 18;
    /** {@value}: {@code off} splits the heap-buffer 3x3 paths in {@link #CHUNKS} fixed ranges as the scratch paths; read when a kernel is made. */
    static final String PLANE_SPLIT_PROPERTY = "edgerun.java.q8PlaneSplit";
    /**
     * Multiply-adds from which the heap-buffer paths split by planes. Below it the four ranges did
     * better: without a spinning pool (a busy machine) a helper that wakes late more often holds one
     * of eight parts when the caller runs out, and the caller then sleeps until it ends. Per-node
     * medians at 2 threads, MobileNetV2 int8 (load 7-9, 300 runs, planes against ranges): 28x28x192
     * 44 against 67 us, 56x56x144/2 74 against 99, 14x14x576 58 against 49, 14x14x384 40 against 35.
     */
    static final long PLANE_SPLIT_MIN_MACS = 1L << 20;

    private final KernelProvider.Q8ConvSpec spec;
    private final VectorSpecies<Float> species; // null: scalar
    private final int channels, planes, h, w, sh, sw, ph, pw, oh, ow;
    private final int hh, wh;             // rows and row width of one phase plane
    private final long phaseFloats;       // stride between phase planes (with slack for the last vectors' reach)
    private final long phasesFloats;      // all phases of one chunk
    private final int accFloats;          // flat positions computed: oh * wh rounded up to whole vectors
    private final long chunkBytes;        // phases plus the row buffer, 64-byte multiple
    private final int[] tapOffset;        // per tap (ki, kj): flat offset into the phases
    private final MemorySegment weights;  // [channels][taps] floats
    private final long macs;
    private final Q8Reusable<Chunks> splits = new Q8Reusable<>(Chunks::new);
    // short rows (unit strides, ow == w, rows under two vectors): the plane unpadded, taps as flat
    // shifts with a 0/1 column mask for the kernel columns that reach past a row's ends
    private final boolean shifted;
    private final int lead;               // floats before row 0 (a tap may read up to pw before a row)
    private final MemorySegment[] columnMask; // per tap: [accFloats] floats, or null where every column is inside
    /** Shifted planes with 512-bit vectors and biases exact in float: sums requantized from the registers into y. */
    private final boolean requantInRegisters;
    /** 3x3 'same' planes with 512-bit vectors: {@link Q8Depthwise3x3}'s heap-buffer loop instead of the scratch paths; or null. */
    private final Q8Depthwise3x3 same3x3;
    /** 3x3 stride-2 planes with 512-bit vectors: {@link Q8Depthwise3x3Stride2}'s heap-buffer rows; or null. */
    private final Q8Depthwise3x3Stride2 stride2;
    /** 3x3 stride-2 planes with 512-bit vectors: {@link Q8Depthwise3x3Stride2Phases}'s phase planes (preferred to {@link #stride2}); or null. */
    private final Q8Depthwise3x3Stride2Phases stride2Phases;
    /** Heap-buffer paths split by planes, not by {@link #CHUNKS} ranges (see the class comment). */
    private final boolean planeSplit;

    static boolean supports(KernelProvider.ConvSpec g) {
        return F32DepthwiseConv.supports(g);
    }

    Q8DepthwiseConv(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!supports(g)) throw new IllegalArgumentException("not a 2-D depthwise convolution: " + g);
        this.spec = spec;
        this.species = species;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        channels = (int) xs[1];
        planes = (int) xs[0] * channels;
        h = (int) xs[2];
        w = (int) xs[3];
        int kh = (int) ws[2], kw = (int) ws[3];
        sh = g.strides()[0];
        sw = g.strides()[1];
        ph = g.padsBegin()[0];
        pw = g.padsBegin()[1];
        int dh = g.dilations()[0], dw = g.dilations()[1];
        oh = (int) ys[2];
        ow = (int) ys[3];
        int lanes = species == null ? 1 : species.length();
        shifted = species != null && sh == 1 && sw == 1 && ow == w && ow < 2 * lanes;
        tapOffset = new int[kh * kw];
        columnMask = new MemorySegment[kh * kw];
        if (shifted) {
            hh = Math.max(h + ph, oh + (kh - 1) * dh); // rows, the padding ones zero
            wh = w;
            lead = (int) roundUp(pw, lanes);
            accFloats = (int) roundUp((long) oh * ow, lanes);
            phaseFloats = roundUp(lead + (long) hh * w + (kw - 1) * dw + 2L * lanes, lanes);
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    tapOffset[ki * kw + kj] = lead + ki * dh * w + kj * dw - pw;
                    columnMask[ki * kw + kj] = columnMask(kj * dw - pw);
                }
            }
        } else {
            hh = oh + (kh - 1) * dh / sh;
            wh = ow + (kw - 1) * dw / sw;
            lead = 0;
            accFloats = (int) roundUp((long) oh * wh, lanes);
            // a vector at flat position q < accFloats reads up to q + lanes - 1 + (hh - oh) * wh + (wh - ow) in its phase
            phaseFloats = roundUp((long) hh * wh + wh + 2L * lanes, lanes);
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    int phase = (ki * dh % sh) * sw + kj * dw % sw;
                    tapOffset[ki * kw + kj] = (int) (phase * phaseFloats + (long) (ki * dh / sh) * wh + kj * dw / sw);
                }
            }
        }
        phasesFloats = (long) sh * sw * phaseFloats;
        chunkBytes = roundUp(4 * (phasesFloats + accFloats), 64);
        int taps = kh * kw;
        weights = F32Gemm.allocatePacked(4L * channels * taps);
        MemorySegment q = g.constantWeight().data();
        for (long i = 0; i < (long) channels * taps; i++) weights.setAtIndex(F, i, q.get(ValueLayout.JAVA_BYTE, i));
        macs = (long) planes * oh * ow * taps;
        requantInRegisters = shifted && Q8Gemm.supports(species, spec.bias());
        same3x3 = Q8Depthwise3x3.supports(spec, species) ? new Q8Depthwise3x3(spec) : null;
        stride2Phases = Q8Depthwise3x3Stride2Phases.supports(spec, species) ? new Q8Depthwise3x3Stride2Phases(spec) : null;
        stride2 = stride2Phases == null && Q8Depthwise3x3Stride2.supports(spec, species) ? new Q8Depthwise3x3Stride2(spec) : null;
        planeSplit = heapBuffers() && macs >= PLANE_SPLIT_MIN_MACS
                && !"off".equals(System.getProperty(PLANE_SPLIT_PROPERTY));
    }

    /**
     * 1 at flat positions whose column plus {@code shift} is inside the row, else 0; null when all
     * are. One vector of zeros more than {@link #accFloats}: {@link #sumMaskedTapsRequantized} reads pairs of vectors.
     */
    private MemorySegment columnMask(int shift) {
        if (shift >= 0 && ow - 1 + shift < w) return null;
        MemorySegment m = F32Gemm.allocatePacked(4L * (accFloats + 16));
        for (int q = 0; q < accFloats; q++) {
            int col = q % ow + shift;
            m.setAtIndex(F, q, col >= 0 && col < w ? 1f : 0f);
        }
        return m;
    }

    private static long roundUp(long n, long step) {
        return (n + step - 1) / step * step;
    }

    @Override
    public long scratchBytes() {
        return heapBuffers() ? 0 : CHUNKS * chunkBytes;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int chunks = Math.min(CHUNKS, planes);
        if (par.threads() <= 1 || macs < PARALLEL_MIN_MACS) {
            for (int c = 0; c < chunks; c++) chunk(x, y, scratch, c, chunks);
            return;
        }
        Chunks body = splits.claim();
        body.set(x, y, scratch, planeSplit ? 0 : chunks);
        try {
            par.forRange(planeSplit ? planes : chunks, body);
        } finally {
            body.set(null, null, null, 0);
            splits.release(body);
        }
    }

    /** Chunks {@code [from, to)} of one split call's planes, or with no chunks the planes themselves; reused across calls. */
    private final class Chunks implements RunContext.RangeBody {
        private MemorySegment x, y, scratch;
        private int chunks; // 0: the range is one of planes (heap-buffer paths)

        void set(MemorySegment x, MemorySegment y, MemorySegment scratch, int chunks) {
            this.x = x;
            this.y = y;
            this.scratch = scratch;
            this.chunks = chunks;
        }

        @Override
        public void run(int from, int to) {
            if (chunks == 0) {
                heapBufferPlanes(x, y, from, to);
                return;
            }
            for (int c = from; c < to; c++) chunk(x, y, scratch, c, chunks);
        }
    }

    /** Planes {@code [from, to)} through the 3x3 path with per-thread heap buffers. */
    private void heapBufferPlanes(MemorySegment x, MemorySegment y, int from, int to) {
        if (same3x3 != null) same3x3.planes(x, y, from, to);
        else if (stride2Phases != null) stride2Phases.planes(x, y, from, to);
        else stride2.planes(x, y, from, to);
    }

    /** Whether a 3x3 path with per-thread heap buffers takes the planes. */
    private boolean heapBuffers() {
        return same3x3 != null || stride2Phases != null || stride2 != null;
    }

    private void chunk(MemorySegment x, MemorySegment y, MemorySegment scratch, int chunk, int chunks) {
        int from = (int) ((long) chunk * planes / chunks), to = (int) ((long) (chunk + 1) * planes / chunks);
        if (heapBuffers()) {
            heapBufferPlanes(x, y, from, to);
            return;
        }
        long base = chunk * chunkBytes;
        zero(scratch, base, phasesFloats);
        long accAt = base + 4 * phasesFloats;
        for (int plane = (int) ((long) chunk * planes / chunks); plane < (long) (chunk + 1) * planes / chunks; plane++) {
            int c = plane % channels;
            if (shifted) { // the plane's rows are contiguous in and out: one widening, one requantization
                Q8Quantize.widen(species, x, (long) plane * h * w, scratch, base + 4L * (lead + (long) ph * w),
                        (long) h * w, spec.xZeroPoint(), spec.xSigned());
                if (requantInRegisters) {
                    sumMaskedTapsRequantized(scratch, base, y, (long) plane * oh * ow, c);
                    continue;
                }
                sumMaskedTaps(scratch, base, accAt, c);
                requantize(scratch, accAt, y, (long) plane * oh * ow, (long) oh * ow, c);
                continue;
            }
            fill(x, (long) plane * h * w, scratch, base);
            if (species == null) sumTapsScalar(scratch, base, accAt, c);
            else sumTaps(scratch, base, accAt, c);
            requantizeRows(scratch, accAt, y, (long) plane * oh * ow, c);
        }
    }

    private void zero(MemorySegment s, long at, long floats) {
        if (species == null) {
            for (long i = 0; i < floats; i++) s.set(F, at + 4 * i, 0f);
            return;
        }
        JavaKernelsSpecies.of(species).zeroFloats(s, at, floats);
    }

    /** The plane's input rows into the chunk's phases: input (ih, iw) is padded (ih + ph, iw + pw). */
    private void fill(MemorySegment x, long xPlane, MemorySegment s, long base) {
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        for (int ih = 0; ih < h; ih++) {
            int r = ih + ph;
            if (r / sh >= hh) break; // rows below the last one read
            long row = base + 4 * ((long) (r % sh) * sw * phaseFloats + (long) (r / sh) * wh);
            long src = xPlane + (long) ih * w;
            if (sw == 1) {
                int count = Math.min(w, wh - pw);
                if (count > 0) Q8Quantize.widen(species, x, src, s, row + 4L * pw, count, zx, signed);
            } else if (sw == 2) { // input column iw is padded column iw + pw: phase (iw + pw) % 2, index (iw + pw) / 2
                int evenPhase = pw % 2, oddPhase = (pw + 1) % 2;
                int evenAt = pw / 2, oddAt = (pw + 1) / 2;
                Q8Quantize.widenDeinterleave(species, x, src, w, zx, signed,
                        s, row + 4 * (evenPhase * phaseFloats + evenAt), wh - evenAt,
                        s, row + 4 * (oddPhase * phaseFloats + oddAt), wh - oddAt);
            } else {
                for (int iw = 0; iw < w; iw++) {
                    int c = iw + pw;
                    if (c / sw >= wh) break;
                    s.set(F, row + 4 * ((long) (c % sw) * phaseFloats + c / sw), (float) (Q8Quantize.load(x, src + iw, signed) - zx));
                }
            }
        }
    }

    /** Flat positions [0, accFloats) of channel c into the row buffer at {@code accAt}; four vectors at a time. */
    private void sumTaps(MemorySegment s, long base, long accAt, int c) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int taps = tapOffset.length;
        long wAt = 4L * c * taps;
        int q = 0;
        for (; q + 4 * lanes <= accFloats; q += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, weights.get(F, wAt + 4L * t));
                long at = base + 4L * (q + tapOffset[t]);
                a0 = FloatVector.fromMemorySegment(sp, s, at, LE).fma(wv, a0);
                a1 = FloatVector.fromMemorySegment(sp, s, at + 4L * lanes, LE).fma(wv, a1);
                a2 = FloatVector.fromMemorySegment(sp, s, at + 8L * lanes, LE).fma(wv, a2);
                a3 = FloatVector.fromMemorySegment(sp, s, at + 12L * lanes, LE).fma(wv, a3);
            }
            long to = accAt + 4L * q;
            a0.intoMemorySegment(s, to, LE);
            a1.intoMemorySegment(s, to + 4L * lanes, LE);
            a2.intoMemorySegment(s, to + 8L * lanes, LE);
            a3.intoMemorySegment(s, to + 12L * lanes, LE);
        }
        for (; q < accFloats; q += lanes) {
            FloatVector a = FloatVector.zero(sp);
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, weights.get(F, wAt + 4L * t));
                a = FloatVector.fromMemorySegment(sp, s, base + 4L * (q + tapOffset[t]), LE).fma(wv, a);
            }
            a.intoMemorySegment(s, accAt + 4L * q, LE);
        }
    }

    /** {@link #sumTaps} over the unpadded plane, each tap's inputs multiplied by its column mask where it has one. */
    private void sumMaskedTaps(MemorySegment s, long base, long accAt, int c) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int taps = tapOffset.length;
        long wAt = 4L * c * taps;
        int q = 0;
        for (; q + 2 * lanes <= accFloats; q += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(sp), a1 = a0;
            for (int t = 0; t < taps; t++) {
                float wt = weights.get(F, wAt + 4L * t);
                long at = base + 4L * (q + tapOffset[t]);
                MemorySegment mask = columnMask[t];
                FloatVector w0 = FloatVector.broadcast(sp, wt), w1 = w0;
                if (mask != null) {
                    w0 = w0.mul(FloatVector.fromMemorySegment(sp, mask, 4L * q, LE));
                    w1 = w1.mul(FloatVector.fromMemorySegment(sp, mask, 4L * (q + lanes), LE));
                }
                a0 = FloatVector.fromMemorySegment(sp, s, at, LE).fma(w0, a0);
                a1 = FloatVector.fromMemorySegment(sp, s, at + 4L * lanes, LE).fma(w1, a1);
            }
            a0.intoMemorySegment(s, accAt + 4L * q, LE);
            a1.intoMemorySegment(s, accAt + 4L * (q + lanes), LE);
        }
        for (; q < accFloats; q += lanes) {
            FloatVector a = FloatVector.zero(sp);
            for (int t = 0; t < taps; t++) {
                FloatVector wv = FloatVector.broadcast(sp, weights.get(F, wAt + 4L * t));
                MemorySegment mask = columnMask[t];
                if (mask != null) wv = wv.mul(FloatVector.fromMemorySegment(sp, mask, 4L * q, LE));
                a = FloatVector.fromMemorySegment(sp, s, base + 4L * (q + tapOffset[t]), LE).fma(wv, a);
            }
            a.intoMemorySegment(s, accAt + 4L * q, LE);
        }
    }

    /**
     * {@link #sumMaskedTaps} with each pair of sum vectors requantized as {@link Q8Lanes#requantize}
     * does (float bias, multiplier, clamp, round half to even, zero point: the same lane operations,
     * so the same bytes) and stored straight into the plane's {@code oh * ow} output bytes from
     * {@code yAt}, the last vectors masked: no float row buffer written and read back. 512-bit
     * vectors (16 float lanes meet a 128-bit byte vector).
     */
    private void sumMaskedTapsRequantized(MemorySegment s, long base, MemorySegment y, long yAt, int c) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_512;
        VectorSpecies<Byte> bs = ByteVector.SPECIES_128;
        int lanes = 16;
        int taps = tapOffset.length;
        long wAt = 4L * c * taps;
        int count = oh * ow;
        float bias = spec.bias() == null ? 0f : spec.bias()[c];
        float multiplier = spec.multipliers()[c];
        int zp = spec.yZeroPoint();
        float qlo = spec.yMin() - zp, qhi = spec.yMax() - zp;
        int offset = Q8Lanes.MAGIC_BITS - zp;
        for (int q = 0; q < accFloats; q += 2 * lanes) {
            FloatVector a0 = FloatVector.zero(sp), a1 = a0;
            for (int t = 0; t < taps; t++) {
                float wt = weights.get(F, wAt + 4L * t);
                long at = base + 4L * (q + tapOffset[t]);
                MemorySegment mask = columnMask[t];
                FloatVector w0 = FloatVector.broadcast(sp, wt), w1 = w0;
                if (mask != null) {
                    w0 = w0.mul(FloatVector.fromMemorySegment(sp, mask, 4L * q, LE));
                    w1 = w1.mul(FloatVector.fromMemorySegment(sp, mask, 4L * (q + lanes), LE));
                }
                a0 = FloatVector.fromMemorySegment(sp, s, at, LE).fma(w0, a0);
                a1 = FloatVector.fromMemorySegment(sp, s, at + 4L * lanes, LE).fma(w1, a1);
            }
            a0 = a0.add(bias).mul(multiplier);
            a1 = a1.add(bias).mul(multiplier);
            a0 = a0.blend(qlo, a0.compare(VectorOperators.GE, qlo).not());
            a1 = a1.blend(qlo, a1.compare(VectorOperators.GE, qlo).not());
            a0 = a0.blend(qhi, a0.compare(VectorOperators.GT, qhi));
            a1 = a1.blend(qhi, a1.compare(VectorOperators.GT, qhi));
            IntVector i0 = a0.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            IntVector i1 = a1.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            ByteVector b0 = (ByteVector) i0.convertShape(VectorOperators.I2B, bs, 0);
            ByteVector b1 = (ByteVector) i1.convertShape(VectorOperators.I2B, bs, 0);
            if (q + 2 * lanes <= count) {
                b0.intoMemorySegment(y, yAt + q, LE);
                b1.intoMemorySegment(y, yAt + q + lanes, LE);
            } else {
                b0.intoMemorySegment(y, yAt + q, LE, bs.indexInRange(0, count - q));
                b1.intoMemorySegment(y, yAt + q + lanes, LE, bs.indexInRange(lanes, count - q));
            }
        }
    }

    private void sumTapsScalar(MemorySegment s, long base, long accAt, int c) {
        int taps = tapOffset.length;
        for (int q = 0; q < accFloats; q++) {
            float a = 0;
            for (int t = 0; t < taps; t++) a += weights.getAtIndex(F, (long) c * taps + t) * s.get(F, base + 4L * (q + tapOffset[t]));
            s.set(F, accAt + 4L * q, a);
        }
    }

    private void requantize(MemorySegment s, long accAt, MemorySegment y, long yAt, long count, int c) {
        int[] bias = spec.bias();
        Q8Quantize.requantize(species, s, accAt, y, yAt, count, bias == null ? 0 : bias[c], spec.multipliers()[c],
                spec.yZeroPoint(), spec.yMin(), spec.yMax());
    }

    private void requantizeRows(MemorySegment s, long accAt, MemorySegment y, long yPlane, int c) {
        int[] bias = spec.bias();
        int b = bias == null ? 0 : bias[c];
        float multiplier = spec.multipliers()[c];
        for (int i = 0; i < oh; i++) {
            Q8Quantize.requantize(species, s, accAt + 4L * i * wh, y, yPlane + (long) i * ow, ow, b, multiplier,
                    spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    @Override
    public String toString() {
        return "Q8DepthwiseConv(" + (species == null ? "scalar" : species.vectorBitSize() + "-bit") + ", "
                + (same3x3 != null ? "3x3 same planes in heap buffers" : stride2Phases != null ? "3x3 stride-2 phase planes in heap buffers" : stride2 != null ? "3x3 stride-2 rows from heap buffers" : shifted ? "shifted taps over " + hh + " rows" : sh * sw + " stride phases of " + hh + "x" + wh) + ") " + spec;
    }
}
