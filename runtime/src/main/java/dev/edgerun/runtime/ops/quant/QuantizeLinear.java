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
 * ONNX QuantizeLinear (opsets 10 to 25): {@code y = saturate(rint(x / scale) + zero_point)} for
 * integer outputs (int2 to int16), a rounding cast of {@code x / scale} for float8/float4 outputs;
 * per tensor, per axis or blocked ({@code block_size}, opset 21). The output type is the zero
 * point's, else {@code output_dtype}, else uint8. Float32 inputs with float32 scales per tensor
 * or per axis to int8/uint8 take the vector loops of {@link Q8Quantize} (split over threads for
 * large tensors).
 */
public final class QuantizeLinear implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType xType = ctx.inputDType(0);
        DType scaleType = ctx.inputDType(1);
        if (!QuantElements.isReal(xType) && xType != DType.INT32) {
            throw ctx.error("input x must be float, float16, bfloat16 or int32, got " + xType.onnxName());
        }
        if (!QuantElements.isReal(scaleType)) throw ctx.error("y_scale must be a float type, got " + scaleType.onnxName());
        boolean hasZero = ctx.hasInput(2);
        DType yType = hasZero ? ctx.inputDType(2) : DType.fromOnnx((int) ctx.attrInt("output_dtype", DType.UINT8.onnxCode()));
        if (hasZero && ctx.hasAttr("output_dtype") && ctx.attrInt("output_dtype", 0) != yType.onnxCode()) {
            throw ctx.error("output_dtype " + ctx.attrInt("output_dtype", 0) + " differs from the zero point's " + yType.onnxName());
        }
        MiniFloat mini = MiniFloat.of(yType);
        if (mini == null && (!QuantElements.isQuantInteger(yType) || yType == DType.INT32)) {
            throw ctx.unsupported("output type " + yType.onnxName());
        }
        Shape shape = ctx.inputShape(0);
        long blockSize = ctx.attrInt("block_size", 0);
        QuantAxis axis = QuantAxis.of(ctx, shape, ctx.inputShape(1), ctx.attrInt("axis", 1), blockSize);
        if (hasZero && ctx.inputShape(2).elementCount() != ctx.inputShape(1).elementCount()) {
            throw ctx.error("y_zero_point shape " + ctx.inputShape(2) + " differs from y_scale shape " + ctx.inputShape(1));
        }
        boolean saturate = ctx.attrInt("saturate", 1) != 0;
        DType precision = ctx.hasAttr("precision") && ctx.attrInt("precision", 0) != 0
                ? DType.fromOnnx((int) ctx.attrInt("precision", 0)) : null;
        long count = shape.elementCount();
        Q8Runs runs = Q8Runs.of(axis, count);
        boolean fast = xType == DType.FLOAT && scaleType == DType.FLOAT && precision == null && runs != null
                && (yType == DType.INT8 || yType == DType.UINT8);
        ValueType outType = ValueType.tensor(yType, shape);
        if (fast) {
            boolean signed = yType == DType.INT8;
            return Q8RunKernel.of(outType, runs, hasZero, signed, ctx.threads(), (x, y, at, length, scale, zp) ->
                    Q8Quantize.quantize(Vectors.F32, x, 4 * at, y, at, length, scale, zp, signed));
        }
        return Kernel.of(outType, rc -> quantize(rc, xType, scaleType, yType, mini, axis, hasZero, saturate, precision, count));
    }

    private static void quantize(RunContext rc, DType xType, DType scaleType, DType yType, MiniFloat mini, QuantAxis axis,
                                 boolean hasZero, boolean saturate, DType precision, long count) {
        MemorySegment x = rc.input(0).data();
        MemorySegment scale = rc.input(1).data();
        MemorySegment zero = hasZero ? rc.input(2).data() : null;
        MemorySegment y = rc.output(0).data();
        long lo = mini == null ? QuantElements.min(yType) : 0;
        long hi = mini == null ? QuantElements.max(yType) : 0;
        for (long i = 0; i < count; i++) {
            long p = axis.paramIndex(i);
            float s = QuantElements.getReal(scale, scaleType, p);
            double q;
            if (xType == DType.INT32) {
                q = x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i) / (double) s;
            } else if (precision != null) {
                float xv = QuantElements.roundTo(precision, QuantElements.getReal(x, xType, i));
                q = QuantElements.roundTo(precision, xv / QuantElements.roundTo(precision, s));
            } else {
                q = QuantElements.roundTo(xType, QuantElements.getReal(x, xType, i) / s);
            }
            int code;
            if (mini == null) {
                int zp = zero == null ? 0 : QuantElements.getInt(zero, yType, p);
                double v = Math.rint(q) + zp;
                code = (int) Math.max(lo, Math.min(hi, Double.isNaN(v) ? lo : v));
            } else {
                float zp = zero == null || mini != MiniFloat.E2M1 ? 0f : mini.decode(QuantElements.getCode(zero, yType, p));
                code = mini.encode((float) q + zp, saturate);
            }
            QuantElements.putInt(y, yType, i, code);
        }
    }
}
