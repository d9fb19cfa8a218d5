/**
 * Shape, data-movement and indexing operators of the native engine (Reshape, Transpose, Concat,
 * Gather, Slice, Pad, Resize, Scatter*, TopK, Unique ...). Data movement works on element byte
 * widths, so every whole-byte dtype is supported; the copies are planned once as
 * {@link dev.edgerun.runtime.kernels.StridedCopy} or {@link dev.edgerun.runtime.kernels.StridedGather}.
 * Operators whose output shape depends on input values (Reshape's shape, Slice's starts ...) plan at
 * compile time when those inputs are constant, else at every run through {@link ValuePlanned}:
 * <pre>{@code
 * return ValuePlanned.kernel(ctx, dtype, outRank,
 *         values -> planFor(OpArgs.longs(values.input(1))), 1); // input 1 holds the shape
 * }</pre>
 */
package dev.edgerun.runtime.ops.tensor;
