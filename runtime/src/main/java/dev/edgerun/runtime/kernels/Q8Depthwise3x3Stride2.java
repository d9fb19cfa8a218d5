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
 * of padding before each axis (MobileNetV2's stride-2 layers): each plane is widened
 * ({@code x - zx} as exact floats) into a per-thread heap buffer between rows of zeros; output
 * vector (i, j..j+15) takes, per kernel row, two vectors of input row {@code 2i - 1 + ki} from
 * column {@code 2j - 1} (their even lanes are kernel column 0, the odd ones column 1) and two from
 * column {@code 2j + 1} (their even lanes: column 2), the lanes whose column lies outside the row
 * blended to zero; the sum is requantized in registers ({@link Q8Lanes#requantize}'s lane
 * operations) and stored as bytes, the row's last vector masked. This replaces the widening of
 * each plane into even and odd column phases, the tap sums into a float row buffer and the
 * requantization of each row from it ({@link Q8DepthwiseConv}'s general path).
 *
 * <p>Exact as {@link Q8Depthwise3x3} is: nine integer products, sums far below {@code 2^24}.
 * 512-bit vectors, biases at most {@code 2^24} in magnitude.
 */
final class Q8Depthwise3x3Stride2 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int LANES = 16;
    /** Lane indices 0, 2, 4, ... and 1, 3, 5, ... into two concatenated vectors. */
    static final FloatVector EVEN = indices(0), ODD = indices(1);

    private final KernelProvider.Q8ConvSpec spec;
    private final int channels, h, w, oh, ow, planeIn, planeOut, rowVectors;
    private final int lead;          // zeros before a plane copy: row -1 and column -1 of row 0
    private final int framedFloats;  // lead zeros, the plane, zero rows up to the last vector's reach
    private final long[] outside;    // per (vector of a row, kernel column): lanes whose input column is outside the row
    private final boolean[] edge;    // per vector of a row: any lane outside for some kernel column
    private final float[] weights;   // [channels][9]
    private final float[] bias;      // per channel, exact in float

    private static FloatVector indices(int first) {
        float[] idx = new float[LANES];
        for (int i = 0; i < LANES; i++) idx[i] = 2 * i + first;
        return FloatVector.fromArray(S, idx, 0);
    }

    /** Whether {@code spec} is a convolution this path takes with {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!Q8Gemm.supports(species, spec.bias()) || g.spatialRank() != 2 || !g.isDepthwise()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape();
        return ws[2] == 3 && ws[3] == 3 && g.strides()[0] == 2 && g.strides()[1] == 2
                && g.dilations()[0] == 1 && g.dilations()[1] == 1 && g.padsBegin()[0] == 1 && g.padsBegin()[1] == 1
                && xs[2] * xs[3] <= F32Depthwise3x3.MAX_PLANE;
    }

    Q8Depthwise3x3Stride2(KernelProvider.Q8ConvSpec spec) {
        this.spec = spec;
        long[] xs = spec.geometry().inputShape(), ys = spec.geometry().outputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        oh = (int) ys[2];
        ow = (int) ys[3];
        planeIn = h * w;
        planeOut = oh * ow;
        rowVectors = (ow + LANES - 1) / LANES;
        lead = Q8Depthwise3x3.roundUp(w + 1);
        // the last output row reads input row 2 * oh - 1 (zeros past the plane), up to 2 * rowVectors * LANES + 2 columns on
        framedFloats = lead + Math.max(h, 2 * oh) * w + 2 * rowVectors * LANES + 2 * LANES;
        outside = new long[3 * rowVectors];
        edge = new boolean[rowVectors];
        for (int j = 0; j < rowVectors * LANES; j++) {
            for (int kj = 0; kj < 3; kj++) {
                int col = 2 * j - 1 + kj;
                if (j < ow && (col < 0 || col >= w)) {
                    outside[3 * (j / LANES) + kj] |= 1L << (j % LANES);
                    edge[j / LANES] = true;
                }
            }
        }
        weights = spec.geometry().constantWeight().toFloatArrayConverted();
        bias = Q8Depthwise3x3.biasAsFloats(spec, channels);
    }

    /** Planes {@code [from, to)} (image-major, channel-minor) of x into y. */
    void planes(MemorySegment x, MemorySegment y, int from, int to) {
        float[] framed = Q8Depthwise3x3.framedBuffer(framedFloats, lead, planeIn);
        for (int plane = from; plane < to; plane++) {
            Q8Depthwise3x3.widen(spec, x, (long) plane * planeIn, planeIn, framed, lead);
            int c = plane % channels;
            for (int i = 0; i < oh; i++) row(framed, c, i, y, (long) plane * planeOut + (long) i * ow);
        }
    }

    /** Output row {@code i} of channel {@code c} into y's bytes from {@code yAt}. */
    private void row(float[] a, int c, int i, MemorySegment y, long yAt) {
        int k = 9 * c;
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
        int top = lead + (2 * i - 1) * w - 1; // input row 2i - 1, column -1
        for (int v = 0; v < rowVectors; v++) {
            int at = top + 2 * v * LANES;
            FloatVector a0 = FloatVector.fromArray(S, a, at), a1 = FloatVector.fromArray(S, a, at + LANES);
            FloatVector c0 = FloatVector.fromArray(S, a, at + 2), c1 = FloatVector.fromArray(S, a, at + 2 + LANES);
            FloatVector t0 = EVEN.selectFrom(a0, a1), t1 = ODD.selectFrom(a0, a1), t2 = EVEN.selectFrom(c0, c1);
            at += w;
            a0 = FloatVector.fromArray(S, a, at);
            a1 = FloatVector.fromArray(S, a, at + LANES);
            c0 = FloatVector.fromArray(S, a, at + 2);
            c1 = FloatVector.fromArray(S, a, at + 2 + LANES);
            FloatVector u0 = EVEN.selectFrom(a0, a1), u1 = ODD.selectFrom(a0, a1), u2 = EVEN.selectFrom(c0, c1);
            at += w;
            a0 = FloatVector.fromArray(S, a, at);
            a1 = FloatVector.fromArray(S, a, at + LANES);
            c0 = FloatVector.fromArray(S, a, at + 2);
            c1 = FloatVector.fromArray(S, a, at + 2 + LANES);
            FloatVector s0 = EVEN.selectFrom(a0, a1), s1 = ODD.selectFrom(a0, a1), s2 = EVEN.selectFrom(c0, c1);
            FloatVector left = s0.fma(w20, u0.fma(w10, t0.mul(w00)));
            FloatVector mid = s1.fma(w21, u1.fma(w11, t1.mul(w01)));
            FloatVector right = s2.fma(w22, u2.fma(w12, t2.mul(w02)));
            if (edge[v]) {
                left = left.blend(0f, VectorMask.fromLong(S, outside[3 * v]));
                mid = mid.blend(0f, VectorMask.fromLong(S, outside[3 * v + 1]));
                right = right.blend(0f, VectorMask.fromLong(S, outside[3 * v + 2]));
            }
            FloatVector o = mid.add(left).add(right);
            o = o.add(b).mul(multiplier);
            o = o.blend(qlo, o.compare(VectorOperators.GE, qlo).not());
            o = o.blend(qhi, o.compare(VectorOperators.GT, qhi));
            IntVector r = o.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            ByteVector bytes = (ByteVector) r.convertShape(VectorOperators.I2B, B, 0);
            int j0 = v * LANES;
            if (j0 + LANES <= ow) {
                bytes.intoMemorySegment(y, yAt + j0, LE);
            } else {
                bytes.intoMemorySegment(y, yAt + j0, LE, B.indexInRange(0, ow - j0));
            }
        }
    }
}
