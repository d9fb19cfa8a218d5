package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Conv;
import dev.edgerun.runtime.kernels.Q8MatMul;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX QLinearConv (opset 10): integer convolution of (x - x_zp) and (w - w_zp) plus an int32
 * bias, requantized with {@code x_scale * w_scale / y_scale} and {@code y_zero_point}; w's scale
 * and zero point per tensor or per output channel. Inputs: x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point, y_scale, y_zero_point, B.
 */
public final class QLinearConv implements Operator {
    /**
     * Engine-internal attributes set when the graph optimizer fuses an activation (Relu, Clip)
     * into a QDQ convolution: the output is clamped to {@code [output_min, output_max]} in the
     * quantized domain, which is exact because quantization is monotonic.
     */
    public static final String OUTPUT_MIN_ATTR = "edgerun.output_min";
    public static final String OUTPUT_MAX_ATTR = "edgerun.output_max";

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "x");
        ZeroPoints.requireByteType(ctx, 3, "w");
        DType yType = ctx.inputDType(7);
        if (yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("y_zero_point must be int8 or uint8, got " + yType.onnxName());
        ConvShape conv = new ConvShape(ctx, ctx.inputShape(0), ctx.inputShape(3));
        Q8Conv.Geometry g = conv.geometry;
        boolean xSigned = ctx.inputDType(0) == DType.INT8;
        boolean wSigned = ctx.inputDType(3) == DType.INT8;
        int channels = g.outChannels();
        boolean wScalePerChannel = ZeroPoints.perRow(ctx, 4, "w_scale", channels);
        boolean zwPerChannel = ZeroPoints.perRow(ctx, 5, "w_zero_point", channels);
        boolean hasBias = ctx.hasInput(8);
        if (hasBias && (ctx.inputDType(8) != DType.INT32 || ctx.inputShape(8).elementCount() != channels)) {
            throw ctx.error("B must be int32 with " + channels + " elements, got " + ctx.inputType(8));
        }
        DType scaleType = ctx.inputDType(1);
        int lo = (int) Math.max(yType == DType.INT8 ? -128 : 0, ctx.attrInt(OUTPUT_MIN_ATTR, Integer.MIN_VALUE));
        int hi = (int) Math.min(yType == DType.INT8 ? 127 : 255, ctx.attrInt(OUTPUT_MAX_ATTR, Integer.MAX_VALUE));
        long plane = conv.out.product(2, conv.out.rank());
        long accAt = 4L * channels;
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return List.of(ValueType.tensor(yType, conv.out)); }
            @Override public long scratchBytes() { return 4L * channels + 4L * conv.out.elementCount(); }
            @Override public void run(RunContext rc) {
                MemorySegment scratch = rc.scratch();
                ZeroPoints.expand(rc.input(5), zwPerChannel, channels, scratch, 0);
                int zx = QuantElements.getInt(rc.input(2).data(), rc.input(2).dtype(), 0);
                Q8Conv.conv(g, rc.input(0).data(), xSigned, zx, rc.input(3).data(), wSigned, scratch, scratch, accAt);
                float xs = ZeroPoints.scale(rc.input(1), false, 0);
                float ys = ZeroPoints.scale(rc.input(6), false, 0);
                int zy = QuantElements.getInt(rc.input(7).data(), yType, 0);
                Tensor wScale = rc.input(4);
                MemorySegment y = rc.output(0).data();
                for (int n = 0; n < g.batch(); n++) {
                    for (int m = 0; m < channels; m++) {
                        double mult = ZeroPoints.multiplier(scaleType, xs, ZeroPoints.scale(wScale, wScalePerChannel, m), ys);
                        int bias = hasBias ? rc.input(8).getInt(m) : 0;
                        long base = ((long) n * channels + m) * plane;
                        for (long i = 0; i < plane; i++) {
                            int a = scratch.get(ValueLayout.JAVA_INT_UNALIGNED, accAt + 4 * (base + i)) + bias;
                            y.set(ValueLayout.JAVA_BYTE, base + i, (byte) Q8MatMul.requantize(a, mult, zy, lo, hi));
                        }
                    }
                }
            }
        };
    }
}
