package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.kernels.Vectors;
import java.lang.foreign.MemorySegment;

/**
 * ONNX DequantizeLinear (opsets 10 to 25): {@code y = (x - zero_point) * scale} per tensor, per
 * axis or blocked; float8/float4 inputs are decoded (their zero point must be 0). The output has
 * the scale's type, or {@code output_dtype} (opset 23). int8/uint8 to float32 with float32
 * scales per tensor or per axis takes the vector loops of {@link Q8Quantize}.
 */
public final class DequantizeLinear implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType xType = ctx.inputDType(0);
        DType scaleType = ctx.inputDType(1);
        MiniFloat mini = MiniFloat.of(xType);
        if (mini == null && !QuantElements.isQuantInteger(xType)) throw ctx.unsupported("input type " + xType.onnxName());
        if (!QuantElements.isReal(scaleType)) throw ctx.error("x_scale must be a float type, got " + scaleType.onnxName());
        boolean hasZero = ctx.hasInput(2);
        if (hasZero && ctx.inputDType(2) != xType) {
            throw ctx.error("x_zero_point must have x's type " + xType.onnxName() + ", got " + ctx.inputDType(2).onnxName());
        }
        long outCode = ctx.attrInt("output_dtype", 0);
        DType yType = outCode == 0 ? scaleType : DType.fromOnnx((int) outCode);
        if (!QuantElements.isReal(yType)) throw ctx.error("output_dtype must be a float type, got " + yType.onnxName());
        Shape shape = ctx.inputShape(0);
        QuantAxis axis = QuantAxis.of(ctx, shape, ctx.inputShape(1), ctx.attrInt("axis", 1), ctx.attrInt("block_size", 0));
        long count = shape.elementCount();
        ValueType outType = ValueType.tensor(yType, shape);
        Q8Runs runs = Q8Runs.of(axis, count);
        if (runs != null && scaleType == DType.FLOAT && yType == DType.FLOAT && (xType == DType.INT8 || xType == DType.UINT8)) {
            boolean signed = xType == DType.INT8;
            return Q8RunKernel.of(outType, runs, hasZero, signed, ctx.threads(), (x, y, at, length, scale, zp) ->
                    Q8Quantize.dequantize(Vectors.F32, x, at, y, 4 * at, length, scale, zp, signed));
        }
        return Kernel.of(outType, rc -> dequantize(rc, xType, scaleType, yType, mini, axis, hasZero, count));
    }

    private static void dequantize(RunContext rc, DType xType, DType scaleType, DType yType, MiniFloat mini,
                                   QuantAxis axis, boolean hasZero, long count) {
        MemorySegment x = rc.input(0).data();
        MemorySegment scale = rc.input(1).data();
        MemorySegment zero = hasZero && mini == null ? rc.input(2).data() : null;
        MemorySegment y = rc.output(0).data();
        for (long i = 0; i < count; i++) {
            long p = axis.paramIndex(i);
            float s = QuantElements.getReal(scale, scaleType, p);
            float v;
            if (mini != null) {
                v = mini.decode(QuantElements.getCode(x, xType, i)) * s;
            } else if (xType == DType.INT32) {
                long zp = zero == null ? 0 : QuantElements.getInt(zero, xType, p);
                v = (float) ((double) (float) QuantElements.getInt(x, xType, i) - zp) * s;
            } else {
                int zp = zero == null ? 0 : QuantElements.getInt(zero, xType, p);
                v = (float) (QuantElements.getInt(x, xType, i) - zp) * s;
            }
            QuantElements.putReal(y, yType, i, v);
        }
    }
}
