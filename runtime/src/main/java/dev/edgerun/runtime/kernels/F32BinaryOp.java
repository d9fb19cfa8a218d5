package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The float32 binary operations of {@link F32Binary} and their scalar reference. This class uses no
 * Vector API type, so the reference runs where {@code jdk.incubator.vector} is absent.
 */
public enum F32BinaryOp {
    ADD, SUB, MUL, DIV, MIN, MAX,
    /** {@code a < 0 ? a * b : a}. */
    PRELU;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** One value. */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case PRELU -> a < 0 ? a * b : a;
        };
    }

    /**
     * {@code out[o + i] = op(a[ai + i*as], b[bi + i*bs])} for i in [0, n); indices in elements,
     * strides 0 or 1. One loop per operation: with the operation switched per element the loop was
     * measured up to 200x slower once several operations had run through it.
     */
    public void reference(MemorySegment a, long ai, int as, MemorySegment b, long bi, int bs, MemorySegment out, long o, int n) {
        switch (this) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, x + y);
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, x - y);
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, x * y);
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, x / y);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, Math.min(x, y));
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, Math.max(x, y));
                }
            }
            case PRELU -> {
                for (int i = 0; i < n; i++) {
                    float x = a.getAtIndex(F, ai + (long) i * as), y = b.getAtIndex(F, bi + (long) i * bs);
                    out.setAtIndex(F, o + i, x < 0 ? x * y : x);
                }
            }
        }
    }

    static void fill(MemorySegment out, long o, int n, float v) {
        for (int i = 0; i < n; i++) out.setAtIndex(F, o + i, v);
    }
}
