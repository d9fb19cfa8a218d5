package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit pointwise convolution over few positions (MobileNetV2's 7x7 layers) as
 * {@link F32PointwiseFewPositions}'s GEMM turned round (tile rows are positions, vector lanes
 * output channels) with the int8 weights kept as bytes and widened to float in registers: a layer
 * such as 320->1280 reads 400 KiB of weights per run instead of 1.6 MiB of floats, which in a
 * whole model come from memory, not cache (alone, with its weights in cache, it is 5-10% slower
 * than Q8ConvGemm: see {@link #MIN_WEIGHTS} for the figures that count). Widening a panel's bytes
 * to a float buffer once, then the float tile over it, lost in the model (273.9/280.5 us against 252.6/250.3).
 * The input is widened to exact floats {@code x - zx} while packed; the sums are exact integers (depth at most {@link Q8PointwiseImplicit#MAX_DEPTH}),
 * each output channel's row requantized by {@link Q8Quantize#requantize} (int32 bias added
 * exactly): the bytes of {@link Q8ConvGemm}. 512-bit vectors only. Scratch: the float sums.
 * Thread-safe; channel panels split over the threads of {@link Parallel}.
 * {@code -Dedgerun.java.q8FewPositionsBytes=off} leaves these layers to the kernels before it.
 */
final class Q8PointwiseFewPositionsBytes implements KernelProvider.Q8ConvKernel {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int LANES = 16;
    private static final int NR = 2 * LANES;
    private static final int MR = F32PointwiseFewPositions.MR;

    private final KernelProvider.Q8ConvSpec spec;
    private final int batch, depth, outChannels, positions, panels, rowPanels, outRows;
    private final byte[] wt;      // [panel][depth][NR]: W^T as int8, zero past outChannels
    private final int[] gather;   // lane i: i * NR, a column of the panel buffer
    private final Q8Reusable<Call> calls;

    /**
     * Fewest weights: below, the float weights stay in cache between runs and widening the bytes in
     * every tile costs more than it saves. MobileNetV2 int8, Java kernels, 1 thread, per-node
     * minima over 250 runs with the float model in the same process, two rounds (ProfMin, load 8-9):
     * 320->1280 (409600 weights) 252.6/250.3 us against Q8ConvGemm's 323.8/327.3 (float
     * 264.4-286.0); 160->960 (153600) lost, 111.8-119.3 against 103.7-108.0.
     */
    static final int MIN_WEIGHTS = 1 << 18;

    /**
     * Whether {@code spec} is a pointwise convolution over few positions that
     * {@link F32PointwiseFewPositions} takes, with at least {@link #MIN_WEIGHTS} weights, shallow
     * enough for exact float sums, on 512-bit vectors.
     */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || species.vectorBitSize() != 512 || !g.isPlainPointwise2d()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape();
        return ws[1] <= Q8PointwiseImplicit.MAX_DEPTH && ws[0] * ws[1] >= MIN_WEIGHTS
                && F32PointwiseFewPositions.suits(species, (int) ws[1], (int) ws[0], (int) (xs[2] * xs[3]));
    }

    Q8PointwiseFewPositionsBytes(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not an 8-bit pointwise convolution over few positions: " + spec);
        this.spec = spec;
        long[] xs = spec.geometry().inputShape(), ws = spec.geometry().weightShape();
        batch = (int) xs[0];
        depth = (int) xs[1];
        outChannels = (int) ws[0];
        positions = (int) (xs[2] * xs[3]);
        panels = (outChannels + NR - 1) / NR;
        rowPanels = (positions + MR - 1) / MR;
        outRows = Math.max(rowPanels * MR, (positions + LANES - 1) / LANES * LANES);
        gather = new int[LANES];
        for (int i = 0; i < LANES; i++) gather[i] = i * NR;
        wt = new byte[panels * depth * NR];
        MemorySegment q = spec.geometry().constantWeight().data();
        for (int j = 0; j < outChannels; j++) {
            int at = (j / NR) * depth * NR + j % NR;
            for (int r = 0; r < depth; r++) wt[at + r * NR] = q.get(ValueLayout.JAVA_BYTE, (long) j * depth + r);
        }
        calls = new Q8Reusable<>(Call::new);
    }

    @Override
    public long scratchBytes() {
        return 4L * outChannels * positions;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Call c = calls.claim();
        try {
            c.grow(rowPanels * depth * MR, depth);
            for (int n = 0; n < batch; n++) {
                packPositions(x, (long) n * depth * positions, c.xt, c.row);
                c.y = y;
                c.yOff = (long) n * outChannels * positions;
                c.scratch = scratch;
                if (par.threads() <= 1) c.run(0, panels);
                else par.forRange(panels, c);
            }
        } finally {
            c.y = c.scratch = null;
            calls.release(c);
        }
    }

    /** X^T widened to {@code x - zx} in panels of MR positions: element (r, q) at {@code [q / MR][r][q % MR]}, zero past the positions. */
    private void packPositions(MemorySegment x, long xOff, float[] xt, byte[] row) {
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        for (int r = 0; r < depth; r++) {
            MemorySegment.copy(x, ValueLayout.JAVA_BYTE, xOff + (long) r * positions, row, 0, positions);
            for (int q = 0; q < positions; q++) {
                xt[(q / MR) * depth * MR + r * MR + q % MR] = (signed ? row[q] : row[q] & 0xff) - zx;
            }
        }
    }

    /** Channels {@code [j0, j0 + NR)} of every position: the panel buffer ({@code [position][NR]}) as exact float sums. */
    private void panel(int jp, float[] xt, float[] out) {
        for (int ip = 0; ip < rowPanels; ip++) tile(xt, ip * depth * MR, jp * depth * NR, out, ip * MR * NR);
    }

    private void tile(float[] a, int aAt, int bAt, float[] out, int outAt) {
        byte[] b = wt;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int r = 0; r < depth; r++) {
            int bp = bAt + r * NR;
            FloatVector b0 = widen(b, bp);
            FloatVector b1 = widen(b, bp + LANES);
            int ap = aAt + r * MR;
            FloatVector x = FloatVector.broadcast(F, a[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        storeTile(c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, out, outAt);
    }

    private static void storeTile(FloatVector c00, FloatVector c01, FloatVector c10, FloatVector c11, FloatVector c20,
                                  FloatVector c21, FloatVector c30, FloatVector c31, FloatVector c40, FloatVector c41,
                                  FloatVector c50, FloatVector c51, float[] out, int outAt) {
        c00.intoArray(out, outAt);
        c01.intoArray(out, outAt + LANES);
        c10.intoArray(out, outAt + NR);
        c11.intoArray(out, outAt + NR + LANES);
        c20.intoArray(out, outAt + 2 * NR);
        c21.intoArray(out, outAt + 2 * NR + LANES);
        c30.intoArray(out, outAt + 3 * NR);
        c31.intoArray(out, outAt + 3 * NR + LANES);
        c40.intoArray(out, outAt + 4 * NR);
        c41.intoArray(out, outAt + 4 * NR + LANES);
        c50.intoArray(out, outAt + 5 * NR);
        c51.intoArray(out, outAt + 5 * NR + LANES);
    }

    private static FloatVector widen(byte[] b, int at) {
        return (FloatVector) ByteVector.fromArray(B, b, at).convertShape(VectorOperators.B2F, F, 0);
    }

    /** Channels {@code [j0, j0 + cols)} of the panel buffer transposed into their rows of sums in scratch, then requantized into y. */
    private void requantizePanel(float[] out, int j0, MemorySegment scratch, MemorySegment y, long yOff) {
        int cols = Math.min(NR, outChannels - j0);
        int[] bias = spec.bias();
        float[] multipliers = spec.multipliers();
        for (int j = 0; j < cols; j++) {
            int m = j0 + j;
            long row = 4L * m * positions;
            int q = 0;
            for (; q + LANES <= positions; q += LANES) {
                FloatVector.fromArray(F, out, q * NR + j, gather, 0).intoMemorySegment(scratch, row + 4L * q, LE);
            }
            if (q < positions) {
                FloatVector.fromArray(F, out, q * NR + j, gather, 0)
                        .intoMemorySegment(scratch, row + 4L * q, LE, F.indexInRange(q, positions));
            }
            Q8Quantize.requantize(F, scratch, row, y, yOff + (long) m * positions, positions,
                    bias == null ? 0 : bias[m], multipliers[m], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    /** One call's packed input and operands, kept for the next call ({@link Q8Reusable}); a split call hands out ranges of channel panels. */
    private final class Call implements RunContext.RangeBody {
        float[] xt = new float[0];
        byte[] row = new byte[0];
        MemorySegment y, scratch;
        long yOff;

        void grow(int xtLength, int rowLength) {
            if (xt.length < xtLength) xt = new float[xtLength];
            if (row.length < rowLength) row = new byte[Math.max(rowLength, positions)];
        }

        @Override
        public void run(int from, int to) {
            float[] out = OUT.get();
            if (out.length < outRows * NR) {
                out = new float[outRows * NR];
                OUT.set(out);
            }
            for (int jp = from; jp < to; jp++) {
                panel(jp, xt, out);
                requantizePanel(out, jp * NR, scratch, y, yOff);
            }
        }
    }

    /** Each thread's panel buffer ({@code [position][NR]} sums), grown to the largest seen. */
    private static final ThreadLocal<float[]> OUT = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public String toString() {
        return "Q8PointwiseFewPositionsBytes(512-bit) " + spec;
    }
}
