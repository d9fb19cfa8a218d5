package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * An element-wise activation ({@code op} with parameters {@code p}, {@code q}, as in
 * {@link F32UnaryOp#reference}) applied as a GEMM or convolution epilogue. Unlike a bare lambda
 * it says which activation it is, so a native kernel can run it inside its own primitive (a oneDNN
 * eltwise post-op) and a Java kernel can clamp in registers before its store
 * ({@link #isClamp()}) instead of making a pass over the output.
 */
public record ActivationEpilogue(F32UnaryOp op, float p, float q) implements F32GemmEpilogue {

    @Override
    public void apply(MemorySegment y, long byteOffset, int count) {
        long at = byteOffset / 4;
        if (Vectors.enabled()) F32Unary.apply(op, p, q, Vectors.F32, y, at, y, at, count);
        else op.reference(p, q, y, at, y, at, count);
    }

    /**
     * Whether this activation is {@code min(max(x, clampLow()), clampHigh())} with the same bits as
     * {@link #apply} (Relu and Clip: {@code max(x, 0)} equals {@code min(max(x, 0), +inf)}, NaN
     * included).
     */
    public boolean isClamp() {
        return op == F32UnaryOp.RELU || op == F32UnaryOp.CLIP;
    }

    public float clampLow() {
        return op == F32UnaryOp.RELU ? 0f : p;
    }

    public float clampHigh() {
        return op == F32UnaryOp.RELU ? Float.POSITIVE_INFINITY : q;
    }

    /** {@code e} as a clamp a kernel can apply in registers, or null when it is something else. */
    public static ActivationEpilogue clampOf(F32GemmEpilogue e) {
        return e instanceof ActivationEpilogue a && a.isClamp() ? a : null;
    }
}
