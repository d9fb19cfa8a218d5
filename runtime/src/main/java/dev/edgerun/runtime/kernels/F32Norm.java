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
     * Whether {@link #layerNormPair} serves rows of {@code n} floats: vectors on and {@code n} a
     * whole number of vector pairs (then no pass has a scalar tail).
     */
    public static boolean pairsRows(VectorSpecies<Float> species, int n) {
        return species != null && n > 0 && n % (2 * species.length()) == 0;
    }

    /**
     * Two rows of a LayerNormalization at once, at byte offsets {@code off0} and {@code off1} of
     * {@code x}, {@code residual} (nullable: the folded Add's other operand) and {@code y}:
     * {@code y = (x (+ residual) - mean) * invStd * scale + bias}, {@code bias} nullable. Each row
     * gets the same arithmetic in the same order as {@link #addAndSum} (or {@link #sum}),
     * {@link #sumSquaredDeviations} and {@link #normalize} give it, so the same bits; the two rows'
     * chains (the sums, reduceLanes, the square root and division) overlap instead of running one
     * after the other. tiny_transformer's 32 x 128 rows with the residual: 1.43-1.73 against
     * 2.26-2.37 us a node (micro-benchmark, minimum of 50000, load ~6). Needs {@link #pairsRows}.
     */
    public static void layerNormPair(VectorSpecies<Float> species, MemorySegment x, MemorySegment residual, MemorySegment y,
                                     long off0, long off1, int n, float eps, MemorySegment scale, MemorySegment bias) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        float m0, m1;
        MemorySegment src;
        if (residual != null) {
            FloatVector s0 = FloatVector.zero(sp), s1 = s0;
            for (int j = 0; j < n; j += sp.length()) {
                long at = 4L * j;
                FloatVector v0 = load(sp, x, off0 + at).add(load(sp, residual, off0 + at));
                FloatVector v1 = load(sp, x, off1 + at).add(load(sp, residual, off1 + at));
                v0.intoMemorySegment(y, off0 + at, LE);
                v1.intoMemorySegment(y, off1 + at, LE);
                s0 = s0.add(v0);
                s1 = s1.add(v1);
            }
            m0 = (float) ((double) s0.reduceLanes(VectorOperators.ADD) / n);
            m1 = (float) ((double) s1.reduceLanes(VectorOperators.ADD) / n);
            src = y;
        } else {
            m0 = (float) (pairedSum(sp, x, off0, n) / n);
            m1 = (float) (pairedSum(sp, x, off1, n) / n);
            src = x;
        }
        FloatVector mean0 = FloatVector.broadcast(sp, m0), mean1 = FloatVector.broadcast(sp, m1);
        FloatVector a0 = FloatVector.zero(sp), a1 = a0, b0 = a0, b1 = a0;
        long half = 4L * sp.length();
        for (int j = 0; j < n; j += 2 * sp.length()) {
            long at = 4L * j;
            FloatVector d0 = load(sp, src, off0 + at).sub(mean0), d1 = load(sp, src, off0 + at + half).sub(mean0);
            FloatVector e0 = load(sp, src, off1 + at).sub(mean1), e1 = load(sp, src, off1 + at + half).sub(mean1);
            a0 = d0.fma(d0, a0);
            a1 = d1.fma(d1, a1);
            b0 = e0.fma(e0, b0);
            b1 = e1.fma(e1, b1);
        }
        float inv0 = (float) (1.0 / Math.sqrt((double) a0.add(a1).reduceLanes(VectorOperators.ADD) / n + eps));
        float inv1 = (float) (1.0 / Math.sqrt((double) b0.add(b1).reduceLanes(VectorOperators.ADD) / n + eps));
        normalizePair(sp, src, y, off0, off1, n, mean0, FloatVector.broadcast(sp, inv0), mean1, FloatVector.broadcast(sp, inv1),
                scale, bias);
    }

    /** {@link #sum}'s whole-vector loop, for a row of whole vector pairs. */
    private static double pairedSum(VectorSpecies<Float> sp, MemorySegment x, long off, int n) {
        FloatVector a0 = FloatVector.zero(sp), a1 = a0;
        for (int j = 0; j < n; j += 2 * sp.length()) {
            a0 = a0.add(load(sp, x, off + 4L * j));
            a1 = a1.add(load(sp, x, off + 4L * (j + sp.length())));
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }

    /** {@link #normalize} of two rows (two loops rather than a branch inside one, as there). */
    private static void normalizePair(VectorSpecies<Float> sp, MemorySegment x, MemorySegment y, long off0, long off1, int n,
                                      FloatVector mean0, FloatVector inv0, FloatVector mean1, FloatVector inv1,
                                      MemorySegment scale, MemorySegment bias) {
        if (bias != null) {
            for (int j = 0; j < n; j += sp.length()) {
                long at = 4L * j;
                FloatVector g = load(sp, scale, at), b = load(sp, bias, at);
                load(sp, x, off0 + at).sub(mean0).mul(inv0).fma(g, b).intoMemorySegment(y, off0 + at, LE);
                load(sp, x, off1 + at).sub(mean1).mul(inv1).fma(g, b).intoMemorySegment(y, off1 + at, LE);
            }
        } else {
            for (int j = 0; j < n; j += sp.length()) {
                long at = 4L * j;
                FloatVector g = load(sp, scale, at);
                load(sp, x, off0 + at).sub(mean0).mul(inv0).mul(g).intoMemorySegment(y, off0 + at, LE);
                load(sp, x, off1 + at).sub(mean1).mul(inv1).mul(g).intoMemorySegment(y, off1 + at, LE);
            }
        }
    }

    private static FloatVector load(VectorSpecies<Float> sp, MemorySegment m, long at) {
        return FloatVector.fromMemorySegment(sp, m, at, LE);
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
