package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A GEMM kernel with a form that adds a bias row to every row of its product itself, for a product
 * planned with {@link KernelProvider.GemmSpec#accumulate} onto a Y first filled with that row (a
 * MatMul with a fused bias): Y is then written once, by the product, instead of being filled by a
 * pass of its own and read back by the accumulation.
 */
public interface RowBiasGemm {

    /** The row-adding form of this product, made now (at planning); null when there is none. */
    Kernel withRowBias();

    /** {@code Y = alpha * op(A) . op(B) + bias} (bias: n floats, added to every row), then the epilogue. Thread-safe. */
    interface Kernel {
        long scratchBytes();

        /** Offsets in bytes; Y's earlier contents are not read. */
        void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment bias, long biasOffset,
                 MemorySegment y, long yOffset, MemorySegment scratch, Parallel par);
    }
}
