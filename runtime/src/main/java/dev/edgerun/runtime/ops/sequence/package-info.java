/**
 * Sequence and optional operators of the native engine. A sequence is a {@code List<Tensor>} whose
 * tensors live until the run ends (copied with {@code Sequences.keep}); an empty optional is null.
 */
package dev.edgerun.runtime.ops.sequence;
