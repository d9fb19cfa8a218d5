package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8GlobalAveragePool;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/**
 * Engine-internal {@code QLinearGlobalAveragePool} (domain {@link QLinearMaxPool#DOMAIN}), what
 * the QDQ fusion makes of {@code QuantizeLinear(GlobalAveragePool(DequantizeLinear(x)))}: inputs X
 * (int8/uint8, N x C x spatial...), X_scale, X_zero_point, Y_scale, Y_zero_point (constants, one
 * element each; Y's type is Y_zero_point's); output N x C x 1 x ... The mean of each plane from its
 * exact integer sum, requantized once ({@link Q8GlobalAveragePool}): within one step of the three
 * nodes, which sum the dequantized floats with rounding. It saves the float copy of the input
 * that the DequantizeLinear writes and the pool reads back.
 */
public final class QLinearGlobalAveragePool implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "X");
        Shape x = ctx.inputShape(0);
        if (x.rank() < 3) throw ctx.unsupported("QLinearGlobalAveragePool of a rank " + x.rank() + " input " + x + " (needs N x C x spatial...)");
        float sx = QLinearMaxPool.constantScale(ctx, 1, "X_scale"), sy = QLinearMaxPool.constantScale(ctx, 3, "Y_scale");
        if (!(sx > 0) || Float.isInfinite(sx) || !(sy > 0) || Float.isInfinite(sy)) {
            throw ctx.error("X_scale and Y_scale must be positive and finite, got " + sx + " and " + sy);
        }
        DType xType = ctx.inputDType(0);
        int zx = QLinearMaxPool.constantZero(ctx, 2, xType);
        if (!ctx.hasInput(4)) throw ctx.error("Y_zero_point is required (it gives Y's type)");
        DType yType = ctx.inputDType(4);
        if (yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("Y_zero_point must be int8 or uint8, got " + yType.onnxName());
        int zy = QLinearMaxPool.constantZero(ctx, 4, yType);
        long[] dims = x.dims();
        long size = 1;
        for (int a = 2; a < dims.length; a++) size *= dims[a];
        long planes = dims[0] * dims[1];
        if (size < 1 || size > 1 << 23 || planes > Integer.MAX_VALUE) {
            throw ctx.unsupported("QLinearGlobalAveragePool over planes of " + size + " elements (1 to 2^23, exact int sums)");
        }
        long[] y = new long[dims.length];
        java.util.Arrays.fill(y, 1);
        y[0] = dims[0];
        y[1] = dims[1];
        var pool = new Q8GlobalAveragePool(xType == DType.INT8, (int) size, sx, zx, sy, zy,
                (int) QuantElements.min(yType), (int) QuantElements.max(yType));
        int count = (int) planes;
        return Kernel.of(ValueType.tensor(yType, Shape.of(y)), rc -> pool.run(rc.input(0).data(), rc.output(0).data(), 0, count));
    }
}
