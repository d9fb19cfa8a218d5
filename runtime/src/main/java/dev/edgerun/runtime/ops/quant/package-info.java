/**
 * Quantization operators of the native engine: QuantizeLinear/DequantizeLinear (per tensor, per
 * axis, blocked; int2 to int16, float8 and float4 through {@link dev.edgerun.runtime.ops.quant.MiniFloat}),
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv over the int32
 * accumulating kernels {@code Q8MatMul} and {@code Q8Conv}; requantization rounds half to even and
 * saturates, as the ONNX reference does.
 */
package dev.edgerun.runtime.ops.quant;
