package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Conv;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * ONNX ConvInteger (opset 10): int32 convolution of int8/uint8 x and w; x's zero point per
 * tensor, w's per tensor or per output channel. Inputs: x, w, x_zero_point, w_zero_point.
 */
public final class ConvInteger implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "x");
        ZeroPoints.requireByteType(ctx, 1, "w");
        ConvShape conv = new ConvShape(ctx, ctx.inputShape(0), ctx.inputShape(1));
        Q8Conv.Geometry g = conv.geometry;
        boolean xSigned = ctx.inputDType(0) == DType.INT8;
        boolean wSigned = ctx.inputDType(1) == DType.INT8;
        ZeroPoints.perRow(ctx, 2, "x_zero_point", 1);
        boolean zwPerChannel = ZeroPoints.perRow(ctx, 3, "w_zero_point", g.outChannels());
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return List.of(ValueType.tensor(DType.INT32, conv.out)); }
            @Override public long scratchBytes() { return 4L * g.outChannels(); }
            @Override public void run(RunContext rc) {
                ZeroPoints.expand(rc.input(3), zwPerChannel, g.outChannels(), rc.scratch(), 0);
                int zx = rc.input(2) == null ? 0 : QuantElements.getInt(rc.input(2).data(), rc.input(2).dtype(), 0);
                Q8Conv.conv(g, rc.input(0).data(), xSigned, zx, rc.input(1).data(), wSigned, rc.scratch(), rc.output(0).data(), 0);
            }
        };
    }
}
