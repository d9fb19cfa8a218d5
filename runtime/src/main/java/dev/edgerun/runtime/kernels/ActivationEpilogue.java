package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * An element-wise activation ({@code op} with parameters {@code p}, {@code q}, as in
 * {@link F32UnaryOp#reference}) applied as a GEMM or convolution epilogue. Unlike a bare lambda
 * it says which activation it is, so a native kernel can run it inside its own primitive (a oneDNN
 * eltwise post-op) instead of in a pass over the output.
 */
public record ActivationEpilogue(F32UnaryOp op, float p, float q) implements F32GemmEpilogue {

    @Override
    public void apply(MemorySegment y, long byteOffset, int count) {
        long at = byteOffset / 4;
        if (Vectors.enabled()) F32Unary.apply(op, p, q, Vectors.F32, y, at, y, at, count);
        else op.reference(p, q, y, at, y, at, count);
    }
}
