package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 2-D convolution over few input channels with tall kernels, such as DS-CNN's first layer
 * (1 -> 64 channels, 10x4 kernel, stride 2, over a 49x10 spectrogram), without a column matrix.
 * The input is copied once per run into zero-padded <em>phase planes</em>, one per input channel,
 * row phase ({@code kernel row * dilation mod stride}) and kernel column:
 * {@code plane[c][a][kw][r][ow] = x[c][r * strideH + a - padTop][ow * strideW + kw * dilationW - padLeft]}.
 * The im2col row of every tap {@code (c, kh, kw)} over the output positions {@code p = oh * OW + ow}
 * is then a contiguous run of a plane, starting {@code (kh * dilationH / strideH)} rows in, so the
 * register tile loads it as vectors where it lies. DS-CNN's planes hold 1,160 floats where its
 * column matrix holds 5,000.
 *
 * <p>The tile is {@link #ROWS} output channels by {@link #VECTORS} vectors of positions, started
 * at the bias; the weights are broadcast from a heap array {@code [tap][M rounded up to ROWS]}
 * packed once. The summation order per output is the column matrix's (bias, then taps in
 * {@code (c, kh, kw)} order, one fused multiply-add each), as {@link F32DirectGemm}'s. A fused
 * Relu/Clip is applied in registers before the single store. Channel blocks are split over threads
 * when the product is large enough ({@link F32Gemm#PARALLEL_MIN_MACS}).
 *
 * <p>Against what the Java kernels chose before ({@link F32ConvKernel}), one thread, 512-bit,
 * medians of 301 interleaved rounds in one process (load 6-7): DS-CNN's stem 4.47 us against 6.62,
 * 1->16 5x5 over 28x28 6.97 against 8.68, digits_cnn's 1->16 3x3 over 8x8 0.32 against 0.50;
 * 3x3 stride-1 layers over 1-3 channels at 28x28-49x10 even (0.98-1.01).
 *
 * <p>{@code -Dedgerun.java.phasePlaneConv=off} (read at planning) keeps these convolutions on
 * {@link F32ConvKernel}.
 */
public final class F32PhasePlaneConv implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final String PROPERTY = "edgerun.java.phasePlaneConv";
    /** Output channels per tile. */
    static final int ROWS = 4;
    /** Vectors of output positions per tile: with {@link #ROWS}, 16 accumulators. */
    static final int VECTORS = 4;
    /** Most input channels of a shallow convolution served over any number of positions (planes permitting). */
    static final int MAX_CHANNELS = 4;
    /** Most floats of phase planes: they stay in L1/L2 while every channel block passes over them. */
    static final long MAX_PLANE_FLOATS = 32 * 1024;
    /**
     * Most output positions of a deeper convolution served: its planes (about kernelW / strideW
     * copies of the input) are filled element by element, which costs more than im2col's vector
     * copies once the planes grow. 1 thread, 512-bit, against F32ConvKernel (medians of 301
     * interleaved rounds, load 6): 16->32 3x3 over 8x8 (digits_cnn) 4.66 us against 7.68, 8->32 3x3
     * stride 2 over 16x16 3.55 against 5.12, 6->16 5x5 over 14x14 6.01 against 9.77, 32->64 3x3
     * over 4x4 11.4 against 12.5; over more positions it gained less or lost: 8->16 3x3 over 16x16
     * (256 positions) 7.04 against 8.36, 16->32 over 16x16 18.7 against 14.3.
     */
    static final int FEW_POSITIONS = 128;
    /** Least taps per channel (kernel rows over the row stride times kernel columns) for the planes to beat im2col's copies. */
    static final int MIN_ROW_REUSE = 2;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int batch, channels, inH, inW, outChannels, positions, taps, paddedM, blocks;
    private final int planeFloats;    // all planes of one image, plus slack for the tile's reads past the last position
    private final int[] tapStart;     // per tap (c, kh, kw): float offset of its im2col row in the planes
    private final int[] copyTo;       // plane entries that hold an input element...
    private final int[] copyFrom;     // ...and that element's index in the image
    private final float[] weights;    // [taps][paddedM]: W transposed, zero past M
    private final float clampLo, clampHi;

    /**
     * Whether the Java kernels take this kernel for {@code spec}: a 2-D, one-group convolution
     * with constant weights, a kernel larger than 1x1, planes of at most {@link #MAX_PLANE_FLOATS},
     * no activation but a Relu/Clip, vectors of at least 4 lanes; and either shallow (at most
     * {@link #MAX_CHANNELS} input channels) with overlapping kernel rows
     * ({@code kernelH * dilationH / strideH >= } {@link #MIN_ROW_REUSE}), or over at most
     * {@link #FEW_POSITIONS} output positions and {@link F32ConvKernel#DIRECT_MAX_MACS} multiply-adds
     * (where {@link F32ConvKernel} took its direct GEMM over an im2col matrix).
     */
    public static boolean preferred(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if ("off".equals(System.getProperty(PROPERTY)) || species == null || species.length() < 4) return false;
        if (spec.dtype() != DType.FLOAT || spec.spatialRank() != 2 || spec.group() != 1 || spec.constantWeight() == null) {
            return false;
        }
        if (spec.epilogue() != null && ActivationEpilogue.clampOf(spec.epilogue()) == null) return false;
        long[] x = spec.inputShape(), w = spec.weightShape(), y = spec.outputShape();
        if (w[2] * w[3] == 1 || planeFloats(spec, species) > MAX_PLANE_FLOATS) return false;
        boolean shallow = x[1] <= MAX_CHANNELS && w[2] * spec.dilations()[0] / spec.strides()[0] >= MIN_ROW_REUSE;
        long positions = y[2] * y[3];
        boolean few = positions <= FEW_POSITIONS && w[0] * w[1] * w[2] * w[3] * positions <= F32ConvKernel.DIRECT_MAX_MACS;
        return shallow || few;
    }

    public F32PhasePlaneConv(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || spec.spatialRank() != 2 || spec.group() != 1 || spec.constantWeight() == null) {
            throw new IllegalArgumentException("F32PhasePlaneConv needs a 2-D one-group convolution with constant weights, got "
                    + spec);
        }
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(spec.epilogue());
        if (spec.epilogue() != null && clamp == null) {
            throw new IllegalArgumentException("F32PhasePlaneConv fuses a Relu/Clip only, got " + spec.epilogue());
        }
        this.spec = spec;
        this.species = species;
        long[] x = spec.inputShape(), w = spec.weightShape(), y = spec.outputShape();
        batch = (int) x[0];
        channels = (int) x[1];
        inH = (int) x[2];
        inW = (int) x[3];
        outChannels = (int) w[0];
        int kh = (int) w[2], kw = (int) w[3], oh = (int) y[2], ow = (int) y[3];
        positions = oh * ow;
        taps = channels * kh * kw;
        blocks = (outChannels + ROWS - 1) / ROWS;
        paddedM = blocks * ROWS;
        planeFloats = Math.toIntExact(planeFloats(spec, species));
        int sh = spec.strides()[0], dh = spec.dilations()[0];
        int rows = planeRows(spec);
        tapStart = new int[taps];
        for (int c = 0, t = 0; c < channels; c++) {
            for (int i = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++, t++) {
                    int plane = (c * sh + (i * dh) % sh) * kw + j;
                    tapStart[t] = (plane * rows + (i * dh) / sh) * ow;
                }
            }
        }
        int[][] copies = copies(spec, rows);
        copyTo = copies[0];
        copyFrom = copies[1];
        weights = transposedWeights(spec.constantWeight().data(), outChannels, taps, paddedM);
        clampLo = clamp != null ? clamp.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp != null ? clamp.clampHigh() : Float.POSITIVE_INFINITY;
    }

    /** Rows of a plane: the output rows plus the deepest tap's start row. */
    private static int planeRows(KernelProvider.ConvSpec spec) {
        long kh = spec.weightShape()[2];
        return (int) (spec.outputShape()[2] + (kh - 1) * spec.dilations()[0] / spec.strides()[0]);
    }

    /** Floats of the planes of one image, with a tile's reach past the last position as slack. */
    private static long planeFloats(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        long planes = spec.inputShape()[1] * spec.strides()[0] * spec.weightShape()[3];
        long floats = planes * planeRows(spec) * spec.outputShape()[3];
        return floats + (long) VECTORS * species.length();
    }

    /** The plane entries that hold an input element ({@code [0]}) and that element's index in the image ({@code [1]}). */
    private static int[][] copies(KernelProvider.ConvSpec spec, int rows) {
        long[] x = spec.inputShape(), w = spec.weightShape(), y = spec.outputShape();
        int c = (int) x[1], h = (int) x[2], wd = (int) x[3], kw = (int) w[3], ow = (int) y[3];
        int sh = spec.strides()[0], sw = spec.strides()[1], dw = spec.dilations()[1];
        int padT = spec.padsBegin()[0], padL = spec.padsBegin()[1];
        int[] to = new int[c * sh * kw * rows * ow], from = new int[to.length];
        int n = 0;
        for (int ch = 0; ch < c; ch++) {
            for (int a = 0; a < sh; a++) {
                for (int j = 0; j < kw; j++) {
                    int plane = (ch * sh + a) * kw + j;
                    for (int r = 0; r < rows; r++) {
                        int ih = r * sh + a - padT;
                        if (ih < 0 || ih >= h) continue;
                        for (int o = 0; o < ow; o++) {
                            int iw = o * sw + j * dw - padL;
                            if (iw < 0 || iw >= wd) continue;
                            to[n] = (plane * rows + r) * ow + o;
                            from[n++] = (ch * h + ih) * wd + iw;
                        }
                    }
                }
            }
        }
        return new int[][] {java.util.Arrays.copyOf(to, n), java.util.Arrays.copyOf(from, n)};
    }

    /** {@code W[M][taps]} as {@code [taps][paddedM]}, zero past M. */
    private static float[] transposedWeights(MemorySegment w, int m, int taps, int paddedM) {
        float[] r = new float[taps * paddedM];
        for (int i = 0; i < m; i++) {
            for (int t = 0; t < taps; t++) r[t * paddedM + i] = w.getAtIndex(F, (long) i * taps + t);
        }
        return r;
    }

    @Override
    public long scratchBytes() {
        return 4L * planeFloats;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIgnored, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        Parallel split = (long) outChannels * taps * positions < F32Gemm.PARALLEL_MIN_MACS ? Parallel.SERIAL : par;
        for (int n = 0; n < batch; n++) {
            long xOff = 4L * n * channels * inH * inW, yOff = 4L * n * outChannels * positions;
            fillPlanes(x, xOff, scratch);
            if (split.threads() <= 1) {
                blocks(0, blocks, scratch, b, y, yOff);
            } else {
                Split body = SPLIT.get();
                body.set(this, scratch, b, y, yOff);
                split.forRange(blocks, body);
            }
        }
    }

    /** The image at byte {@code xOff} of x into its phase planes at the start of {@code planes}: zeros, then every input element. */
    private void fillPlanes(MemorySegment x, long xOff, MemorySegment planes) {
        JavaKernelsSpecies.of(species).zeroFloats(planes, 0, planeFloats);
        int[] to = copyTo, from = copyFrom;
        for (int i = 0; i < to.length; i++) planes.setAtIndex(F, to[i], x.get(F, xOff + 4L * from[i]));
    }

    /** Channel blocks {@code [from, to)}: every position tile of each. */
    private void blocks(int from, int to, MemorySegment planes, MemorySegment bias, MemorySegment y, long yOff) {
        int step = VECTORS * species.length();
        for (int blk = from; blk < to; blk++) {
            for (int p0 = 0; p0 < positions; p0 += step) tile(blk * ROWS, p0, planes, bias, y, yOff);
        }
    }

    /**
     * Output channels {@code [m0, m0 + ROWS)} by positions {@code [p0, p0 + VECTORS * lanes)}: 16
     * accumulators started at the bias, one fma each per tap, clamped and stored once (channels past
     * M and positions past P are computed, never stored).
     */
    private void tile(int m0, int p0, MemorySegment planes, MemorySegment bias, MemorySegment y, long yOff) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        long v1 = 4L * lanes, v2 = 2 * v1, v3 = 3 * v1;
        int rows = Math.min(ROWS, outChannels - m0);
        // bias as scalars broadcast unconditionally: no vector phi before the loop (see F32DirectGemm.tile)
        float r0 = 0f, r1 = 0f, r2 = 0f, r3 = 0f;
        if (bias != null) {
            r0 = bias.getAtIndex(F, m0);
            if (rows > 1) r1 = bias.getAtIndex(F, m0 + 1);
            if (rows > 2) r2 = bias.getAtIndex(F, m0 + 2);
            if (rows > 3) r3 = bias.getAtIndex(F, m0 + 3);
        }
        FloatVector c00 = FloatVector.broadcast(s, r0), c10 = FloatVector.broadcast(s, r1);
        FloatVector c20 = FloatVector.broadcast(s, r2), c30 = FloatVector.broadcast(s, r3);
        FloatVector c01 = c00, c02 = c00, c03 = c00, c11 = c10, c12 = c10, c13 = c10;
        FloatVector c21 = c20, c22 = c20, c23 = c20, c31 = c30, c32 = c30, c33 = c30;
        float[] w = weights;
        int[] starts = tapStart;
        int wAt = m0;
        for (int t = 0; t < taps; t++, wAt += paddedM) {
            long at = 4L * (starts[t] + p0);
            FloatVector b0 = FloatVector.fromMemorySegment(s, planes, at, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(s, planes, at + v1, LE);
            FloatVector b2 = FloatVector.fromMemorySegment(s, planes, at + v2, LE);
            FloatVector b3 = FloatVector.fromMemorySegment(s, planes, at + v3, LE);
            FloatVector a = FloatVector.broadcast(s, w[wAt]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            c03 = a.fma(b3, c03);
            a = FloatVector.broadcast(s, w[wAt + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            c13 = a.fma(b3, c13);
            a = FloatVector.broadcast(s, w[wAt + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            c23 = a.fma(b3, c23);
            a = FloatVector.broadcast(s, w[wAt + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            c33 = a.fma(b3, c33);
        }
        // One store block, the row's accumulators picked by a switch (a helper taking vectors would box them).
        int cols = Math.min(VECTORS * lanes, positions - p0);
        boolean full = cols == VECTORS * lanes;
        VectorMask<Float> k0 = s.indexInRange(0, cols), k1 = s.indexInRange(lanes, cols);
        VectorMask<Float> k2 = s.indexInRange(2 * lanes, cols), k3 = s.indexInRange(3 * lanes, cols);
        for (int r = 0; r < rows; r++) {
            FloatVector e0, e1, e2, e3;
            switch (r) {
                case 0 -> { e0 = c00; e1 = c01; e2 = c02; e3 = c03; }
                case 1 -> { e0 = c10; e1 = c11; e2 = c12; e3 = c13; }
                case 2 -> { e0 = c20; e1 = c21; e2 = c22; e3 = c23; }
                default -> { e0 = c30; e1 = c31; e2 = c32; e3 = c33; }
            }
            e0 = e0.max(clampLo).min(clampHi);
            e1 = e1.max(clampLo).min(clampHi);
            e2 = e2.max(clampLo).min(clampHi);
            e3 = e3.max(clampLo).min(clampHi);
            long at = yOff + 4L * ((long) (m0 + r) * positions + p0);
            if (full) {
                e0.intoMemorySegment(y, at, LE);
                e1.intoMemorySegment(y, at + v1, LE);
                e2.intoMemorySegment(y, at + v2, LE);
                e3.intoMemorySegment(y, at + v3, LE);
            } else {
                e0.intoMemorySegment(y, at, LE, k0);
                e1.intoMemorySegment(y, at + v1, LE, k1);
                e2.intoMemorySegment(y, at + v2, LE, k2);
                e3.intoMemorySegment(y, at + v3, LE, k3);
            }
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    /** A split {@link #run}: ranges of channel blocks over the planes the calling thread filled. */
    private static final class Split implements RunContext.RangeBody {
        F32PhasePlaneConv conv;
        MemorySegment planes, bias, y;
        long yOff;

        void set(F32PhasePlaneConv conv, MemorySegment planes, MemorySegment bias, MemorySegment y, long yOff) {
            this.conv = conv;
            this.planes = planes;
            this.bias = bias;
            this.y = y;
            this.yOff = yOff;
        }

        @Override
        public void run(int from, int to) {
            conv.blocks(from, to, planes, bias, y, yOff);
        }
    }

    @Override
    public String toString() {
        return "F32PhasePlaneConv(" + ROWS + "x" + VECTORS + " vectors, phase planes) " + spec;
    }
}
