/**
 * The native engine's linear algebra, convolution, pooling, normalization, softmax and loss
 * operators, one class per ONNX operator ({@link dev.edgerun.runtime.ops.nn.Conv},
 * {@link dev.edgerun.runtime.ops.nn.Gemm}, ...), registered in
 * {@link dev.edgerun.runtime.ops.OperatorRegistry}'s {@code nn} section.
 *
 * <p>Each operator parses its attributes and plans shapes at compile time; the heavy arithmetic
 * comes from a {@link dev.edgerun.runtime.kernels.KernelProvider} chosen by
 * {@link dev.edgerun.runtime.kernels.KernelSelection} (GEMM, convolution; constant weights are
 * packed once) or from the float32 kernels in {@code dev.edgerun.runtime.kernels}
 * ({@code F32Pool}, {@code F32Softmax}, {@code F32Norm}). Sliding-window geometry (pads,
 * {@code auto_pad}, {@code ceil_mode}) is resolved once by {@code Spatial}.
 *
 * <pre>{@code
 * // how a Conv node is planned (what Conv.prepare does):
 * var spec = new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, group, strides, padsBegin, dilations,
 *         constantWeights, null);
 * KernelProvider.ConvKernel conv = KernelSelection.defaults().conv(spec).orElseThrow();
 * // ... and run:
 * conv.run(xSegment, wSegment, biasOrMemorySegmentNULL, ySegment, scratch, Parallel.SERIAL);
 * }</pre>
 */
package dev.edgerun.runtime.ops.nn;
