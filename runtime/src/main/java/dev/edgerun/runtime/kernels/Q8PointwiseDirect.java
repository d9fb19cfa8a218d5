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
 * ({@link F32DirectGemm}): one column panel (32 positions) at a time, the panel's input of every
 * channel is widened into a small buffer of exact floats {@code x - zx} ({@code [depth][32]}: it
 * stays in cache) and every row panel of the weights is multiplied by it with {@link Q8Gemm}'s
 * register tile, each finished tile requantized straight into the 8-bit output.
 * {@link Q8ConvGemm} widens the whole input into packed panels first (344 KiB for MobileNetV2's
 * 384->64 at 14x14), which its tiles then read back from further out in the caches.
 *
 * <p>The sums are {@link Q8ConvGemm}'s, formed in the same order (one K block: depth at most
 * {@link Q8Gemm#SINGLE_PASS_K}) and requantized by the same store, so the output bytes are the
 * same. 512-bit vectors only. Thread-safe; the column panels are split over the threads of
 * {@link Parallel} in one part per thread, each part with its own panel buffer.
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
    /** Most parts the column panels are split into, each with its own panel buffer (one per thread). */
    private static final int MAX_PARTS = 8;

    private final KernelProvider.Q8ConvSpec spec;
    private final int batch, depth, outChannels, positions, panels;
    private final float[] packedA;       // the int8 weights as floats, F32Gemm.packA's layout
    private final Q8Gemm.Requant requant;
    private final F32Gemm gemm;          // the threading threshold
    private final Q8Reusable<Parts> splits = new Q8Reusable<>(Parts::new);

    /** Per thread: one tile's accumulators between the products and the store. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    /** Whether this kernel takes {@code spec} on {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || species.vectorBitSize() != 512 || g.group() != 1 || g.spatialRank() != 2) return false;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        boolean pointwise = ws[2] == 1 && ws[3] == 1 && g.strides()[0] == 1 && g.strides()[1] == 1
                && g.padsBegin()[0] == 0 && g.padsBegin()[1] == 0 && ys[2] == xs[2] && ys[3] == xs[3];
        return pointwise && ws[0] >= MIN_OUTPUTS && ws[1] <= Q8Gemm.SINGLE_PASS_K && xs[2] * xs[3] >= NR
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
        packedA = packWeights(spec.geometry().constantWeight().data(), outChannels, depth);
        requant = requant(spec);
    }

    private static Q8Gemm.Requant requant(KernelProvider.Q8ConvSpec spec) {
        float[] bias = new float[spec.multipliers().length];
        for (int m = 0; spec.bias() != null && m < bias.length; m++) bias[m] = spec.bias()[m];
        return new Q8Gemm.Requant(bias, spec.multipliers(), spec.yZeroPoint(), spec.yMin(), spec.yMax());
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

    /** One column panel of the widened input per part: {@code depth x 32} floats each. */
    @Override
    public long scratchBytes() {
        return MAX_PARTS * panelBytes();
    }

    private long panelBytes() {
        return 4L * depth * NR;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Parallel split = gemm.parallelFor((long) outChannels * depth * positions, par);
        int parts = Math.min(panels, Math.min(split.threads(), MAX_PARTS));
        for (int n = 0; n < batch; n++) {
            long xAt = (long) n * depth * positions, yAt = (long) n * outChannels * positions;
            if (parts <= 1) {
                panelRange(x, xAt, y, yAt, scratch, 0, 0, panels);
                continue;
            }
            Parts body = splits.claim();
            body.set(x, xAt, y, yAt, scratch, parts);
            try {
                split.forRange(parts, body);
            } finally {
                body.set(null, 0, null, 0, null, 0);
                splits.release(body);
            }
        }
    }

    /** One image's operands as a range body over parts of its column panels, reused across calls. */
    private final class Parts implements RunContext.RangeBody {
        private MemorySegment x, y, scratch;
        private long xAt, yAt;
        private int parts;

        void set(MemorySegment x, long xAt, MemorySegment y, long yAt, MemorySegment scratch, int parts) {
            this.x = x;
            this.xAt = xAt;
            this.y = y;
            this.yAt = yAt;
            this.scratch = scratch;
            this.parts = parts;
        }

        @Override
        public void run(int from, int to) {
            for (int k = from; k < to; k++) {
                panelRange(x, xAt, y, yAt, scratch, k * panelBytes(), k * panels / parts, (k + 1) * panels / parts);
            }
        }
    }

    /**
     * Column panels {@code [p0, p1)} of one image, each widened into the panel buffer at
     * {@code bufAt} and multiplied by every row panel of the weights, requantized into y.
     */
    private void panelRange(MemorySegment x, long xAt, MemorySegment y, long yAt, MemorySegment scratch, long bufAt,
                            int p0, int p1) {
        float[] acc = TILE.get();
        for (int jp = p0; jp < p1; jp++) {
            int q = jp * NR;
            int cols = Math.min(NR, positions - q);
            widenPanel(x, xAt + q, cols, scratch, bufAt);
            for (int i0 = 0; i0 < outChannels; i0 += MR) {
                Q8Gemm.products(depth, packedA, i0 * depth, scratch, bufAt, 4L * NR, acc);
                Q8Gemm.requantStore(acc, null, 0, 0, Math.min(MR, outChannels - i0), cols, false,
                        y, yAt + (long) i0 * positions + q, positions, requant, i0);
            }
        }
    }

    /**
     * The 32 columns from {@code xAt} of every input channel as exact floats {@code x - zx} into a
     * panel ({@code [depth][32]} from {@code bufAt}). A partial panel ({@code cols < 32}) reads on
     * into the next channel's bytes (finite values in columns no tile stores), except in the last
     * channel, where the plane (and maybe the tensor) ends.
     */
    private void widenPanel(MemorySegment x, long xAt, int cols, MemorySegment buf, long bufAt) {
        // one conversion for both signs: no choice between two in the loop (a vector phi)
        byte flip = (byte) (spec.xSigned() ? 0x80 : 0);
        int zero = spec.xZeroPoint() + (spec.xSigned() ? 128 : 0);
        int rows = cols == NR ? depth : depth - 1;
        long src = xAt, to = bufAt;
        for (int p = 0; p < rows; p++) {
            widenVector(ByteVector.fromMemorySegment(B, x, src, LE), flip, zero).intoMemorySegment(buf, to, LE);
            widenVector(ByteVector.fromMemorySegment(B, x, src + LANES, LE), flip, zero).intoMemorySegment(buf, to + 4L * LANES, LE);
            src += positions;
            to += 4L * NR;
        }
        if (rows < depth) lastPartialRow(x, src, cols, buf, to);
    }

    /** The last channel's row of a partial panel: {@code cols} values, zeros after them. */
    private void lastPartialRow(MemorySegment x, long src, int cols, MemorySegment buf, long to) {
        for (int j = 0; j < NR; j++) {
            float v = j < cols ? Q8MatMul.load(x, src + j, spec.xSigned()) - spec.xZeroPoint() : 0f;
            buf.set(ValueLayout.JAVA_FLOAT_UNALIGNED, to + 4L * j, v);
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
