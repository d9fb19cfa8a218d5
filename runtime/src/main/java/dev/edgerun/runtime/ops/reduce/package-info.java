/**
 * Reductions of the native engine: the Reduce* family ({@link Reduce} with a {@link Reduce.Kind})
 * and ArgMax/ArgMin ({@link ArgExtreme}). A reduction is planned as a table of input offsets per
 * output element; reductions over trailing axes of float32 run the vector rows of
 * {@link dev.edgerun.runtime.kernels.ReduceF32Rows}.
 * <pre>{@code
 * Kernel k = new Reduce(Reduce.Kind.MEAN).prepare(nodeContext); // axes from attribute or input
 * }</pre>
 */
package dev.edgerun.runtime.ops.reduce;
