/**
 * Recurrent operators of the native engine: LSTM, GRU and RNN, sharing {@code RecurrentSpec}
 * (direction, layout, sizes, clip, activations). Each direction's input product X·Wᵀ (with the
 * biases that are plain sums) is one packed GEMM over every time step; each step then adds the
 * recurrent product h·Rᵀ as a one-row product over Rᵀ packed once ({@code F32Gemv}) and applies
 * the gate activations to whole vectors. Each batch item runs its own {@code sequence_lens} steps
 * in the kernel's scratch memory; no heap allocation per run.
 */
package dev.edgerun.runtime.ops.rnn;
