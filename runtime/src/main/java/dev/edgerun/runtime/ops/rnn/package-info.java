/**
 * Recurrent operators of the native engine: LSTM, GRU and RNN, sharing {@code RecurrentSpec}
 * (direction, layout, sizes, clip, activations) and the {@code RnnDot} vector kernel. Each batch
 * item runs its own {@code sequence_lens} steps in the kernel's scratch memory; no heap allocation
 * per run.
 */
package dev.edgerun.runtime.ops.rnn;
