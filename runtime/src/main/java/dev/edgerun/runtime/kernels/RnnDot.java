package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float dot products over {@link MemorySegment}s, the inner loop of the recurrent cells (a gate
 * row of W or R against one input or hidden vector). Offsets are in bytes. This class names no
 * Vector API type, so it loads where {@code jdk.incubator.vector} is absent; the vector loop lives
 * in {@link RnnDotVector}, reached only when {@link Vectors#enabled()}.
 */
public final class RnnDot {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** The kernel with the session-wide species ({@link Vectors#F32}), or scalar. */
    public static final RnnDot DEFAULT = new RnnDot(Vectors.enabled() ? RnnDotVector.of(Vectors.F32) : null);

    private final RnnDotVector vector; // null: scalar

    public RnnDot(RnnDotVector vector) {
        this.vector = vector;
    }

    /** sum over k < n of a[aOff + 4k] * b[bOff + 4k]. */
    public float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        return vector == null ? scalarDot(a, aOff, b, bOff, n) : vector.dot(a, aOff, b, bOff, n);
    }

    /** The scalar reference. */
    public static float scalarDot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        float s = 0f;
        for (int k = 0; k < n; k++) {
            s += a.get(F, aOff + 4L * k) * b.get(F, bOff + 4L * k);
        }
        return s;
    }
}
