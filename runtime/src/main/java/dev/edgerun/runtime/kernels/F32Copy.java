package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies of float runs of a few hundred bytes, such as a bias row written into a GEMM's output
 * before the product accumulates onto it. {@link MemorySegment#copy} is fastest for short and long
 * runs but not in between: inside mlp_tiny's first Gemm (single thread, minimum of batches), a
 * 512-byte bias row took 40 ns through it against 12 ns through vector loads and stores, while a
 * 40-byte row took 4 ns against 15 ns, and in isolation 2 KiB took 19 ns against 28 ns.
 */
public final class F32Copy {
    private static final VectorSpecies<Float> S = Vectors.F32;   // null: vectors disabled
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Runs from this many floats up to {@link #VECTOR_MAX_FLOATS} go through vector loads and stores. */
    static final int VECTOR_MIN_FLOATS = 64;
    static final int VECTOR_MAX_FLOATS = 256;

    private F32Copy() {}

    /** Copies {@code n} floats from {@code src} at byte {@code srcOff} to {@code dst} at byte {@code dstOff}. */
    public static void copy(MemorySegment src, long srcOff, MemorySegment dst, long dstOff, int n) {
        if (S == null || n < VECTOR_MIN_FLOATS || n > VECTOR_MAX_FLOATS) {
            MemorySegment.copy(src, srcOff, dst, dstOff, 4L * n);
            return;
        }
        int lanes = S.length();
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            FloatVector.fromMemorySegment(S, src, srcOff + 4L * i, LE).intoMemorySegment(dst, dstOff + 4L * i, LE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromMemorySegment(S, src, srcOff + 4L * i, LE, m).intoMemorySegment(dst, dstOff + 4L * i, LE, m);
        }
    }
}
