package dev.edgerun.runtime.kernels;

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
 * The planes of an 8-bit depthwise 3x3 convolution with strides 2, unit dilations and one pixel
 * of padding before each axis, in the way of {@link F32Depthwise3x3Stride2}: the split of each
 * plane into four phase planes on a per-thread heap buffer ({@link Depthwise3x3Stride2Phases})
 * reads the 8-bit input and stores {@code x - zx} as exact floats; each output vector takes its
 * nine taps as contiguous loads over the flat positions of several output rows, is requantized in
 * registers ({@link Q8Lanes#requantize}'s lane operations, as {@link Q8Depthwise3x3Stride2}) and
 * stored as bytes, the plane's last vector masked. {@link Q8Depthwise3x3Stride2}, which this
 * replaces, widened each plane unsplit and paid three two-vector selects per kernel row for each
 * output vector, and went row by row (one vector of a 14- or 28-wide row: mostly empty lanes).
 *
 * <p>As {@link Q8Depthwise3x3}: the input and output bytes pass through per-thread heap arrays,
 * copied once per batch of planes, the bias starts the middle column's sum and the clamp is on the
 * rounded integers. MobileNetV2's stride-2 layers, int8 against float ({@code Q8MobileNetBench},
 * one thread, load 9), with the split's lane indices as below: 96@112 0.93, 144@56 0.80 (1.38
 * reading and writing the segments, float clamp, constant index vectors), 192@28 0.93 (1.42),
 * 576@14 1.12 (1.32).
 *
 * <p>Exact: the nine products and their sums with the bias are integers below {@code 2^24}, so the
 * sums are those of {@link Q8Depthwise3x3Stride2}; rounding before clamping to integer bounds
 * gives the same bytes. 512-bit vectors, sums in the range that {@link Q8Depthwise3x3#inRange}
 * checks (others run on {@link Q8Depthwise3x3Stride2}).
 *
 * <p>{@code -Dedgerun.java.q8DepthwiseStride2=off} keeps {@link Q8Depthwise3x3Stride2};
 * {@code -Dedgerun.java.q8DepthwiseStride2ColumnSums=off} loads each of the nine taps
 * ({@link #planeNineLoads}) instead of summing the outer columns from shared loads ({@link #plane}).
 */
final class Q8Depthwise3x3Stride2Phases {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int LANES = 16;
    private static final boolean ENABLED = !"off".equals(System.getProperty("edgerun.java.q8DepthwiseStride2"));
    /**
     * Lane indices 0, 2, 4, ... and 1, 3, 5, ... into two concatenated vectors, made into vectors in
     * {@link #split} as {@link F32Depthwise3x3Stride2} does: selecting with the constant vectors of
     * {@link Q8Depthwise3x3Stride2} took the split twice as long (one thread, 96@112x112 planes 144
     * against 84 us, 576@14x14 30 against 15).
     */
    private static final float[] EVEN_LANES = new float[LANES], ODD_LANES = new float[LANES];

    static {
        for (int l = 0; l < LANES; l++) {
            EVEN_LANES[l] = 2 * l;
            ODD_LANES[l] = 2 * l + 1;
        }
    }

    /** Per thread: the four phase planes (grown, never shrunk). */
    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[1][0]);

    private final KernelProvider.Q8ConvSpec spec;
    private final Depthwise3x3Stride2Phases phases;
    private final int channels, planeIn, planeOut;
    private final boolean narrow;     // rows of at most one vector: see splitNarrow
    private final boolean columnSums; // outer kernel columns summed from shared loads (plane), else each tap loaded (planeNineLoads)
    private final byte flip;          // 0x80 for uint8 input: x ^ 0x80 read as int8 is x - 128
    private final int zx;             // the input zero point, less 128 for uint8 input
    private final float[] weights;    // [channels][9]
    private final float[] bias;       // per channel, exact in float

    /** Whether {@code spec} is a convolution this path takes with {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!ENABLED || !Q8Depthwise3x3Stride2.supports(spec, species) || !Q8Depthwise3x3.inRange(spec)) return false;
        return Depthwise3x3Stride2Phases.fits(g.inputShape(), g.outputShape());
    }

    Q8Depthwise3x3Stride2Phases(KernelProvider.Q8ConvSpec spec) {
        this.spec = spec;
        long[] xs = spec.geometry().inputShape(), ys = spec.geometry().outputShape();
        phases = new Depthwise3x3Stride2Phases(xs, ys, LANES);
        channels = (int) xs[1];
        planeIn = (int) (xs[2] * xs[3]);
        narrow = xs[3] <= LANES;
        planeOut = (int) (ys[2] * ys[3]);
        flip = spec.xSigned() ? 0 : (byte) 0x80;
        zx = spec.xZeroPoint() - (spec.xSigned() ? 0 : 128);
        weights = spec.geometry().constantWeight().toFloatArrayConverted();
        bias = Q8Depthwise3x3.biasAsFloats(spec, channels);
        columnSums = !"off".equals(System.getProperty("edgerun.java.q8DepthwiseStride2ColumnSums"));
    }

    /**
     * Planes {@code [from, to)} (image-major, channel-minor) of x into y, in batches of about
     * {@link Q8Depthwise3x3#BATCH_BYTES} input bytes: the batch's input copied at once into a heap
     * array, each plane split from it and convolved into a heap output array copied to y at once.
     */
    void planes(MemorySegment x, MemorySegment y, int from, int to) {
        int batch = Math.max(1, Q8Depthwise3x3.BATCH_BYTES / planeIn);
        float[][] buffers = PHASES.get();
        if (buffers[0].length < phases.bufferFloats()) buffers[0] = new float[phases.bufferFloats()];
        float[] p = buffers[0];
        // the split of a batch's last plane reads up to phases.reach bytes from its start, and whole vectors
        byte[] in = Q8Depthwise3x3.inBytes((batch - 1) * planeIn + (int) Math.max(phases.reach, planeIn) + 2 * LANES);
        byte[] out = Q8Depthwise3x3.outBytes(batch * planeOut + LANES);
        for (int first = from; first < to; first += batch) {
            int end = Math.min(to, first + batch);
            MemorySegment.copy(x, ValueLayout.JAVA_BYTE, (long) first * planeIn, in, 0, (end - first) * planeIn);
            for (int plane = first; plane < end; plane++) {
                if (narrow) splitNarrow(in, (plane - first) * planeIn, p);
                else split(in, (plane - first) * planeIn, p);
                if (columnSums) plane(p, plane % channels, out, (plane - first) * planeOut);
                else planeNineLoads(p, plane % channels, out, (plane - first) * planeOut);
            }
            MemorySegment.copy(out, 0, y, ValueLayout.JAVA_BYTE, (long) first * planeOut, (end - first) * planeOut);
        }
    }

    /**
     * The 8-bit plane at {@code planeAt} of {@code in} into its four phase planes as exact floats
     * {@code x - zx}; steps that read past the plane read the next plane's bytes or the array's
     * slack, whose cells the split drops or {@link Depthwise3x3Stride2Phases#zeroBorders} zeroes.
     */
    private void split(byte[] in, int planeAt, float[] p) {
        int oddPhases = phases.phaseFloats;
        int[] from = phases.stepFrom, to = phases.stepTo;
        FloatVector even = FloatVector.fromArray(S, EVEN_LANES, 0), odd = FloatVector.fromArray(S, ODD_LANES, 0);
        for (int step = 0; step < phases.steps; step++) {
            int at = planeAt + from[step];
            IntVector ia = (IntVector) ByteVector.fromArray(B, in, at).lanewise(VectorOperators.XOR, flip)
                    .convertShape(VectorOperators.B2I, I, 0);
            IntVector ib = (IntVector) ByteVector.fromArray(B, in, at + LANES).lanewise(VectorOperators.XOR, flip)
                    .convertShape(VectorOperators.B2I, I, 0);
            FloatVector a = (FloatVector) ia.sub(zx).convert(VectorOperators.I2F, 0);
            FloatVector b = (FloatVector) ib.sub(zx).convert(VectorOperators.I2F, 0);
            even.selectFrom(a, b).intoArray(p, to[step]);
            odd.selectFrom(a, b).intoArray(p, to[step] + oddPhases);
        }
        phases.zeroBorders(p);
    }

    /**
     * {@link #split} for rows of at most {@value #LANES} elements (MobileNetV2's 14x14 planes), one
     * step per row: the step's second vector would hold only lanes that the split drops, so its
     * load and widening are skipped and the first vector is selected from twice.
     */
    private void splitNarrow(byte[] in, int planeAt, float[] p) {
        int oddPhases = phases.phaseFloats;
        int[] from = phases.stepFrom, to = phases.stepTo;
        FloatVector even = FloatVector.fromArray(S, EVEN_LANES, 0), odd = FloatVector.fromArray(S, ODD_LANES, 0);
        for (int step = 0; step < phases.steps; step++) {
            IntVector ia = (IntVector) ByteVector.fromArray(B, in, planeAt + from[step]).lanewise(VectorOperators.XOR, flip)
                    .convertShape(VectorOperators.B2I, I, 0);
            FloatVector a = (FloatVector) ia.sub(zx).convert(VectorOperators.I2F, 0);
            even.selectFrom(a, a).intoArray(p, to[step]);
            odd.selectFrom(a, a).intoArray(p, to[step] + oddPhases);
        }
        phases.zeroBorders(p);
    }

    /**
     * One plane of channel {@code c} from its phase planes into {@code y}'s bytes from {@code yAt}
     * (the last vector may write up to 15 bytes past the plane, overwritten by the next plane or into
     * the array's slack), as {@link F32Depthwise3x3Stride2}'s column sums: the left and right kernel
     * columns' sums from the same three loads, the left one shifted right by a lane and left out in
     * output column 0 (a masked add); six loads per output vector. The sums are integers, so the
     * bytes are {@link #planeNineLoads}'s; the bias and the clamp as {@link Q8Depthwise3x3}'s.
     */
    private void plane(float[] p, int c, byte[] y, int yAt) {
        int k = 9 * c, n = phases.vectors, down = phases.ow, pf = phases.phaseFloats;
        int ee = 1, eo = 1 + pf, oe = 1 + 2 * pf, oo = 1 + 3 * pf;
        long[] first = phases.firstColumn;
        float[] wt = weights;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        FloatVector b = FloatVector.broadcast(S, bias[c]);
        float multiplier = spec.multipliers()[c];
        int offset = Q8Lanes.MAGIC_BITS - spec.yZeroPoint(), lo = spec.yMin(), hi = spec.yMax();
        FloatVector fromLeft = FloatVector.fromArray(S, F32Depthwise3x3.LANE_INDICES, LANES - 1);
        FloatVector leftBefore = FloatVector.zero(S); // lane 0's left neighbour lies in column 0's masked lanes
        for (int v = 0; v < n; v++) {
            int q = v * LANES;
            FloatVector above = FloatVector.fromArray(S, p, oo + q), at = FloatVector.fromArray(S, p, eo + q);
            FloatVector below = FloatVector.fromArray(S, p, oo + q + down);
            FloatVector left = below.fma(w20, at.fma(w10, above.mul(w00)));
            FloatVector right = below.fma(w22, at.fma(w12, above.mul(w02)));
            FloatVector mid = FloatVector.fromArray(S, p, oe + q).fma(w01, b);
            mid = FloatVector.fromArray(S, p, ee + q).fma(w11, mid);
            mid = FloatVector.fromArray(S, p, oe + q + down).fma(w21, mid);
            FloatVector o = mid.add(fromLeft.selectFrom(leftBefore, left), VectorMask.fromLong(S, ~first[v])).add(right);
            IntVector r = o.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
            ((ByteVector) r.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yAt + q);
            leftBefore = left;
        }
    }

    /** One plane as {@link #plane}, each of the nine taps loaded, the left column's sum blended to zero in output column 0. */
    private void planeNineLoads(float[] p, int c, byte[] y, int yAt) {
        int k = 9 * c, n = phases.vectors, down = phases.ow, pf = phases.phaseFloats;
        int ee = 1, eo = 1 + pf, oe = 1 + 2 * pf, oo = 1 + 3 * pf;
        long[] first = phases.firstColumn;
        float[] wt = weights;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        FloatVector b = FloatVector.broadcast(S, bias[c]);
        float multiplier = spec.multipliers()[c];
        int offset = Q8Lanes.MAGIC_BITS - spec.yZeroPoint(), lo = spec.yMin(), hi = spec.yMax();
        for (int v = 0; v < n; v++) {
            int q = v * LANES;
            FloatVector left = FloatVector.fromArray(S, p, oo + q - 1).mul(w00);
            left = FloatVector.fromArray(S, p, eo + q - 1).fma(w10, left);
            left = FloatVector.fromArray(S, p, oo + q + down - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(S, p, oe + q).fma(w01, b);
            mid = FloatVector.fromArray(S, p, ee + q).fma(w11, mid);
            mid = FloatVector.fromArray(S, p, oe + q + down).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(S, p, oo + q).mul(w02);
            right = FloatVector.fromArray(S, p, eo + q).fma(w12, right);
            right = FloatVector.fromArray(S, p, oo + q + down).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(S, first[v]))).add(right);
            IntVector r = o.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
            ((ByteVector) r.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yAt + q);
        }
    }

    @Override
    public String toString() {
        return "Q8Depthwise3x3Stride2Phases " + spec;
    }
}
