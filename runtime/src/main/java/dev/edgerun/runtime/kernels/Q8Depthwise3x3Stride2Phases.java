package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
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
 * <p>Exact: the nine products and their sums are integers far below {@code 2^24}, so the sums are
 * those of {@link Q8Depthwise3x3Stride2}, and the bias is added to them as there; the bytes are the
 * same. 512-bit vectors, biases at most {@code 2^24} in magnitude.
 *
 * <p>{@code -Dedgerun.java.q8DepthwiseStride2=off} keeps {@link Q8Depthwise3x3Stride2}.
 */
final class Q8Depthwise3x3Stride2Phases {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int LANES = 16;
    private static final boolean ENABLED = !"off".equals(System.getProperty("edgerun.java.q8DepthwiseStride2"));
    /** Lane indices 0, 2, 4, ... and 1, 3, 5, ... into two concatenated vectors. */
    private static final FloatVector EVEN = Q8Depthwise3x3Stride2.EVEN, ODD = Q8Depthwise3x3Stride2.ODD;

    /** Per thread: the four phase planes (grown, never shrunk). */
    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[1][0]);

    private final KernelProvider.Q8ConvSpec spec;
    private final Depthwise3x3Stride2Phases phases;
    private final int channels, planeIn, planeOut;
    private final byte flip;          // 0x80 for uint8 input: x ^ 0x80 read as int8 is x - 128
    private final int zx;             // the input zero point, less 128 for uint8 input
    private final float[] weights;    // [channels][9]
    private final float[] bias;       // per channel, exact in float

    /** Whether {@code spec} is a convolution this path takes with {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!ENABLED || !Q8Depthwise3x3Stride2.supports(spec, species)) return false;
        return Depthwise3x3Stride2Phases.fits(g.inputShape(), g.outputShape());
    }

    Q8Depthwise3x3Stride2Phases(KernelProvider.Q8ConvSpec spec) {
        this.spec = spec;
        long[] xs = spec.geometry().inputShape(), ys = spec.geometry().outputShape();
        phases = new Depthwise3x3Stride2Phases(xs, ys, LANES);
        channels = (int) xs[1];
        planeIn = (int) (xs[2] * xs[3]);
        planeOut = (int) (ys[2] * ys[3]);
        flip = spec.xSigned() ? 0 : (byte) 0x80;
        zx = spec.xZeroPoint() - (spec.xSigned() ? 0 : 128);
        weights = spec.geometry().constantWeight().toFloatArrayConverted();
        bias = Q8Depthwise3x3.biasAsFloats(spec, channels);
    }

    /** Planes {@code [from, to)} (image-major, channel-minor) of x into y. */
    void planes(MemorySegment x, MemorySegment y, int from, int to) {
        float[][] buffers = PHASES.get();
        if (buffers[0].length < phases.bufferFloats()) buffers[0] = new float[phases.bufferFloats()];
        float[] p = buffers[0];
        for (int plane = from; plane < to; plane++) {
            split(x, (long) plane * planeIn, p);
            plane(p, plane % channels, y, (long) plane * planeOut);
        }
    }

    /**
     * The 8-bit plane at {@code planeAt} into its four phase planes as exact floats {@code x - zx}.
     * The steps that would read past X (the last plane's last ones) read masked, in a loop of their
     * own: one vector that may come from either of two loads made the JIT box it. The widening is
     * written out in each loop: a helper returning the vector was not inlined.
     */
    private void split(MemorySegment x, long planeAt, float[] p) {
        int odd = phases.phaseFloats;
        int[] from = phases.stepFrom, to = phases.stepTo;
        long end = x.byteSize();
        int step = 0, steps = phases.steps;
        for (; step < steps && planeAt + from[step] + 2 * LANES <= end; step++) {
            long at = planeAt + from[step];
            IntVector ia = (IntVector) ByteVector.fromMemorySegment(B, x, at, LE).lanewise(VectorOperators.XOR, flip)
                    .convertShape(VectorOperators.B2I, I, 0);
            IntVector ib = (IntVector) ByteVector.fromMemorySegment(B, x, at + LANES, LE).lanewise(VectorOperators.XOR, flip)
                    .convertShape(VectorOperators.B2I, I, 0);
            FloatVector a = (FloatVector) ia.sub(zx).convert(VectorOperators.I2F, 0);
            FloatVector b = (FloatVector) ib.sub(zx).convert(VectorOperators.I2F, 0);
            EVEN.selectFrom(a, b).intoArray(p, to[step]);
            ODD.selectFrom(a, b).intoArray(p, to[step] + odd);
        }
        for (; step < steps; step++) { // bytes past X read as zeros, whose cells the split drops
            long at = planeAt + from[step];
            IntVector ia = (IntVector) ByteVector.fromMemorySegment(B, x, at, LE, B.indexInRange(at, end))
                    .lanewise(VectorOperators.XOR, flip).convertShape(VectorOperators.B2I, I, 0);
            IntVector ib = (IntVector) ByteVector.fromMemorySegment(B, x, at + LANES, LE, B.indexInRange(at + LANES, end))
                    .lanewise(VectorOperators.XOR, flip).convertShape(VectorOperators.B2I, I, 0);
            FloatVector a = (FloatVector) ia.sub(zx).convert(VectorOperators.I2F, 0);
            FloatVector b = (FloatVector) ib.sub(zx).convert(VectorOperators.I2F, 0);
            EVEN.selectFrom(a, b).intoArray(p, to[step]);
            ODD.selectFrom(a, b).intoArray(p, to[step] + odd);
        }
        phases.zeroBorders(p);
    }

    /** One plane of channel {@code c} from its phase planes into y's bytes from {@code yAt}, the last partial vector masked. */
    private void plane(float[] p, int c, MemorySegment y, long yAt) {
        int k = 9 * c, n = phases.vectors, count = planeOut, down = phases.ow, pf = phases.phaseFloats;
        int ee = 1, eo = 1 + pf, oe = 1 + 2 * pf, oo = 1 + 3 * pf;
        long[] first = phases.firstColumn;
        float[] wt = weights;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        float b = bias[c], multiplier = spec.multipliers()[c];
        int zp = spec.yZeroPoint();
        float qlo = spec.yMin() - zp, qhi = spec.yMax() - zp;
        int offset = Q8Lanes.MAGIC_BITS - zp;
        for (int v = 0; v < n; v++) {
            int q = v * LANES;
            FloatVector left = FloatVector.fromArray(S, p, oo + q - 1).mul(w00);
            left = FloatVector.fromArray(S, p, eo + q - 1).fma(w10, left);
            left = FloatVector.fromArray(S, p, oo + q + down - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(S, p, oe + q).mul(w01);
            mid = FloatVector.fromArray(S, p, ee + q).fma(w11, mid);
            mid = FloatVector.fromArray(S, p, oe + q + down).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(S, p, oo + q).mul(w02);
            right = FloatVector.fromArray(S, p, eo + q).fma(w12, right);
            right = FloatVector.fromArray(S, p, oo + q + down).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(S, first[v]))).add(right);
            o = o.add(b).mul(multiplier);
            o = o.blend(qlo, o.compare(VectorOperators.GE, qlo).not());
            o = o.blend(qhi, o.compare(VectorOperators.GT, qhi));
            IntVector r = o.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            ByteVector bytes = (ByteVector) r.convertShape(VectorOperators.I2B, B, 0);
            if (q + LANES <= count) {
                bytes.intoMemorySegment(y, yAt + q, LE);
            } else {
                bytes.intoMemorySegment(y, yAt + q, LE, B.indexInRange(0, count - q));
            }
        }
    }

    @Override
    public String toString() {
        return "Q8Depthwise3x3Stride2Phases " + spec;
    }
}
