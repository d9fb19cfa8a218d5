/**
 * The remaining operators of the native engine: attention variants (Attention, FlexAttention,
 * LinearAttention, RotaryEmbedding, CausalConvWithState), signal processing (DFT, STFT, windows,
 * MelWeightMatrix), geometry (GridSample, AffineGrid, RoiAlign, NonMaxSuppression), Einsum, Det,
 * strings, TfIdfVectorizer, ImageDecoder, random generators, the ai.onnx.ml and
 * ai.onnx.preview.training operators. Plain scalar code in double over {@code Elements}: these
 * operators are rare in edge models and their cost is not in element access.
 */
package dev.edgerun.runtime.ops.misc;
