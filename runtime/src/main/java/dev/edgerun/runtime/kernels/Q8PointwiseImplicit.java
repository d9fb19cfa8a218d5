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
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit 1x1 unit-stride convolution with few output channels (MobileNetV2's projections) or
 * few input channels (its expansions at 112x112 and 56x56, see {@link #WIDE_MAX_DEPTH}) as
 * an implicit GEMM: the register tile ({@link #MR} output channels by 32 positions) loads its B
 * vectors straight from the 8-bit input and widens them in registers, where {@link Q8ConvGemm}
 * first widens the whole input into packed float panels. With few output channels each input is
 * used by few tiles, and packing (a float written and read back per input byte) cost more than
 * widening in registers once per tile: see {@link #MAX_OUTPUTS}.
 *
 * <p>The zero point of x is not subtracted per element: the tile sums {@code w * x} and the
 * per-channel bias becomes {@code bias - zx * sum(w)}. Exact where Q8ConvGemm is: every partial
 * sum is an integer of at most {@code 255 * 127 * K <= 2^24} in magnitude ({@link #MAX_DEPTH}) and
 * the corrected bias is checked to be exact in float32, so {@code sum + bias'} rounds as Q8ConvGemm's
 * {@code sum(w * (x - zx)) + bias} does, and the requantization is {@link Q8Gemm}'s store: the same
 * bytes. 512-bit vectors only (16 float lanes meet a 128-bit byte vector). Thread-safe; tiles of
 * positions are split over the threads of {@link Parallel}.
 */
final class Q8PointwiseImplicit implements KernelProvider.Q8ConvKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int LANES = 16;
    private static final int NR = 2 * LANES;
    /** Output channels per tile: 16 accumulators, two B vectors and a broadcast stay in the 32 registers. */
    static final int MR = 8;
    /** Deepest reduction whose partial sums {@code w * x} stay exact in float32: 255 * 127 * K <= 2^24. */
    static final int MAX_DEPTH = (1 << 24) / (255 * 127);
    /**
     * Few output channels: each input byte is widened once per panel of {@link #MR} channels here,
     * once in all by Q8ConvGemm's packing. Measured per MobileNetV2 pointwise layer
     * (Q8MobileNetBench with -Xbatch, 1 thread, interleaved, least thread CPU of 31 rounds, load
     * 13-14; Q8ConvGemm's time over this kernel's): 32->16@112 1.38, 96->24@56 1.54, 144->24@56
     * 1.51, 144->32@28 1.44, 192->32@28 1.46; at 64 outputs it lost, 192->64@14 0.95, and more
     * outputs lost more (384->96@14 0.83, 64->384@14 0.78 in a run without -Xbatch).
     */
    static final int MAX_OUTPUTS = 32;
    /**
     * Deepest reduction taken whatever the number of outputs, over at least {@link #WIDE_MIN_POSITIONS}
     * positions: with a reduction this short Q8ConvGemm's packing (a float written and read back per
     * input byte) weighs more against the product than widening in each panel's tile. MobileNetV2's wide expansions (CandBench -Xbatch, 1 thread, least thread CPU of 31
     * interleaved rounds, load 7-8; this kernel against Q8ConvGemm): 16->96 at 112x112 268 against
     * 324 us, 24->144 at 56x56 129-131 against 147.5; deeper it gained nothing or lost (32->192 at
     * 28x28 59.0 against 60.1; 64->384 at 14x14 106 against 102, 96->576 165 against 115).
     */
    static final int WIDE_MAX_DEPTH = 24;
    /** Positions of a wide shallow product: 32 full tiles or more, so that the slower last, partial tile counts little. */
    static final int WIDE_MIN_POSITIONS = 32 * NR;

    private final KernelProvider.Q8ConvSpec spec;
    private final int batch, depth, outChannels, positions, panels, tiles;
    private final float[] packedW;      // [panel][depth][MR], zero rows past outChannels
    private final Q8Gemm.Requant requant; // biases corrected for zx, see the class comment
    private final F32Gemm gemm;         // the threading threshold
    private final Q8Reusable<Tiles> splits = new Q8Reusable<>(Tiles::new);

    /** Per thread: one tile's accumulators between the products and the store. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** Whether this kernel takes {@code spec} on {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || species.vectorBitSize() != 512 || !g.isPlainPointwise2d()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        boolean wide = ws[1] <= WIDE_MAX_DEPTH && ys[2] * ys[3] >= WIDE_MIN_POSITIONS;
        return (ws[0] <= MAX_OUTPUTS || wide) && ws[1] <= MAX_DEPTH
                && correctedBias(spec, (int) ws[1]) != null;
    }

    Q8PointwiseImplicit(KernelProvider.Q8ConvSpec spec, F32Gemm gemm) {
        if (!supports(spec, gemm.species())) throw new IllegalArgumentException("not a narrow 8-bit pointwise convolution on 512-bit vectors: " + spec);
        this.spec = spec;
        this.gemm = gemm;
        long[] xs = spec.geometry().inputShape(), ws = spec.geometry().weightShape();
        batch = (int) xs[0];
        depth = (int) xs[1];
        outChannels = (int) ws[0];
        positions = (int) (xs[2] * xs[3]);
        panels = (outChannels + MR - 1) / MR;
        tiles = (positions + NR - 1) / NR;
        packedW = packWeights(spec.geometry().constantWeight().data(), outChannels, depth);
        requant = requant(spec, outChannels, depth);
    }

    /** The requantization with the biases corrected for zx (see the class comment), rows padded to whole panels. */
    static Q8Gemm.Requant requant(KernelProvider.Q8ConvSpec spec, int outChannels, int depth) {
        int rows = (outChannels + MR - 1) / MR * MR;
        float[] bias = new float[rows];
        float[] multipliers = new float[rows];
        System.arraycopy(correctedBias(spec, depth), 0, bias, 0, outChannels);
        System.arraycopy(spec.multipliers(), 0, multipliers, 0, outChannels);
        return new Q8Gemm.Requant(bias, multipliers, spec.yZeroPoint(), spec.yMin(), spec.yMax());
    }

    /**
     * Per output channel {@code bias - zx * sum(w)} over its {@code k} weights as floats, or null
     * where one is not exact in float32.
     */
    static float[] correctedBias(KernelProvider.Q8ConvSpec spec, int k) {
        KernelProvider.ConvSpec g = spec.geometry();
        int m = (int) g.weightShape()[0];
        MemorySegment w = g.constantWeight().data();
        float[] corrected = new float[m];
        for (int i = 0; i < m; i++) {
            long sum = 0;
            for (int p = 0; p < k; p++) sum += w.get(ValueLayout.JAVA_BYTE, (long) i * k + p);
            long b = (spec.bias() == null ? 0 : spec.bias()[i]) - (long) spec.xZeroPoint() * sum;
            if (Math.abs(b) > 1 << 24) return null;
            corrected[i] = b;
        }
        return corrected;
    }

    /** The int8 weights ({@code [outChannels][depth]}) as floats, {@code [panel][depth][MR]}: one broadcast per row and depth, read in order. */
    static float[] packWeights(MemorySegment w, int outChannels, int depth) {
        float[] packed = new float[(outChannels + MR - 1) / MR * depth * MR];
        for (int i = 0; i < outChannels; i++) {
            for (int p = 0; p < depth; p++) {
                packed[(i / MR) * depth * MR + p * MR + i % MR] = w.get(ValueLayout.JAVA_BYTE, (long) i * depth + p);
            }
        }
        return packed;
    }

    @Override
    public long scratchBytes() {
        return 0;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Parallel split = gemm.parallelFor((long) outChannels * depth * positions, par);
        for (int n = 0; n < batch; n++) {
            long xAt = (long) n * depth * positions, yAt = (long) n * outChannels * positions;
            if (split.threads() <= 1) {
                tileRange(x, xAt, y, yAt, 0, tiles);
                continue;
            }
            Tiles body = splits.claim();
            body.set(x, xAt, y, yAt);
            try {
                split.forRange(tiles, body);
            } finally {
                body.set(null, 0, null, 0);
                splits.release(body);
            }
        }
    }

    /** One image's tiles as a range body, reused across calls. */
    private final class Tiles implements RunContext.RangeBody {
        private MemorySegment x, y;
        private long xAt, yAt;

        void set(MemorySegment x, long xAt, MemorySegment y, long yAt) {
            this.x = x;
            this.xAt = xAt;
            this.y = y;
            this.yAt = yAt;
        }

        @Override
        public void run(int from, int to) {
            tileRange(x, xAt, y, yAt, from, to);
        }
    }

    /** Tiles {@code [t0, t1)} of positions, every panel of output channels each, of one image. */
    private void tileRange(MemorySegment x, long xAt, MemorySegment y, long yAt, int t0, int t1) {
        float[] acc = TILE.get();
        boolean signed = spec.xSigned();
        for (int t = t0; t < t1; t++) {
            int q = t * NR;
            int cols = Math.min(NR, positions - q);
            for (int panel = 0; panel < panels; panel++) {
                int aAt = panel * depth * MR;
                if (cols == NR) {
                    products(depth, packedW, aAt, x, xAt + q, positions, signed, acc);
                } else {
                    tailProducts(depth, packedW, aAt, x, xAt + q, positions, signed, cols, acc);
                }
                int first = panel * MR;
                Q8Gemm.requantStore(acc, null, 0, 0, Math.min(MR, outChannels - first), cols, false,
                        y, yAt + (long) first * positions + q, positions, requant, first);
            }
        }
    }

    /** The input bytes at {@code at} as exact floats (16 lanes). */
    private static FloatVector widen(ByteVector b, boolean signed) {
        IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, I, 0)
                : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        return (FloatVector) v.convert(VectorOperators.I2F, 0);
    }

    /**
     * The MR x 32 tile {@code sum_p w[i, p] * x[p, q..q+32]} over {@code k} input channels
     * ({@code rowStride} bytes apart from {@code xAt}) into {@code acc}, row r's two vectors at
     * {@code 2 * r * LANES}. Apart from the store, as {@link Q8Gemm#products} (see there why).
     */
    private static void products(int k, float[] a, int aAt, MemorySegment x, long xAt, long rowStride, boolean signed,
                                 float[] acc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        long xp = xAt;
        for (int p = 0; p < k; p++) {
            FloatVector b0 = widen(ByteVector.fromMemorySegment(B, x, xp, LE), signed);
            FloatVector b1 = widen(ByteVector.fromMemorySegment(B, x, xp + LANES, LE), signed);
            int ap = aAt + MR * p;
            FloatVector w = FloatVector.broadcast(S, a[ap]);
            c00 = w.fma(b0, c00);
            c01 = w.fma(b1, c01);
            w = FloatVector.broadcast(S, a[ap + 1]);
            c10 = w.fma(b0, c10);
            c11 = w.fma(b1, c11);
            w = FloatVector.broadcast(S, a[ap + 2]);
            c20 = w.fma(b0, c20);
            c21 = w.fma(b1, c21);
            w = FloatVector.broadcast(S, a[ap + 3]);
            c30 = w.fma(b0, c30);
            c31 = w.fma(b1, c31);
            w = FloatVector.broadcast(S, a[ap + 4]);
            c40 = w.fma(b0, c40);
            c41 = w.fma(b1, c41);
            w = FloatVector.broadcast(S, a[ap + 5]);
            c50 = w.fma(b0, c50);
            c51 = w.fma(b1, c51);
            w = FloatVector.broadcast(S, a[ap + 6]);
            c60 = w.fma(b0, c60);
            c61 = w.fma(b1, c61);
            w = FloatVector.broadcast(S, a[ap + 7]);
            c70 = w.fma(b0, c70);
            c71 = w.fma(b1, c71);
            xp += rowStride;
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

    /** {@link #products} of the last, partial tile: {@code cols < 32} positions, masked loads (no read past the plane). */
    private static void tailProducts(int k, float[] a, int aAt, MemorySegment x, long xAt, long rowStride, boolean signed,
                                     int cols, float[] acc) {
        VectorMask<Byte> m0 = B.indexInRange(0, cols), m1 = B.indexInRange(LANES, cols);
        for (int r = 0; r < MR; r++) {
            FloatVector s0 = FloatVector.zero(S), s1 = s0;
            long xp = xAt;
            for (int p = 0; p < k; p++) {
                FloatVector w = FloatVector.broadcast(S, a[aAt + MR * p + r]);
                s0 = w.fma(widen(ByteVector.fromMemorySegment(B, x, xp, LE, m0), signed), s0);
                s1 = w.fma(widen(ByteVector.fromMemorySegment(B, x, xp + LANES, LE, m1), signed), s1);
                xp += rowStride;
            }
            s0.intoArray(acc, 2 * r * LANES);
            s1.intoArray(acc, (2 * r + 1) * LANES);
        }
    }

    @Override
    public String toString() {
        return "Q8PointwiseImplicit(512-bit) " + spec;
    }
}
