package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit 2-D convolution with few output channels and a shallow reduction (MobileNetV2's first
 * layer, 3->32 3x3 stride 2; ResNet-18's, 3->64 7x7 stride 2) as an implicit GEMM over zero-point-padded byte planes: per image, each
 * input channel is copied once into bytes padded with {@code zx} and, for stride 2, split into
 * even and odd columns, so that every tap of 32 consecutive outputs of a row reads 32 contiguous
 * bytes at a fixed offset; the register tile ({@link Q8PointwiseImplicit#MR} channels by 32 outputs)
 * widens them in registers and requantizes from registers. {@link Q8ConvGemm} instead widens the
 * input to floats and writes the float column matrix (27 rows by 12544 positions in that layer),
 * which cost it more than the product. Sums {@code w * x} with the bias corrected by
 * {@code -zx * sum(w)} (padding holds zx, so it adds nothing), exact as in Q8PointwiseImplicit: the
 * same bytes as Q8ConvGemm. 512-bit vectors; strides 1 or 2, no dilation. Thread-safe; output rows
 * split over the threads of {@link Parallel}.
 */
final class Q8ImplicitConv implements KernelProvider.Q8ConvKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B512 = ByteVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int LANES = 16;
    private static final int NR = 2 * LANES;
    private static final int MR = Q8PointwiseImplicit.MR;
    /** Even bytes of 64 in lanes 0-31, odd ones in lanes 32-63. */
    private static final VectorShuffle<Byte> EVEN_ODD = VectorShuffle.fromOp(B512, i -> i < 32 ? 2 * i : 2 * (i - 32) + 1);
    private static final VectorMask<Byte> LOW_HALF = B512.indexInRange(0, 32);
    /**
     * Most output channels and deepest reduction taken (the limits of the one layer measured):
     * MobileNetV2's 3->32 3x3/2 layer at 224x224 (Q8MobileNetBench -Xbatch, 1 thread, least
     * thread CPU of 61 interleaved rounds, load 14-15, two runs) ran 464 and 467 us against
     * Q8ConvGemm's 515 and 512 (1.10x; float's implicit GEMM: 379 and 373). Its requantization
     * per tile weighs more against a 27-deep product than against the pointwise ones. ResNet-18's
     * first layer, 3->64 7x7 stride 2 (depth 147), also gains: 1200-1266 us against Q8ConvGemm's
     * 1527-1649 (its padded im2col of 147 float rows), Q8ConvViaF32's 1212-1300 when the float
     * kernel under it ran 1163-1182 (CandBench, 1 thread, least thread CPU of 11-15 interleaved
     * rounds, load 2-6). Widening the padded planes to floats once, so that the tile loads floats,
     * lost: 1292 against 1200 in one process.
     */
    static final int MAX_OUTPUTS = 64, MAX_DEPTH = 160;

    private final KernelProvider.Q8ConvSpec spec;
    private final int batch, channels, outChannels, h, w, oh, ow, stride, padTop, padLeft, depth, panels;
    private final int paddedRows, phaseWidth;  // rows of a padded plane, bytes of a row of one column phase
    private final long phaseBytes, channelBytes, planesBytes;
    private final int[] kOff;                  // per tap (c, ki, kj): byte offset from an output's top-left read
    private final float[] packedW;             // [panel][depth][MR]
    private final Q8Gemm.Requant requant;
    private final F32Gemm gemm;
    private final Q8Reusable<Rows> splits = new Q8Reusable<>(Rows::new);

    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || species.vectorBitSize() != 512 || g.group() != 1 || g.spatialRank() != 2) return false;
        long[] ws = g.weightShape();
        int s = g.strides()[0];
        return (s == 1 || s == 2) && g.strides()[1] == s && g.dilations()[0] == 1 && g.dilations()[1] == 1
                && ws[0] <= MAX_OUTPUTS && ws[1] * ws[2] * ws[3] <= MAX_DEPTH && !(ws[2] == 1 && ws[3] == 1)
                && g.outputShape()[3] >= LANES && Q8PointwiseImplicit.correctedBias(spec, (int) (ws[1] * ws[2] * ws[3])) != null;
    }

    Q8ImplicitConv(KernelProvider.Q8ConvSpec spec, F32Gemm gemm) {
        if (!supports(spec, gemm.species())) throw new IllegalArgumentException("not a narrow shallow 8-bit convolution on 512-bit vectors: " + spec);
        this.spec = spec;
        this.gemm = gemm;
        KernelProvider.ConvSpec g = spec.geometry();
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        batch = (int) xs[0];
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        outChannels = (int) ws[0];
        int kh = (int) ws[2], kw = (int) ws[3];
        oh = (int) ys[2];
        ow = (int) ys[3];
        stride = g.strides()[0];
        padTop = g.padsBegin()[0];
        padLeft = g.padsBegin()[1];
        depth = channels * kh * kw;
        panels = (outChannels + MR - 1) / MR;
        paddedRows = (oh - 1) * stride + kh;
        // a tile reads 32 bytes from each output column: the row's last tile reaches 31 past ow
        phaseWidth = ow + (kw - 1) / stride;
        phaseBytes = (long) paddedRows * phaseWidth;
        channelBytes = stride * phaseBytes;
        planesBytes = (channels * channelBytes + NR + 127) & ~63L; // whole 64-byte vectors, see pad
        kOff = new int[depth];
        for (int c = 0; c < channels; c++) {
            for (int ki = 0; ki < kh; ki++) {
                for (int kj = 0; kj < kw; kj++) {
                    kOff[(c * kh + ki) * kw + kj] = (int) (c * channelBytes + (kj % stride) * phaseBytes + (long) ki * phaseWidth + kj / stride);
                }
            }
        }
        packedW = Q8PointwiseImplicit.packWeights(g.constantWeight().data(), outChannels, depth);
        requant = Q8PointwiseImplicit.requant(spec, outChannels, depth);
    }

    @Override
    public long scratchBytes() {
        return planesBytes;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Parallel split = gemm.parallelFor((long) outChannels * depth * oh * ow, par);
        for (int n = 0; n < batch; n++) {
            pad(x, (long) n * channels * h * w, scratch);
            long yAt = (long) n * outChannels * oh * ow;
            if (split.threads() <= 1) {
                rows(scratch, y, yAt, 0, oh);
                continue;
            }
            Rows body = splits.claim();
            body.set(scratch, y, yAt);
            try {
                split.forRange(oh, body);
            } finally {
                body.set(null, null, 0);
                splits.release(body);
            }
        }
    }

    /** One image's output rows as a range body, reused across calls. */
    private final class Rows implements RunContext.RangeBody {
        private MemorySegment planes, y;
        private long yAt;

        void set(MemorySegment planes, MemorySegment y, long yAt) {
            this.planes = planes;
            this.y = y;
            this.yAt = yAt;
        }

        @Override
        public void run(int from, int to) {
            rows(planes, y, yAt, from, to);
        }
    }

    /**
     * The image's channels into the padded planes: {@code zx} everywhere, then each input row at
     * padded row {@code ih + padTop}, column {@code iw + padLeft} in phase {@code col % stride}
     * at {@code col / stride}.
     */
    private void pad(MemorySegment x, long xAt, MemorySegment planes) {
        ByteVector zx = ByteVector.broadcast(B512, (byte) spec.xZeroPoint()); // not asSlice().fill(): no slice object per run
        for (long at = 0; at < planesBytes; at += 64) zx.intoMemorySegment(planes, at, LE);
        for (int c = 0; c < channels; c++) {
            for (int ih = 0; ih < h; ih++) {
                int r = ih + padTop;
                if (r >= paddedRows) break;
                long row = c * channelBytes + (long) r * phaseWidth;
                long src = xAt + ((long) c * h + ih) * w;
                if (stride == 1) {
                    int count = Math.min(w, phaseWidth - padLeft);
                    if (count > 0) MemorySegment.copy(x, src, planes, row + padLeft, count);
                } else {
                    deinterleave(x, src, planes, row, padLeft);
                }
            }
        }
    }

    /** One input row split by column parity into the two phase rows from {@code row}: input column iw to phase (iw + pad) % 2 at (iw + pad) / 2. */
    private void deinterleave(MemorySegment x, long src, MemorySegment planes, long row, int pad) {
        long evenRow = row + (pad % 2) * phaseBytes, oddRow = row + ((pad + 1) % 2) * phaseBytes;
        int evenAt = pad / 2, oddAt = (pad + 1) / 2;
        int i = 0;
        for (; i + 64 <= w; i += 64) {
            int at = i / 2;
            if (evenAt + at + 32 > phaseWidth || oddAt + at + 32 > phaseWidth) break;
            ByteVector v = ByteVector.fromMemorySegment(B512, x, src + i, LE).rearrange(EVEN_ODD);
            v.intoMemorySegment(planes, evenRow + evenAt + at, LE, LOW_HALF);
            v.slice(32).intoMemorySegment(planes, oddRow + oddAt + at, LE, LOW_HALF);
        }
        for (; i < w; i++) {
            int col = i % 2 == 0 ? evenAt + i / 2 : oddAt + i / 2;
            if (col < phaseWidth) planes.set(ValueLayout.JAVA_BYTE, (i % 2 == 0 ? evenRow : oddRow) + col, x.get(ValueLayout.JAVA_BYTE, src + i));
        }
    }

    /** Output rows {@code [i0, i1)}: per row, tiles of 32 outputs, every panel of output channels each. */
    private void rows(MemorySegment planes, MemorySegment y, long yAt, int i0, int i1) {
        float[] acc = TILE.get();
        boolean signed = spec.xSigned();
        int positions = oh * ow;
        for (int i = i0; i < i1; i++) {
            long rowAt = (long) i * stride * phaseWidth;
            for (int j0 = 0; j0 < ow; j0 += NR) {
                int cols = Math.min(NR, ow - j0);
                for (int panel = 0; panel < panels; panel++) {
                    products(depth, packedW, panel * depth * MR, planes, rowAt + j0, kOff, signed, acc);
                    int first = panel * MR;
                    Q8Gemm.requantStore(acc, null, 0, 0, Math.min(MR, outChannels - first), cols, false,
                            y, yAt + (long) first * positions + (long) i * ow + j0, positions, requant, first);
                }
            }
        }
    }

    private static FloatVector widen(ByteVector b, boolean signed) {
        IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, I, 0)
                : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /** As {@link Q8PointwiseImplicit}'s tile, tap p's 32 bytes at {@code xAt + kOff[p]}. */
    private static void products(int k, float[] a, int aAt, MemorySegment x, long xAt, int[] kOff, boolean signed,
                                 float[] acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < k; p++) {
            long xp = xAt + kOff[p];
            FloatVector b0 = widen(ByteVector.fromMemorySegment(B, x, xp, LE), signed);
            FloatVector b1 = widen(ByteVector.fromMemorySegment(B, x, xp + LANES, LE), signed);
            int ap = aAt + MR * p;
            FloatVector wv = FloatVector.broadcast(S, a[ap]);
            c00 = wv.fma(b0, c00);
            c01 = wv.fma(b1, c01);
            wv = FloatVector.broadcast(S, a[ap + 1]);
            c10 = wv.fma(b0, c10);
            c11 = wv.fma(b1, c11);
            wv = FloatVector.broadcast(S, a[ap + 2]);
            c20 = wv.fma(b0, c20);
            c21 = wv.fma(b1, c21);
            wv = FloatVector.broadcast(S, a[ap + 3]);
            c30 = wv.fma(b0, c30);
            c31 = wv.fma(b1, c31);
            wv = FloatVector.broadcast(S, a[ap + 4]);
            c40 = wv.fma(b0, c40);
            c41 = wv.fma(b1, c41);
            wv = FloatVector.broadcast(S, a[ap + 5]);
            c50 = wv.fma(b0, c50);
            c51 = wv.fma(b1, c51);
            wv = FloatVector.broadcast(S, a[ap + 6]);
            c60 = wv.fma(b0, c60);
            c61 = wv.fma(b1, c61);
            wv = FloatVector.broadcast(S, a[ap + 7]);
            c70 = wv.fma(b0, c70);
            c71 = wv.fma(b1, c71);
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, LANES);
        c10.intoArray(acc, 2 * LANES);
        c11.intoArray(acc, 3 * LANES);
        c20.intoArray(acc, 4 * LANES);
        c21.intoArray(acc, 5 * LANES);
        c30.intoArray(acc, 6 * LANES);
        c31.intoArray(acc, 7 * LANES);
        c40.intoArray(acc, 8 * LANES);
        c41.intoArray(acc, 9 * LANES);
        c50.intoArray(acc, 10 * LANES);
        c51.intoArray(acc, 11 * LANES);
        c60.intoArray(acc, 12 * LANES);
        c61.intoArray(acc, 13 * LANES);
        c70.intoArray(acc, 14 * LANES);
        c71.intoArray(acc, 15 * LANES);
    }

    @Override
    public String toString() {
        return "Q8ImplicitConv(512-bit) " + spec;
    }
}
