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
 * The 8-bit 1x1 unit-stride convolution over 32 positions or more with more outputs than
 * {@link Q8PointwiseImplicit} takes, shaped as the float path's direct pointwise product
 * ({@link F32DirectGemm}, which reads its input in place): the input is widened once, in order,
 * into a plain float matrix {@code x - zx} ({@code [depth][positions]}, rows padded to whole
 * vectors) and {@link Q8Gemm}'s register tile reads its B rows there, requantizing each finished
 * tile straight into the 8-bit output. {@link Q8ConvGemm} writes the same floats into packed
 * panels, row by row of the input into 32-float runs of every panel, which cost more (warm,
 * 1 thread, least of 2000 calls: 384->64 at 14x14 58.8 us against 53.4 here, float 45.2;
 * 576->96 117.0 against 108.5, float 98.6).
 *
 * <p>The sums are {@link Q8ConvGemm}'s, formed in the same order (one K block: depth at most
 * {@link Q8Gemm#SINGLE_PASS_K}) and requantized by the same store, so the output bytes are the
 * same. 512-bit vectors only. Thread-safe; the widening (by rows), then the column panels, are
 * split over the threads of {@link Parallel}.
 * {@code -Dedgerun.java.q8PointwiseDirect=off} keeps these convolutions on {@link Q8ConvGemm}.
 */
final class Q8PointwiseDirect implements KernelProvider.Q8ConvKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int LANES = 16;
    private static final int NR = 2 * LANES;
    private static final int MR = F32Gemm.MR;
    /** {@value}: {@code off} keeps 8-bit pointwise convolutions on {@link Q8ConvGemm}; read when a kernel is chosen. */
    static final String PROPERTY = "edgerun.java.q8PointwiseDirect";
    /** Fewest output channels: narrower products go to {@link Q8PointwiseImplicit} (see its MAX_OUTPUTS). */
    static final int MIN_OUTPUTS = Q8PointwiseImplicit.MAX_OUTPUTS + 1;
    /** Parts of the widening handed to the threads: as many as the engine's worker pool makes for two threads. */
    private static final int WIDEN_PARTS = 8;

    private final KernelProvider.Q8ConvSpec spec;
    private final int batch, depth, outChannels, positions, panels;
    /**
     * Floats per row of the widened input: positions rounded up to whole vectors, so that rows
     * start 64-byte aligned (B loads split across cache lines otherwise). Widening a 32-column
     * panel of every row at a time into a small buffer read the input 196 bytes apart per row and
     * cost 10.5 us of 384->64 at 14x14 (warm, 1 thread) against about 3 in one pass in order.
     */
    private final int ldb;
    private final float[] packedA;       // the int8 weights as floats, F32Gemm.packA's layout
    private final Q8Gemm.Requant requant;
    private final F32Gemm gemm;          // the threading threshold
    private final Q8Reusable<Parts> splits = new Q8Reusable<>(Parts::new);

    /** Per thread: one tile's accumulators between the products and the store. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** Whether this kernel takes {@code spec} on {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || species.vectorBitSize() != 512 || !g.isPlainPointwise2d()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape();
        return ws[0] >= MIN_OUTPUTS && ws[1] <= Q8Gemm.SINGLE_PASS_K && xs[2] * xs[3] >= NR
                && Q8Gemm.supports(species, spec.bias()) && !"off".equals(System.getProperty(PROPERTY));
    }

    Q8PointwiseDirect(KernelProvider.Q8ConvSpec spec, F32Gemm gemm) {
        if (!supports(spec, gemm.species())) throw new IllegalArgumentException("not an 8-bit pointwise convolution for Q8PointwiseDirect: " + spec);
        this.spec = spec;
        this.gemm = gemm;
        long[] xs = spec.geometry().inputShape(), ws = spec.geometry().weightShape();
        batch = (int) xs[0];
        depth = (int) xs[1];
        outChannels = (int) ws[0];
        positions = (int) (xs[2] * xs[3]);
        panels = (positions + NR - 1) / NR;
        ldb = (positions + LANES - 1) / LANES * LANES;
        packedA = packWeights(spec.geometry().constantWeight().data(), outChannels, depth);
        requant = Q8ConvGemm.requantOf(spec);
    }

    /** The int8 weights ({@code [m][k]}) as floats in {@link F32Gemm#packA}'s layout ({@code [panel][k][MR]}, zero rows past m). */
    private static float[] packWeights(MemorySegment w, int m, int k) {
        float[] packed = new float[(m + MR - 1) / MR * MR * k];
        for (int i = 0; i < m; i++) {
            int at = (i / MR) * MR * k + i % MR;
            for (int p = 0; p < k; p++) packed[at + p * MR] = w.get(ValueLayout.JAVA_BYTE, (long) i * k + p);
        }
        return packed;
    }

    /** The widened input of one image ({@code depth} rows of {@link #ldb} floats) and the zeros after it that the last tile reads. */
    @Override
    public long scratchBytes() {
        return 4L * depth * ldb + 4L * NR;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Parallel split = gemm.parallelFor((long) outChannels * depth * positions, par);
        long widened = 4L * depth * ldb;
        FloatVector.zero(S).intoMemorySegment(scratch, widened, LE);
        FloatVector.zero(S).intoMemorySegment(scratch, widened + 4L * LANES, LE);
        for (int n = 0; n < batch; n++) {
            long xAt = (long) n * depth * positions, yAt = (long) n * outChannels * positions;
            if (split.threads() <= 1) {
                widenRows(x, xAt, scratch, 0, depth);
                panelRange(y, yAt, scratch, 0, panels);
                continue;
            }
            Parts body = splits.claim();
            body.set(x, xAt, y, yAt, scratch);
            try {
                body.stage(Stage.WIDEN, Math.min(depth, WIDEN_PARTS), split);
                body.stage(Stage.PANELS, panels, split);
            } finally {
                body.set(null, 0, null, 0, null);
                splits.release(body);
            }
        }
    }

    private enum Stage { WIDEN, PANELS }

    /** One image's operands and the stage it hands to the threads, as a range body reused across calls. */
    private final class Parts implements RunContext.RangeBody {
        private MemorySegment x, y, scratch;
        private long xAt, yAt;
        private Stage stage;

        void set(MemorySegment x, long xAt, MemorySegment y, long yAt, MemorySegment scratch) {
            this.x = x;
            this.xAt = xAt;
            this.y = y;
            this.yAt = yAt;
            this.scratch = scratch;
        }

        void stage(Stage stage, int n, Parallel par) {
            this.stage = stage;
            par.forRange(n, this);
        }

        @Override
        public void run(int from, int to) {
            if (stage == Stage.PANELS) {
                panelRange(y, yAt, scratch, from, to);
            } else {
                int parts = Math.min(depth, WIDEN_PARTS);
                widenRows(x, xAt, scratch, from * depth / parts, to * depth / parts);
            }
        }
    }

    /**
     * Column panels {@code [p0, p1)} of one image, every tile of each. A partial last panel's
     * tiles read on into the next row's columns (the zeros after the last row) and store only the
     * plane's columns.
     */
    private void panelRange(MemorySegment y, long yAt, MemorySegment scratch, int p0, int p1) {
        float[] acc = TILE.get();
        for (int jp = p0; jp < p1; jp++) {
            int q = jp * NR;
            int cols = Math.min(NR, positions - q);
            for (int i0 = 0; i0 < outChannels; i0 += MR) {
                Q8Gemm.products(depth, packedA, i0 * depth, scratch, 4L * q, 4L * ldb, acc);
                Q8Gemm.requantStore(acc, null, 0, 0, Math.min(MR, outChannels - i0), cols, false,
                        y, yAt + (long) i0 * positions + q, positions, requant, i0);
            }
        }
    }

    /**
     * Input channels {@code [r0, r1)} of the image at {@code xAt} as exact floats {@code x - zx},
     * rows {@link #ldb} floats apart, in one loop over all their vectors, reading the input in
     * order (see {@link #ldb} for what else was slower). A row's last vector reads on into the
     * next row's bytes (finite values in columns no tile stores); the image's last row ends with
     * zeros past the plane, then its last 16 values.
     */
    private void widenRows(MemorySegment x, long xAt, MemorySegment dst, int r0, int r1) {
        if (r0 >= r1) return;
        // one conversion for both signs: no choice between two in the loop (a vector phi)
        byte flip = (byte) (spec.xSigned() ? 0x80 : 0);
        int zero = spec.xZeroPoint() + (spec.xSigned() ? 128 : 0);
        long src = xAt + (long) r0 * positions, to = 4L * r0 * ldb;
        long vectors = (long) (r1 - r0) * (ldb / LANES) - (r1 == depth ? 1 : 0);
        int q = 0;
        for (long v = 0; v < vectors; v++) {
            widenVector(ByteVector.fromMemorySegment(B, x, src + q, LE), flip, zero).intoMemorySegment(dst, to + 4L * q, LE);
            q += LANES;
            if (q >= positions) {
                q = 0;
                src += positions;
                to += 4L * ldb;
            }
        }
        if (r1 == depth) {
            FloatVector.zero(S).intoMemorySegment(dst, to + 4L * (ldb - LANES), LE);
            int last = positions - LANES;
            widenVector(ByteVector.fromMemorySegment(B, x, src + last, LE), flip, zero).intoMemorySegment(dst, to + 4L * last, LE);
        }
    }

    /** 16 input bytes as exact floats {@code x - zx}: signed bytes with their top bit flipped read as unsigned ones 128 higher. */
    private static FloatVector widenVector(ByteVector b, byte flip, int zero) {
        IntVector v = (IntVector) b.lanewise(VectorOperators.XOR, flip).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        return (FloatVector) v.sub(zero).convert(VectorOperators.I2F, 0);
    }

    @Override
    public String toString() {
        return "Q8PointwiseDirect(512-bit) " + spec;
    }
}
