/**
 * ONNX operators of the native engine: one class per operator (or small family), each parsing
 * its attributes, inferring output shapes and returning a {@link dev.edgerun.runtime.ops.Kernel};
 * all listed in {@link dev.edgerun.runtime.ops.OperatorRegistry}. Fast kernels live in
 * {@code dev.edgerun.runtime.kernels}; each operator keeps a plain scalar reference.
 */
package dev.edgerun.runtime.ops;
