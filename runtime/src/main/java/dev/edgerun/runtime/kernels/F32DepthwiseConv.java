package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct 2-D depthwise convolution (group == input channels == output channels). Each plane
 * (image, channel) is first copied into a zero-padded plane in scratch, so that no tap needs a
 * bounds test or a mask, then every output vector is the bias plus one fma per tap with the sum in
 * a register, a fused Relu/Clip applied before the single store. Planes are split across threads
 * in {@value #CHUNKS} fixed ranges, each with its own padded plane.
 *
 * <p>Column stride 2 goes to {@link F32DepthwiseRows}, which reads X in place. Otherwise two
 * layouts of the padded plane, chosen by shape:
 * <ul>
 *   <li><b>rows</b> (column stride 1, any plane): tap (ki, kj) of output columns
 *   {@code j..j+lanes} is one contiguous load from a padded row. Output rows are computed four
 *   vectors at a time along the row, or four rows at a time when a row is one vector, for four
 *   independent fma chains.</li>
 *   <li><b>flat</b> (stride 1, planes up to {@value #FLAT_MAX_PLANE} inputs whose output rows are
 *   narrower or wider than the input's; {@link JavaKernels} gives 3x3 "same" ones, such as a
 *   keyword spotter's 25x5 maps and MobileNet's stride-1 layers, to {@link F32Depthwise3x3}, and
 *   other same-width ones to {@link F32DepthwiseSameWidth}):
 *   rows of the padded plane are as wide as the output plus the kernel's
 *   reach, so every tap is the same flat shift for every output and vectors run over the flat
 *   positions of several rows at once; the sums go to a buffer copied out row by row.</li>
 * </ul>
 * Without vectors (or for column strides above 2) a scalar loop accumulates per tap over the
 * output columns whose input is inside the image.
 */
public final class F32DepthwiseConv implements KernelProvider.ConvKernel, F32DepthwiseSplit.PlaneRanges {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private enum Path { SCALAR, ROWS, FLAT }

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species; // null: scalar
    private final int channels, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, planes;
    private final MemorySegment weights; // constant weights [C, kh, kw], or null
    private final int[] colLo, colHi;    // scalar path, per kernel column: output columns whose input column is inside
    private final Path path;
    private final boolean clamp;         // a Relu/Clip epilogue applied in registers
    private final float lo, hi;          // its bounds
    private final F32GemmEpilogue after; // another epilogue, applied per plane after it is written; or null
    // rows path
    private final int rowPitch;          // floats per padded row
    private final int padRows;           // padded rows that taps reach
    private final int[] tapCol;          // per kernel column: float offset of its first input within a padded row
    // flat path
    private final int padW, padH;        // padded plane: rows of padW floats, padH rows
    private final int padFloats;         // padded plane plus slack for the last vector's reach
    private final int accFloats;         // oh * padW rounded up to whole vectors
    private final long chunkFloats;      // scratch of one chunk
    private final F32DepthwiseRows stride2;  // column stride 2: the kernel that runs it, or null

    /**
     * Stride-1 planes of at most this many inputs take the flat path: measured against the rows path
     * (one thread, 512-bit, MobileNetV2's layers) it was as fast at 14x14 and faster at 28x28 (244
     * against 364 us for 192 channels), 7x7 and DS-CNN's 25x5; the rows path was faster from 56x56.
     */
    static final int FLAT_MAX_PLANE = 1024;

    /** Fixed plane ranges, each with its own padded plane in scratch (so at most this many threads). */
    private static final int CHUNKS = F32DepthwiseSplit.CHUNKS;

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
        int lanes = species == null ? 1 : species.length();

        padW = ow + (kw - 1) * dw;
        padH = oh + (kh - 1) * dh;
        padFloats = roundUp(padH * padW + (kw - 1) * dw + lanes, lanes);
        accFloats = roundUp(oh * padW, lanes);
        if (species == null || sw > 2 || (sw == 2 && !F32DepthwiseRows.supports(spec, species))) {
            path = Path.SCALAR;
        } else if (sh == 1 && sw == 1 && (long) h * w <= FLAT_MAX_PLANE && ph <= padH && pw <= padW) {
            path = Path.FLAT;
        } else {
            path = Path.ROWS;
        }
        ActivationEpilogue c = path == Path.SCALAR ? null : ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();

        int vectors = (ow + lanes - 1) / lanes;
        // a four-vector block may compute one vector past the row; the row copy writes pw + w columns
        // rounded up to whole vectors
        rowPitch = roundUp(Math.max((vectors + 1) * lanes + (kw - 1) * dw, pw + roundUp(w, lanes)), lanes);
        padRows = (oh - 1) * sh + (kh - 1) * dh + 1;
        tapCol = new int[kw];
        for (int kj = 0; kj < kw; kj++) tapCol[kj] = kj * dw;

        chunkFloats = switch (path) {
            case SCALAR -> 0;
            case FLAT -> padFloats + accFloats;
            case ROWS -> (long) padRows * rowPitch;
        };
        weights = spec.constantWeight() == null ? null
                : F32Gemm.allocatePacked(spec.constantWeight().byteSize()).copyFrom(spec.constantWeight().data());
        stride2 = path == Path.ROWS && sw == 2 ? new F32DepthwiseRows(spec, species) : null;
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    @Override
    public long scratchBytes() {
        return stride2 != null ? stride2.scratchBytes() : 4L * CHUNKS * chunkFloats;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        if (stride2 != null) {
            stride2.run(x, wIn, bias, y, scratch, par);
            return;
        }
        MemorySegment wt = weights != null ? weights : wIn;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        F32DepthwiseSplit.run(this, planes, (long) planes * oh * ow * kh * kw, par, x, wt, b, y, scratch);
    }

    /** Planes {@code [from, to)} through the padded plane of chunk {@code chunk}. */
    @Override
    public void planes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                       int chunk, int from, int to) {
        if (from >= to) return;
        long at = 4L * chunk * chunkFloats;
        if (path != Path.SCALAR) F32DepthwiseRows.zeroBytes(scratch, at, 4L * chunkFloats); // the padding: plane copies write only the inside
        for (int plane = from; plane < to; plane++) {
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            long xPlane = 4L * plane * h * w, yPlane = 4L * plane * oh * ow;
            switch (path) {
                case ROWS -> {
                    padRowsPlane(x, xPlane, scratch, at);
                    if (ow <= species.length()) rowsNarrow(wt, b, y, yPlane, scratch, at, c);
                    else rowsWide(wt, b, y, yPlane, scratch, at, c);
                }
                case FLAT -> {
                    padFlatPlane(x, xPlane, scratch, at);
                    flatPlane(wt, b, y, yPlane, scratch, at, c);
                }
                case SCALAR -> scalarPlane(x, xPlane, wt, b, y, yPlane, c);
            }
            if (after != null) after.apply(y, yPlane, oh * ow);
        }
    }

    // ------------------------------------------------------------------ rows path

    /** The input plane into the padded rows at {@code at}: input row ih to padded row ih + ph, column jw to column jw + pw. */
    private void padRowsPlane(MemorySegment x, long xPlane, MemorySegment buf, long at) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int rows = Math.min(h, padRows - ph); // rows no tap reaches are skipped
        for (int ih = 0; ih < rows; ih++) {
            copyPadded(sp, x, xPlane + 4L * ih * w, buf, at + 4L * ((ih + ph) * rowPitch + pw), w);
        }
    }

    /** Output rows longer than a vector: four vectors along the row at a time, then one at a time. */
    private void rowsWide(MemorySegment wt, float b, MemorySegment y, long yPlane, MemorySegment buf, long at, int c) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int vectors = (ow + lanes - 1) / lanes;
        long wAt = 4L * c * kh * kw;
        for (int i = 0; i < oh; i++) {
            long rowAt = at + 4L * i * sh * rowPitch;
            long yRow = yPlane + 4L * i * ow;
            int vec = 0;
            for (; vec + 3 <= vectors; vec += 4) { // the fourth vector may lie past the row: computed, not stored
                int j = vec * lanes;
                FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
                for (int ki = 0; ki < kh; ki++) {
                    long tapRow = rowAt + 4L * (ki * dh * rowPitch + j);
                    for (int kj = 0; kj < kw; kj++) {
                        FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wAt + 4L * (ki * kw + kj)));
                        long t = tapRow + 4L * tapCol[kj];
                        a0 = FloatVector.fromMemorySegment(sp, buf, t, LE).fma(wv, a0);
                        a1 = FloatVector.fromMemorySegment(sp, buf, t + 4L * lanes, LE).fma(wv, a1);
                        a2 = FloatVector.fromMemorySegment(sp, buf, t + 8L * lanes, LE).fma(wv, a2);
                        a3 = FloatVector.fromMemorySegment(sp, buf, t + 12L * lanes, LE).fma(wv, a3);
                    }
                }
                // One store block, the accumulator picked by a switch: a helper taking vectors that
                // the JIT does not inline makes it box them.
                for (int r = 0; r < 4 && j + r * lanes < ow; r++) {
                    FloatVector v = switch (r) {
                        case 0 -> a0;
                        case 1 -> a1;
                        case 2 -> a2;
                        default -> a3;
                    };
                    if (clamp) v = v.max(lo).min(hi);
                    int jr = j + r * lanes;
                    if (jr + lanes <= ow || i < oh - 1) v.intoMemorySegment(y, yRow + 4L * jr, LE); // spills into the next row, written after
                    else v.intoMemorySegment(y, yRow + 4L * jr, LE, sp.indexInRange(jr, ow));
                }
            }
            for (; vec < vectors; vec++) {
                int j = vec * lanes;
                FloatVector a = FloatVector.broadcast(sp, b);
                for (int ki = 0; ki < kh; ki++) {
                    long tapRow = rowAt + 4L * (ki * dh * rowPitch + j);
                    for (int kj = 0; kj < kw; kj++) {
                        FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wAt + 4L * (ki * kw + kj)));
                        a = FloatVector.fromMemorySegment(sp, buf, tapRow + 4L * tapCol[kj], LE).fma(wv, a);
                    }
                }
                if (clamp) a = a.max(lo).min(hi);
                if (j + lanes <= ow || i < oh - 1) a.intoMemorySegment(y, yRow + 4L * j, LE);
                else a.intoMemorySegment(y, yRow + 4L * j, LE, sp.indexInRange(j, ow));
            }
        }
    }

    /** Output rows of at most one vector: four rows at a time, then one at a time. */
    private void rowsNarrow(MemorySegment wt, float b, MemorySegment y, long yPlane, MemorySegment buf, long at, int c) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        long wAt = 4L * c * kh * kw;
        long rowStep = 4L * sh * rowPitch;
        int i = 0;
        for (; i + 4 <= oh; i += 4) {
            long rowAt = at + i * rowStep;
            FloatVector a0 = FloatVector.broadcast(sp, b), a1 = a0, a2 = a0, a3 = a0;
            for (int ki = 0; ki < kh; ki++) {
                long tapRow = rowAt + 4L * ki * dh * rowPitch;
                for (int kj = 0; kj < kw; kj++) {
                    FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wAt + 4L * (ki * kw + kj)));
                    long t = tapRow + 4L * tapCol[kj];
                    a0 = FloatVector.fromMemorySegment(sp, buf, t, LE).fma(wv, a0);
                    a1 = FloatVector.fromMemorySegment(sp, buf, t + rowStep, LE).fma(wv, a1);
                    a2 = FloatVector.fromMemorySegment(sp, buf, t + 2 * rowStep, LE).fma(wv, a2);
                    a3 = FloatVector.fromMemorySegment(sp, buf, t + 3 * rowStep, LE).fma(wv, a3);
                }
            }
            for (int r = 0; r < 4; r++) {
                FloatVector v = switch (r) {
                    case 0 -> a0;
                    case 1 -> a1;
                    case 2 -> a2;
                    default -> a3;
                };
                if (clamp) v = v.max(lo).min(hi);
                // a whole vector spills into later rows of this plane, written after
                if ((i + r) * ow + lanes <= oh * ow) v.intoMemorySegment(y, yPlane + 4L * (i + r) * ow, LE);
                else v.intoMemorySegment(y, yPlane + 4L * (i + r) * ow, LE, sp.indexInRange(0, ow));
            }
        }
        for (; i < oh; i++) {
            long rowAt = at + i * rowStep;
            FloatVector a = FloatVector.broadcast(sp, b);
            for (int ki = 0; ki < kh; ki++) {
                long tapRow = rowAt + 4L * ki * dh * rowPitch;
                for (int kj = 0; kj < kw; kj++) {
                    FloatVector wv = FloatVector.broadcast(sp, wt.get(F, wAt + 4L * (ki * kw + kj)));
                    a = FloatVector.fromMemorySegment(sp, buf, tapRow + 4L * tapCol[kj], LE).fma(wv, a);
                }
            }
            if (clamp) a = a.max(lo).min(hi);
            if (i * ow + lanes <= oh * ow) a.intoMemorySegment(y, yPlane + 4L * i * ow, LE);
            else a.intoMemorySegment(y, yPlane + 4L * i * ow, LE, sp.indexInRange(0, ow));
        }
    }

    // ------------------------------------------------------------------ flat path

    /** The input plane at {@code xPlane} into the padded plane at {@code padAt}: row ih at row ih + ph, column pw. */
    private void padFlatPlane(MemorySegment x, long xPlane, MemorySegment pad, long padAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int cols = Math.min(w, padW - pw);
        int rows = Math.min(h, padH - ph);
        for (int ih = 0; ih < rows; ih++) {
            copyPadded(sp, x, xPlane + 4L * ih * w, pad, padAt + 4L * ((ih + ph) * padW + pw), cols);
        }
    }

    /**
     * One plane from its padded copy: output (i, j) is at flat position {@code i*padW + j} and reads
     * tap (ki, kj) at that position plus {@code ki*dh*padW + kj*dw}; columns j >= ow are computed and
     * dropped. Vectors run over flat positions, taps inside, the sum kept in a register.
     */
    private void flatPlane(MemorySegment wt, float b, MemorySegment y, long yPlane, MemorySegment pad, long padAt, int c) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        long wPlane = 4L * c * kh * kw;
        long accAt = padAt + 4L * padFloats;
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
            if (clamp) {
                a0 = a0.max(lo).min(hi);
                a1 = a1.max(lo).min(hi);
                a2 = a2.max(lo).min(hi);
                a3 = a3.max(lo).min(hi);
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
            if (clamp) acc = acc.max(lo).min(hi);
            acc.intoMemorySegment(pad, accAt + 4L * q, LE);
        }
        for (int i = 0; i < oh; i++) {
            // a whole last vector writes past the row into later rows of this plane, written after
            copyOut(sp, pad, accAt + 4L * i * padW, y, yPlane + 4L * i * ow, ow, (oh - i) * ow);
        }
    }

    /**
     * {@code n} floats from {@code src} to {@code dst}, whole vectors; the last one whole too, its
     * lanes past {@code n} zeroed (padding, or later rows written after), unless it would read past
     * {@code src}: masked then (masked loads and stores cost about three times as much).
     */
    private static void copyPadded(VectorSpecies<Float> sp, MemorySegment src, long from, MemorySegment dst, long to, int n) {
        int lanes = sp.length();
        int j = 0;
        for (; j + lanes <= n; j += lanes) {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE).intoMemorySegment(dst, to + 4L * j, LE);
        }
        if (j == n) return;
        VectorMask<Float> m = sp.indexInRange(j, n);
        if (from + 4L * (j + lanes) <= src.byteSize()) {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE).blend(0f, m.not()).intoMemorySegment(dst, to + 4L * j, LE);
        } else {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE, m).intoMemorySegment(dst, to + 4L * j, LE, m);
        }
    }

    /** {@code n} floats from {@code src} to {@code dst}; the last vector whole when it stays within {@code room} floats. */
    private static void copyOut(VectorSpecies<Float> sp, MemorySegment src, long from, MemorySegment dst, long to, int n,
                                int room) {
        int lanes = sp.length();
        int j = 0;
        for (; j + lanes <= n; j += lanes) {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE).intoMemorySegment(dst, to + 4L * j, LE);
        }
        if (j == n) return;
        if (j + lanes <= room) {
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE).intoMemorySegment(dst, to + 4L * j, LE);
        } else {
            VectorMask<Float> m = sp.indexInRange(j, n);
            FloatVector.fromMemorySegment(sp, src, from + 4L * j, LE, m).intoMemorySegment(dst, to + 4L * j, LE, m);
        }
    }

    // ------------------------------------------------------------------ scalar path

    /** One plane: each output row starts at the bias and receives one pass per tap over its inside columns. */
    private void scalarPlane(MemorySegment x, long xPlane, MemorySegment wt, float b, MemorySegment y, long yPlane, int c) {
        long wPlane = 4L * c * kh * kw;
        for (int i = 0; i < oh; i++) {
            long yRow = yPlane + 4L * i * ow;
            for (int j = 0; j < ow; j++) y.set(F, yRow + 4L * j, b);
            for (int ki = 0; ki < kh; ki++) {
                int ih = i * sh - ph + ki * dh;
                if (ih < 0 || ih >= h) continue;
                long xRow = xPlane + 4L * ih * w;
                for (int kj = 0; kj < kw; kj++) {
                    float wv = wt.get(F, wPlane + 4L * (ki * kw + kj));
                    int off = kj * dw - pw;
                    for (int j = colLo[kj]; j < colHi[kj]; j++) {
                        long at = yRow + 4L * j;
                        y.set(F, at, y.get(F, at) + wv * x.get(F, xRow + 4L * (j * sw + off)));
                    }
                }
            }
        }
    }

    @Override
    public String toString() {
        if (stride2 != null) return stride2.toString();
        return "F32DepthwiseConv(" + (species == null ? "scalar" : species.vectorBitSize() + "-bit") + ", "
                + path.name().toLowerCase(java.util.Locale.ROOT) + ") " + spec;
    }
}
