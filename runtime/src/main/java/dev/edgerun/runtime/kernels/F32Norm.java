package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The building blocks of the normalizations over contiguous float runs: sum, sum of squared
 * deviations, per-run affine map ({@code y = x * mul + add}: BatchNormalization folded to a
 * per-channel scale/shift, InstanceNormalization) and normalize-scale-shift with per-element
 * scale and bias (LayerNormalization, RMSNormalization). A null species means scalar loops (the
 * reference). Offsets are in bytes.
 */
public final class F32Norm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private F32Norm() {}

    /** Sum of {@code n} floats. */
    public static double sum(VectorSpecies<Float> species, MemorySegment x, long off, int n) {
        int j = 0;
        double s = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector a0 = FloatVector.zero(sp), a1 = a0;
            for (; j + 2 * lanes <= n; j += 2 * lanes) {
                a0 = a0.add(FloatVector.fromMemorySegment(sp, x, off + 4L * j, LE));
                a1 = a1.add(FloatVector.fromMemorySegment(sp, x, off + 4L * (j + lanes), LE));
            }
            s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) s += x.get(F, off + 4L * j);
        return s;
    }

    /**
     * {@code y = a + b} over {@code n} floats, returning the sum of {@code y}: the first pass of a
     * LayerNormalization that folded its residual Add.
     */
    public static double addAndSum(VectorSpecies<Float> species, MemorySegment a, long aOff, MemorySegment b, long bOff,
                                   MemorySegment y, long yOff, int n) {
        int j = 0;
        double s = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector acc = FloatVector.zero(sp);
            for (; j + lanes <= n; j += lanes) {
                FloatVector v = FloatVector.fromMemorySegment(sp, a, aOff + 4L * j, LE)
                        .add(FloatVector.fromMemorySegment(sp, b, bOff + 4L * j, LE));
                v.intoMemorySegment(y, yOff + 4L * j, LE);
                acc = acc.add(v);
            }
            s = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float v = a.get(F, aOff + 4L * j) + b.get(F, bOff + 4L * j);
            y.set(F, yOff + 4L * j, v);
            s += v;
        }
        return s;
    }

    /** Sum of {@code (x - mean)^2} over {@code n} floats. */
    public static double sumSquaredDeviations(VectorSpecies<Float> species, MemorySegment x, long off, int n, float mean) {
        int j = 0;
        double s = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector m = FloatVector.broadcast(sp, mean);
            FloatVector a0 = FloatVector.zero(sp), a1 = a0;
            for (; j + 2 * lanes <= n; j += 2 * lanes) {
                FloatVector d0 = FloatVector.fromMemorySegment(sp, x, off + 4L * j, LE).sub(m);
                FloatVector d1 = FloatVector.fromMemorySegment(sp, x, off + 4L * (j + lanes), LE).sub(m);
                a0 = d0.fma(d0, a0);
                a1 = d1.fma(d1, a1);
            }
            s = a0.add(a1).reduceLanes(VectorOperators.ADD);
        }
        for (; j < n; j++) {
            float d = x.get(F, off + 4L * j) - mean;
            s += d * d;
        }
        return s;
    }

    /** {@code y = x * mul + add} over {@code n} floats. */
    public static void affine(VectorSpecies<Float> species, MemorySegment x, long xOff, MemorySegment y, long yOff, int n,
                              float mul, float add) {
        int j = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector mv = FloatVector.broadcast(sp, mul), av = FloatVector.broadcast(sp, add);
            for (; j + lanes <= n; j += lanes) {
                FloatVector.fromMemorySegment(sp, x, xOff + 4L * j, LE).fma(mv, av).intoMemorySegment(y, yOff + 4L * j, LE);
            }
        }
        for (; j < n; j++) y.set(F, yOff + 4L * j, x.get(F, xOff + 4L * j) * mul + add);
    }

    /**
     * {@code y[j] = (x[j] - mean) * invStd * scale[j] + bias[j]} over {@code n} floats;
     * {@code bias} may be null.
     */
    public static void normalize(VectorSpecies<Float> species, MemorySegment x, long xOff, MemorySegment y, long yOff, int n,
                                 float mean, float invStd, MemorySegment scale, long sOff, MemorySegment bias, long bOff) {
        int j = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            int lanes = sp.length();
            FloatVector mv = FloatVector.broadcast(sp, mean), iv = FloatVector.broadcast(sp, invStd);
            // two loops rather than a branch inside one: a vector merged from two paths can make
            // the JIT box it on every iteration
            if (bias != null) {
                for (; j + lanes <= n; j += lanes) {
                    FloatVector.fromMemorySegment(sp, x, xOff + 4L * j, LE).sub(mv).mul(iv)
                            .fma(FloatVector.fromMemorySegment(sp, scale, sOff + 4L * j, LE),
                                    FloatVector.fromMemorySegment(sp, bias, bOff + 4L * j, LE))
                            .intoMemorySegment(y, yOff + 4L * j, LE);
                }
            } else {
                for (; j + lanes <= n; j += lanes) {
                    FloatVector.fromMemorySegment(sp, x, xOff + 4L * j, LE).sub(mv).mul(iv)
                            .mul(FloatVector.fromMemorySegment(sp, scale, sOff + 4L * j, LE))
                            .intoMemorySegment(y, yOff + 4L * j, LE);
                }
            }
        }
        for (; j < n; j++) {
            float v = (x.get(F, xOff + 4L * j) - mean) * invStd * scale.get(F, sOff + 4L * j);
            if (bias != null) v += bias.get(F, bOff + 4L * j);
            y.set(F, yOff + 4L * j, v);
        }
    }
}
