package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A fused step applied to finished output values of a GEMM or convolution (an activation such as
 * Relu or Clip, fused by a later graph optimization): called once per finished run of
 * {@code count} consecutive floats starting at {@code byteOffset}, while they are still in cache.
 */
@FunctionalInterface
public interface F32GemmEpilogue {
    void apply(MemorySegment y, long byteOffset, int count);
}
