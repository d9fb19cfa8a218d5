package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
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

    /** Whether {@link #shortRowInPlace} takes rows of {@code n} on {@code species}: two whole vectors. */
    public static boolean isShortRow(VectorSpecies<Float> species, int n) {
        return species != null && n == 2 * species.length();
    }

    /**
     * A row of exactly two vectors ({@link #isShortRow}) divided by {@code divisor} (1 skips it)
     * and normalized in place, held in registers: one load and one store per element, one max and
     * one sum across lanes (attention's rows of 32 at 512 bits).
     */
    public static void shortRowInPlace(VectorSpecies<Float> species, MemorySegment y, long base, float divisor) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        long second = base + 4L * sp.length();
        FloatVector v0 = FloatVector.fromMemorySegment(sp, y, base, LE);
        FloatVector v1 = FloatVector.fromMemorySegment(sp, y, second, LE);
        if (divisor != 1f) {
            v0 = v0.div(divisor);
            v1 = v1.div(divisor);
        }
        FloatVector max = FloatVector.broadcast(sp, v0.max(v1).reduceLanes(VectorOperators.MAX));
        FloatVector e0 = v0.sub(max).lanewise(VectorOperators.EXP);
        FloatVector e1 = v1.sub(max).lanewise(VectorOperators.EXP);
        float inv = 1f / e0.add(e1).reduceLanes(VectorOperators.ADD);
        e0.mul(inv).intoMemorySegment(y, base, LE);
        e1.mul(inv).intoMemorySegment(y, second, LE);
    }

    /**
     * Four rows of two vectors each ({@link #isShortRow}), {@code rowBytes} apart from {@code base},
     * each as {@link #shortRowInPlace} computes it (the same operations, so the same bits), the four
     * interleaved: a row's reductions across lanes and its exponentials are a chain of latencies, and
     * four independent chains keep the units busy (attention's 128 rows of 32 at 512 bits: 1.38
     * against 2.05 µs one row at a time).
     */
    public static void shortRowsInPlace4(VectorSpecies<Float> species, MemorySegment y, long base, long rowBytes, float divisor) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        long half = 4L * sp.length(), b1 = base + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
        FloatVector a0 = scaled(sp, y, base, divisor), a1 = scaled(sp, y, base + half, divisor);
        FloatVector c0 = scaled(sp, y, b1, divisor), c1 = scaled(sp, y, b1 + half, divisor);
        FloatVector d0 = scaled(sp, y, b2, divisor), d1 = scaled(sp, y, b2 + half, divisor);
        FloatVector f0 = scaled(sp, y, b3, divisor), f1 = scaled(sp, y, b3 + half, divisor);
        FloatVector ma = FloatVector.broadcast(sp, a0.max(a1).reduceLanes(VectorOperators.MAX));
        FloatVector mc = FloatVector.broadcast(sp, c0.max(c1).reduceLanes(VectorOperators.MAX));
        FloatVector md = FloatVector.broadcast(sp, d0.max(d1).reduceLanes(VectorOperators.MAX));
        FloatVector mf = FloatVector.broadcast(sp, f0.max(f1).reduceLanes(VectorOperators.MAX));
        a0 = a0.sub(ma).lanewise(VectorOperators.EXP);
        a1 = a1.sub(ma).lanewise(VectorOperators.EXP);
        c0 = c0.sub(mc).lanewise(VectorOperators.EXP);
        c1 = c1.sub(mc).lanewise(VectorOperators.EXP);
        d0 = d0.sub(md).lanewise(VectorOperators.EXP);
        d1 = d1.sub(md).lanewise(VectorOperators.EXP);
        f0 = f0.sub(mf).lanewise(VectorOperators.EXP);
        f1 = f1.sub(mf).lanewise(VectorOperators.EXP);
        float ia = 1f / a0.add(a1).reduceLanes(VectorOperators.ADD), ic = 1f / c0.add(c1).reduceLanes(VectorOperators.ADD);
        float id = 1f / d0.add(d1).reduceLanes(VectorOperators.ADD), jf = 1f / f0.add(f1).reduceLanes(VectorOperators.ADD);
        a0.mul(ia).intoMemorySegment(y, base, LE);
        a1.mul(ia).intoMemorySegment(y, base + half, LE);
        c0.mul(ic).intoMemorySegment(y, b1, LE);
        c1.mul(ic).intoMemorySegment(y, b1 + half, LE);
        d0.mul(id).intoMemorySegment(y, b2, LE);
        d1.mul(id).intoMemorySegment(y, b2 + half, LE);
        f0.mul(jf).intoMemorySegment(y, b3, LE);
        f1.mul(jf).intoMemorySegment(y, b3 + half, LE);
    }

    /** The vector at {@code at} divided by {@code divisor} (1: as it is). */
    private static FloatVector scaled(VectorSpecies<Float> sp, MemorySegment y, long at, float divisor) {
        FloatVector v = FloatVector.fromMemorySegment(sp, y, at, LE);
        return divisor != 1f ? v.div(divisor) : v;
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

    /**
     * One contiguous row on vectors: whole vectors, then the tail (or a row shorter than one
     * vector: a classifier's 10 classes) under a mask, so no element runs scalar {@code Math.exp}.
     * Masked-off lanes never reach the result: max and sum take only the masked lanes, and the
     * stores write only them. A row of whole vectors skips the tail (a vector exp is not free).
     */
    private static void vectorRow(VectorSpecies<Float> species, boolean log, MemorySegment x, MemorySegment y, long base, int n) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        if (n <= lanes) {
            partialVectorRow(sp, log, x, y, base, n);
            return;
        }
        int bound = sp.loopBound(n);
        boolean hasTail = bound < n;
        long tailAt = base + 4L * bound;
        // fromLong, not indexInRange: the latter was seen allocating per call once a JVM had run several shapes
        VectorMask<Float> tail = VectorMask.fromLong(sp, (1L << (n - bound)) - 1);
        FloatVector mv = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < bound; j += lanes) mv = mv.max(FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE));
        if (hasTail) mv = mv.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(sp, x, tailAt, LE, tail), tail);
        float max = mv.reduceLanes(VectorOperators.MAX);
        FloatVector maxV = FloatVector.broadcast(sp, max);
        FloatVector sv = FloatVector.zero(sp);
        for (int j = 0; j < bound; j += lanes) {
            FloatVector e = FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE).sub(maxV).lanewise(VectorOperators.EXP);
            sv = sv.add(e);
            if (!log) e.intoMemorySegment(y, base + 4L * j, LE);
        }
        if (hasTail) {
            FloatVector e = FloatVector.fromMemorySegment(sp, x, tailAt, LE, tail).sub(maxV).lanewise(VectorOperators.EXP);
            sv = sv.add(e, tail);
            if (!log) e.intoMemorySegment(y, tailAt, LE, tail);
        }
        float sum = sv.reduceLanes(VectorOperators.ADD);
        if (log) {
            FloatVector shiftV = FloatVector.broadcast(sp, max + (float) Math.log(sum));
            for (int j = 0; j < bound; j += lanes) {
                FloatVector.fromMemorySegment(sp, x, base + 4L * j, LE).sub(shiftV).intoMemorySegment(y, base + 4L * j, LE);
            }
            if (hasTail) FloatVector.fromMemorySegment(sp, x, tailAt, LE, tail).sub(shiftV).intoMemorySegment(y, tailAt, LE, tail);
        } else {
            float inv = 1f / sum;
            for (int j = 0; j < bound; j += lanes) {
                FloatVector.fromMemorySegment(sp, y, base + 4L * j, LE).mul(inv).intoMemorySegment(y, base + 4L * j, LE);
            }
            if (hasTail) FloatVector.fromMemorySegment(sp, y, tailAt, LE, tail).mul(inv).intoMemorySegment(y, tailAt, LE, tail);
        }
    }

    /** Whether {@link #partialRowScalar} takes rows of {@code n}: contiguous rows of at most one vector of {@code species}. */
    public static boolean isPartialRow(VectorSpecies<Float> species, int n, int inner) {
        return species != null && inner == 1 && n <= species.length();
    }

    /**
     * Rows {@code [from, to)} of {@link #partialVectorRow}'s arithmetic in scalar code, for a
     * kernel's first runs: the same operations in the order of the Vector API's Java fallback,
     * which is what the interpreter and C1 run (max across lanes, {@code (float) Math.exp} per
     * lane, a float sum from lane 0, one reciprocal), so the cold runs give the bits of the runs
     * after them until C2 compiles the vector row. Rows of n contiguous floats.
     */
    public static void partialRowScalar(boolean log, MemorySegment x, MemorySegment y, int n, int from, int to) {
        for (int row = from; row < to; row++) {
            long base = 4L * row * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) max = Math.max(max, x.get(F, base + 4L * j));
            float sum = 0f;
            for (int j = 0; j < n; j++) sum += (float) Math.exp(x.get(F, base + 4L * j) - max);
            if (log) {
                float shift = max + (float) Math.log(sum);
                for (int j = 0; j < n; j++) y.set(F, base + 4L * j, x.get(F, base + 4L * j) - shift);
            } else {
                float inv = 1f / sum;
                for (int j = 0; j < n; j++) y.set(F, base + 4L * j, (float) Math.exp(x.get(F, base + 4L * j) - max) * inv);
            }
        }
    }

    /**
     * A row of at most one vector (a classifier's 10 classes) held in one register: one masked
     * load and one masked store, where the longer rows' passes store, load back and store again.
     */
    private static void partialVectorRow(VectorSpecies<Float> species, boolean log, MemorySegment x, MemorySegment y,
                                         long base, int n) {
        // The constant again (see JavaKernelsSpecies), not the caller's: C2 compiled this method on its own in some
        // JVMs, where a species parameter is no constant, and ran its masked reductions and store through the Java
        // fallback: mlp_tiny stayed at 2.7-5.7 us per run for seconds instead of 0.74 (in-process loop, load ~10).
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        VectorMask<Float> m = VectorMask.fromLong(sp, (1L << n) - 1);
        FloatVector v = FloatVector.fromMemorySegment(sp, x, base, LE, m);
        float max = v.reduceLanes(VectorOperators.MAX, m);
        FloatVector e = v.sub(max).lanewise(VectorOperators.EXP);
        float sum = e.reduceLanes(VectorOperators.ADD, m);
        FloatVector r = log ? v.sub(max + (float) Math.log(sum)) : e.mul(1f / sum);
        r.intoMemorySegment(y, base, LE, m);
    }
}
