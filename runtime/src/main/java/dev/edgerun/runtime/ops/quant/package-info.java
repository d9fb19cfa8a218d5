/**
 * Quantization operators of the native engine: QuantizeLinear/DequantizeLinear (per tensor, per
 * axis, blocked; int2 to int16, float8 and float4 through {@link dev.edgerun.runtime.ops.quant.MiniFloat}),
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv over the int32
 * accumulating kernels {@code Q8MatMul} and {@code Q8Conv}; requantization rounds half to even and
 * saturates, as the ONNX reference does (QLinearConv with ONNX Runtime's float32 multiplier and
 * product). A QLinearConv with constant parameters and int8 weights (also the one the engine fuses
 * from QDQ convolutions) runs a kernel provider's 8-bit convolution ({@code KernelSelection.q8conv});
 * float32 ↔ int8/uint8 Q/DQ per tensor and per axis take the vector loops of {@code Q8Quantize}.
 * QLinearAdd and QLinearLeakyRelu (com.microsoft) and the engine's own QLinearMaxPool
 * ({@code dev.edgerun}) are what the QDQ fusion makes of residual Adds, Relu/LeakyRelu and MaxPool
 * between DequantizeLinear and QuantizeLinear; the last two give exactly the unfused bytes.
 */
package dev.edgerun.runtime.ops.quant;
