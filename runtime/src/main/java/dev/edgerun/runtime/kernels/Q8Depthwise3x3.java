package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The planes of an 8-bit depthwise 3x3 convolution with unit strides and dilations and one pixel
 * of padding on every side (output as large as the input: MobileNetV2's stride-1 layers), in the
 * way of {@link F32Depthwise3x3}: each plane is widened ({@code x - zx} as exact floats) into a
 * per-thread heap buffer between rows of zeros; per output vector, the three kernel columns are
 * summed from nine loads at {@code q + (ki-1)*w + kj-1} times weights broadcast once per plane,
 * the outer two blended to zero in the lanes of the first and last output columns; the sum is
 * requantized in registers ({@link Q8Lanes#requantize}'s lane operations) and stored as bytes.
 *
 * <p>Exact: the nine products and their sums are integers far below {@code 2^24}, so any order of
 * addition gives the integer sum, and the bias is added to it as {@link Q8Lanes#requantize} adds
 * it; the bytes are those of {@link Q8DepthwiseConv}'s other paths. 512-bit vectors (16 float
 * lanes meet a 128-bit byte vector), biases at most {@code 2^24} in magnitude.
 */
final class Q8Depthwise3x3 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int LANES = 16;

    private final KernelProvider.Q8ConvSpec spec;
    private final int channels, w, planeFloats, vectors, wholeVectors;
    private final int lead;          // zeros before a plane copy: at least w + 1, whole vectors
    private final int framedFloats;  // lead zeros, the plane, zeros up to the last vector's reach
    private final long[] firstColumn; // per output vector: lanes in output column 0 (no left neighbour)
    private final long[] lastColumn;  // per output vector: lanes in output column w - 1 (no right neighbour)
    private final float[] weights;    // [channels][9]
    private final float[] bias;       // per channel, exact in float

    /** Per thread: the zero-framed widened plane (grown, never shrunk), see {@link #framedBuffer}. */
    private static final ThreadLocal<float[][]> FRAMED = ThreadLocal.withInitial(() -> new float[1][0]);

    /** Whether {@code spec} is a convolution this path takes with {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!Q8Gemm.supports(species, spec.bias()) || g.spatialRank() != 2 || !g.isDepthwise()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        return ws[2] == 3 && ws[3] == 3 && g.strides()[0] == 1 && g.strides()[1] == 1
                && g.dilations()[0] == 1 && g.dilations()[1] == 1 && g.padsBegin()[0] == 1 && g.padsBegin()[1] == 1
                && ys[2] == xs[2] && ys[3] == xs[3] && xs[2] * xs[3] <= F32Depthwise3x3.MAX_PLANE;
    }

    Q8Depthwise3x3(KernelProvider.Q8ConvSpec spec) {
        this.spec = spec;
        long[] xs = spec.geometry().inputShape();
        channels = (int) xs[1];
        w = (int) xs[3];
        planeFloats = (int) (xs[2] * xs[3]);
        vectors = (planeFloats + LANES - 1) / LANES;
        wholeVectors = planeFloats / LANES;
        lead = roundUp(w + 1);
        framedFloats = lead + vectors * LANES + roundUp(w + 1);
        firstColumn = new long[vectors];
        lastColumn = new long[vectors];
        for (int q = 0; q < vectors * LANES; q++) {
            if (q % w == 0) firstColumn[q / LANES] |= 1L << (q % LANES);
            if (q % w == w - 1) lastColumn[q / LANES] |= 1L << (q % LANES);
        }
        weights = spec.geometry().constantWeight().toFloatArrayConverted();
        bias = biasAsFloats(spec, channels);
    }

    /** Planes {@code [from, to)} (image-major, channel-minor) of x into y. */
    void planes(MemorySegment x, MemorySegment y, int from, int to) {
        float[] framed = framedBuffer(framedFloats, lead, planeFloats);
        for (int plane = from; plane < to; plane++) {
            long at = (long) plane * planeFloats;
            widen(spec, x, at, planeFloats, framed, lead);
            plane(framed, plane % channels, y, at);
        }
    }

    /**
     * The calling thread's buffer for a zero-framed plane of {@code framedFloats} (grown, never
     * shrunk; shared by both 3x3 int8 depthwise kernels, which a thread runs one at a time), with
     * the {@code lead} floats before the plane's {@code planeFloats} and the rest after it zeroed.
     */
    static float[] framedBuffer(int framedFloats, int lead, int planeFloats) {
        float[][] buffers = FRAMED.get();
        if (buffers[0].length < framedFloats) buffers[0] = new float[framedFloats];
        float[] framed = buffers[0];
        Arrays.fill(framed, 0, lead, 0f);
        Arrays.fill(framed, lead + planeFloats, framedFloats, 0f);
        return framed;
    }

    /** {@code count} bytes of x from {@code xAt} as exact floats {@code x - zx} into {@code framed} from {@code lead}. */
    static void widen(KernelProvider.Q8ConvSpec spec, MemorySegment x, long xAt, int count, float[] framed, int lead) {
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        int i = 0;
        for (; i + LANES <= count; i += LANES) {
            ByteVector b = ByteVector.fromMemorySegment(B, x, xAt + i, LE);
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, I, 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) v.sub(zx).convert(VectorOperators.I2F, 0)).intoArray(framed, lead + i);
        }
        for (; i < count; i++) framed[lead + i] = Q8Quantize.load(x, xAt + i, signed) - zx;
    }

    /** The per-channel biases of {@code spec} as floats (exact: {@link Q8Gemm#supports} checked their size); zeros when absent. */
    static float[] biasAsFloats(KernelProvider.Q8ConvSpec spec, int channels) {
        float[] bias = new float[channels];
        for (int c = 0; spec.bias() != null && c < channels; c++) bias[c] = spec.bias()[c];
        return bias;
    }

    /** {@code n} rounded up to whole 16-lane vectors. */
    static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /** One plane of channel {@code c} from its framed copy into y's bytes from {@code yAt}, the last partial vector masked. */
    private void plane(float[] a, int c, MemorySegment y, long yAt) {
        int up = w, k = 9 * c;
        float[] wt = weights;
        long[] first = firstColumn, last = lastColumn;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        float b = bias[c], multiplier = spec.multipliers()[c];
        int zp = spec.yZeroPoint();
        float qlo = spec.yMin() - zp, qhi = spec.yMax() - zp;
        int offset = Q8Lanes.MAGIC_BITS - zp;
        for (int v = 0; v < vectors; v++) {
            int q = lead + v * LANES; // the input under output vector v
            FloatVector left = FloatVector.fromArray(S, a, q - up - 1).mul(w00);
            left = FloatVector.fromArray(S, a, q - 1).fma(w10, left);
            left = FloatVector.fromArray(S, a, q + up - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(S, a, q - up).mul(w01);
            mid = FloatVector.fromArray(S, a, q).fma(w11, mid);
            mid = FloatVector.fromArray(S, a, q + up).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(S, a, q - up + 1).mul(w02);
            right = FloatVector.fromArray(S, a, q + 1).fma(w12, right);
            right = FloatVector.fromArray(S, a, q + up + 1).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(S, first[v])))
                    .add(right.blend(0f, VectorMask.fromLong(S, last[v])));
            o = o.add(b).mul(multiplier);
            o = o.blend(qlo, o.compare(VectorOperators.GE, qlo).not());
            o = o.blend(qhi, o.compare(VectorOperators.GT, qhi));
            IntVector r = o.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            ByteVector bytes = (ByteVector) r.convertShape(VectorOperators.I2B, B, 0);
            if (v < wholeVectors) {
                bytes.intoMemorySegment(y, yAt + (long) v * LANES, LE);
            } else {
                bytes.intoMemorySegment(y, yAt + (long) v * LANES, LE, B.indexInRange(0, planeFloats - v * LANES));
            }
        }
    }
}
