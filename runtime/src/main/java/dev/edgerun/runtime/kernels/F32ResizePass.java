package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One axis of a separable float32 resize: the input viewed as (outer, inLen, inner) becomes
 * (outer, outLen, inner), output row j being the weighted sum of {@code taps} input rows
 * {@code index[j * taps + t]} with weights {@code weight[j * taps + t]}; rows marked in
 * {@code extrapolate} get a constant instead. Vectorised across {@code inner} (all axes but the last).
 */
public final class F32ResizePass {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private F32ResizePass() {}

    /**
     * @param species     the vector species ({@link Vectors#F32} in production), null for scalar only
     * @param index       (outLen, taps) input row per tap, already clamped to [0, inLen)
     * @param weight      (outLen, taps)
     * @param extrapolate (outLen) rows to fill with {@code fill}, or null
     */
    public static void run(VectorSpecies<Float> species, MemorySegment src, MemorySegment dst, long outer, int inLen, long inner, int outLen,
                    int taps, int[] index, float[] weight, boolean[] extrapolate, float fill) {
        for (long o = 0; o < outer; o++) {
            long srcBase = o * inLen * inner;
            long dstBase = o * outLen * inner;
            for (int j = 0; j < outLen; j++) {
                long d = (dstBase + (long) j * inner) * 4;
                if (extrapolate != null && extrapolate[j]) {
                    for (long i = 0; i < inner; i++) dst.set(F32, d + i * 4, fill);
                } else if (inner == 1) {
                    float acc = 0f;
                    for (int t = 0; t < taps; t++) acc = Math.fma(weight[j * taps + t], src.getAtIndex(F32, srcBase + index[j * taps + t]), acc);
                    dst.set(F32, d, acc);
                } else {
                    row(species, src, srcBase, inner, dst, d, j * taps, taps, index, weight);
                }
            }
        }
    }

    /** {@code HALVES[k] = k / 2}: the source lane of output lane k when every element is repeated twice. */
    private static final float[] HALVES = new float[32];

    static {
        for (int k = 0; k < HALVES.length; k++) HALVES[k] = k / 2;
    }

    /**
     * Nearest 2x upsampling of one row: {@code dst[2i] = dst[2i + 1] = src[i]} for {@code i < n}
     * (byte offsets {@code so}, {@code dof}); each input vector gives two output vectors by a
     * lane select. {@code species} null runs scalar.
     */
    public static void repeatPairs(VectorSpecies<Float> species, MemorySegment src, long so, MemorySegment dst, long dof, int n) {
        int i = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector low = FloatVector.fromArray(sp, HALVES, 0), high = FloatVector.fromArray(sp, HALVES, lanes);
            for (; i + lanes <= n; i += lanes) {
                FloatVector v = FloatVector.fromMemorySegment(sp, src, so + 4L * i, ByteOrder.LITTLE_ENDIAN);
                low.selectFrom(v).intoMemorySegment(dst, dof + 8L * i, ByteOrder.LITTLE_ENDIAN);
                high.selectFrom(v).intoMemorySegment(dst, dof + 8L * i + 4L * lanes, ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (; i < n; i++) {
            float v = src.get(F32, so + 4L * i);
            dst.set(F32, dof + 8L * i, v);
            dst.set(F32, dof + 8L * i + 4, v);
        }
    }

    private static void row(VectorSpecies<Float> species, MemorySegment src, long srcBase, long inner, MemorySegment dst, long d, int first, int taps,
                     int[] index, float[] weight) {
        long i = 0;
        if (species != null) {
            int lanes = species.length();
            for (; i + lanes <= inner; i += lanes) {
                FloatVector acc = FloatVector.zero(species);
                for (int t = 0; t < taps; t++) {
                    long s = (srcBase + index[first + t] * inner + i) * 4;
                    acc = FloatVector.fromMemorySegment(species, src, s, ByteOrder.LITTLE_ENDIAN)
                            .fma(FloatVector.broadcast(species, weight[first + t]), acc);
                }
                acc.intoMemorySegment(dst, d + i * 4, ByteOrder.LITTLE_ENDIAN);
            }
        }
        for (; i < inner; i++) {
            float acc = 0f;
            for (int t = 0; t < taps; t++) acc = Math.fma(weight[first + t], src.get(F32, (srcBase + index[first + t] * inner + i) * 4), acc);
            dst.set(F32, d + i * 4, acc);
        }
    }
}
