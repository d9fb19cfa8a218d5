package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reductions of one contiguous float32 row: sum, sum of squares, max and min, for ReduceSum,
 * ReduceMean, ReduceSumSquare, ReduceL2, ReduceMax and ReduceMin over trailing axes. Four
 * accumulators in the main loop, a scalar tail. Each method takes the species (callers pass
 * {@link Vectors#F32}, a constant the JIT folds; tests pass each width); null runs the scalar loop.
 */
public final class ReduceF32Rows {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ReduceF32Rows() {}

    /** Sum of {@code n} floats at byte offset {@code offset}. */
    public static float sum(VectorSpecies<Float> species, MemorySegment seg, long offset, long n) {
        long i = 0;
        float total = 0f;
        if (species != null) {
            int lanes = species.length();
            long step = 4L * lanes;
            FloatVector a0 = FloatVector.zero(species), a1 = a0, a2 = a0, a3 = a0;
            for (; i + step <= n; i += step) {
                long o = offset + i * 4;
                a0 = a0.add(load(species, seg, o));
                a1 = a1.add(load(species, seg, o + 4L * lanes));
                a2 = a2.add(load(species, seg, o + 8L * lanes));
                a3 = a3.add(load(species, seg, o + 12L * lanes));
            }
            for (; i + lanes <= n; i += lanes) a0 = a0.add(load(species, seg, offset + i * 4));
            total = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) total += seg.get(F32, offset + i * 4);
        return total;
    }

    /** Sum of squares of {@code n} floats at byte offset {@code offset}. */
    public static float sumOfSquares(VectorSpecies<Float> species, MemorySegment seg, long offset, long n) {
        long i = 0;
        float total = 0f;
        if (species != null) {
            int lanes = species.length();
            long step = 4L * lanes;
            FloatVector a0 = FloatVector.zero(species), a1 = a0, a2 = a0, a3 = a0;
            for (; i + step <= n; i += step) {
                long o = offset + i * 4;
                FloatVector v0 = load(species, seg, o), v1 = load(species, seg, o + 4L * lanes);
                FloatVector v2 = load(species, seg, o + 8L * lanes), v3 = load(species, seg, o + 12L * lanes);
                a0 = v0.fma(v0, a0);
                a1 = v1.fma(v1, a1);
                a2 = v2.fma(v2, a2);
                a3 = v3.fma(v3, a3);
            }
            for (; i + lanes <= n; i += lanes) {
                FloatVector v = load(species, seg, offset + i * 4);
                a0 = v.fma(v, a0);
            }
            total = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float x = seg.get(F32, offset + i * 4);
            total += x * x;
        }
        return total;
    }

    /** Maximum (or minimum when {@code max} is false) of {@code n >= 1} floats; NaN wins as in numpy. */
    public static float extreme(VectorSpecies<Float> species, MemorySegment seg, long offset, long n, boolean max) {
        long i = 0;
        float best = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        if (species != null) {
            int lanes = species.length();
            VectorOperators.Binary op = max ? VectorOperators.MAX : VectorOperators.MIN;
            FloatVector acc = FloatVector.broadcast(species, best);
            for (; i + lanes <= n; i += lanes) acc = acc.lanewise(op, load(species, seg, offset + i * 4));
            best = acc.reduceLanes(max ? VectorOperators.MAX : VectorOperators.MIN);
        }
        for (; i < n; i++) {
            float x = seg.get(F32, offset + i * 4);
            best = max ? Math.max(best, x) : Math.min(best, x);
        }
        return best;
    }

    private static FloatVector load(VectorSpecies<Float> species, MemorySegment seg, long offset) {
        return FloatVector.fromMemorySegment(species, seg, offset, ByteOrder.LITTLE_ENDIAN);
    }
}
