package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax and LogSoftmax along an axis: {@code [outer, n, inner]} floats, normalized over
 * {@code n}. Contiguous rows ({@code inner == 1}, the common last-axis case) use vector max, exp
 * and sum when a species is given; strided rows use the scalar loop, which is also the reference.
 */
public final class F32Softmax {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private F32Softmax() {}

    /** Rows {@code [from, to)} of {@code outer x inner} rows, each of {@code n} elements {@code inner} apart. */
    public static void run(VectorSpecies<Float> species, boolean log, MemorySegment x, MemorySegment y, int n, int inner,
                           int from, int to) {
        for (int row = from; row < to; row++) {
            int o = row / inner, i = row % inner;
            long base = 4L * ((long) o * n * inner + i);
            if (inner == 1 && species != null) vectorRow(species, log, x, y, base, n);
            else scalarRow(log, x, y, base, n, 4L * inner);
        }
    }

    /**
     * One contiguous row of {@code n} floats at byte {@code base}, normalized in place (a GEMM
     * epilogue over a finished row); {@code species} null runs the scalar reference.
     */
    public static void rowInPlace(VectorSpecies<Float> species, MemorySegment y, long base, int n) {
        if (species != null) vectorRow(species, false, y, y, base, n);
        else scalarRow(false, y, y, base, n, 4);
    }

    /** The reference: one row of {@code n} elements {@code step} bytes apart. */
    public static void scalarRow(boolean log, MemorySegment x, MemorySegment y, long base, int n, long step) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x.get(F, base + j * step));
        double sum = 0;
        for (int j = 0; j < n; j++) {
            float e = (float) Math.exp(x.get(F, base + j * step) - max);
            sum += e;
            if (!log) y.set(F, base + j * step, e);
        }
        if (log) {
            float shift = max + (float) Math.log(sum);
            for (int j = 0; j < n; j++) y.set(F, base + j * step, x.get(F, base + j * step) - shift);
        } else {
            float inv = (float) (1.0 / sum);
            for (int j = 0; j < n; j++) y.set(F, base + j * step, y.get(F, base + j * step) * inv);
        }
    }

    private static void vectorRow(VectorSpecies<Float> species, boolean log, MemorySegment x, MemorySegment y, long base, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int bound = sp.loopBound(n);
        FloatVector mv = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j < bound; j += lanes) mv = mv.max(FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; j < n; j++) max = Math.max(max, x.get(F, base + 4L * j));
        FloatVector maxV = FloatVector.broadcast(sp, max);
        FloatVector sv = FloatVector.zero(sp);
        j = 0;
        for (; j < bound; j += lanes) {
            FloatVector e = FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE).sub(maxV).lanewise(VectorOperators.EXP);
            sv = sv.add(e);
            if (!log) e.intoMemorySegment(y, base + 4L * j, LE);
        }
        float sum = sv.reduceLanes(VectorOperators.ADD);
        for (; j < n; j++) {
            float e = (float) Math.exp(x.get(F, base + 4L * j) - max);
            sum += e;
            if (!log) y.set(F, base + 4L * j, e);
        }
        j = 0;
        if (log) {
            float shift = max + (float) Math.log(sum);
            FloatVector shiftV = FloatVector.broadcast(sp, shift);
            for (; j < bound; j += lanes) {
                FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE).sub(shiftV).intoMemorySegment(y, base + 4L * j, LE);
            }
            for (; j < n; j++) y.set(F, base + 4L * j, x.get(F, base + 4L * j) - shift);
        } else {
            float inv = 1f / sum;
            for (; j < bound; j += lanes) {
                FloatVector.fromMemorySegment(sp, y, base + 4L * j, LE).mul(inv).intoMemorySegment(y, base + 4L * j, LE);
            }
            for (; j < n; j++) y.set(F, base + 4L * j, y.get(F, base + 4L * j) * inv);
        }
    }
}
