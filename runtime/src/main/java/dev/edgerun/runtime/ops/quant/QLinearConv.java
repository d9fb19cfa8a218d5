package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.Q8Conv;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.ops.InternalLayoutKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;

/**
 * ONNX QLinearConv (opset 10): integer convolution of (x - x_zp) and (w - w_zp) plus an int32
 * bias, requantized with {@code x_scale * w_scale / y_scale} and {@code y_zero_point}; w's scale
 * and zero point per tensor or per output channel. Inputs: x, x_scale, x_zero_point, w, w_scale,
 * w_zero_point, y_scale, y_zero_point, B.
 *
 * <p>Requantization follows ONNX Runtime, so that both engines give the same bytes: the
 * multiplier is computed in float32 as {@code (x_scale * w_scale[m]) / y_scale}, the int32
 * accumulator converted to float32 and multiplied by it in float32, rounded half to even, offset
 * by the zero point and clamped. When the quantization parameters, the weights (int8, symmetric)
 * and the bias are constants, a kernel provider's {@link KernelProvider.Q8ConvKernel} runs the
 * node; otherwise the direct integer loops of {@link Q8Conv} do, the reference the fast kernels are
 * tested against.
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
        int channels = conv.geometry.outChannels();
        boolean wScalePerChannel = ZeroPoints.perRow(ctx, 4, "w_scale", channels);
        boolean zwPerChannel = ZeroPoints.perRow(ctx, 5, "w_zero_point", channels);
        if (ctx.hasInput(8) && (ctx.inputDType(8) != DType.INT32 || ctx.inputShape(8).elementCount() != channels)) {
            throw ctx.error("B must be int32 with " + channels + " elements, got " + ctx.inputType(8));
        }
        int lo = (int) Math.max(yType == DType.INT8 ? -128 : 0, ctx.attrInt(OUTPUT_MIN_ATTR, Integer.MIN_VALUE));
        int hi = (int) Math.min(yType == DType.INT8 ? 127 : 255, ctx.attrInt(OUTPUT_MAX_ATTR, Integer.MAX_VALUE));
        List<ValueType> outTypes = List.of(ValueType.tensor(yType, conv.out));
        Optional<KernelProvider.Q8ConvKernel> fast = constantSpec(ctx, conv, yType, wScalePerChannel, lo, hi)
                .flatMap(spec -> KernelSelection.defaults().q8conv(spec));
        if (fast.isPresent()) return new FastNode(outTypes, fast.get(), ctx.threads());
        return new ReferenceNode(outTypes, conv, yType, wScalePerChannel, zwPerChannel, ctx.hasInput(8), lo, hi);
    }

    /**
     * The kernel spec when x_scale, x_zero_point, w (int8), w_scale, w_zero_point (all 0), y_scale,
     * y_zero_point and B are constants and the scales float32; else empty.
     */
    private static Optional<KernelProvider.Q8ConvSpec> constantSpec(NodeContext ctx, ConvShape conv, DType yType,
                                                                    boolean wScalePerChannel, int lo, int hi) {
        for (int i = 1; i <= 8; i++) {
            if (ctx.hasInput(i) && ctx.constantInput(i) == null) return Optional.empty();
        }
        if (ctx.inputDType(3) != DType.INT8 || ctx.inputDType(1) != DType.FLOAT || ctx.inputDType(4) != DType.FLOAT
                || ctx.inputDType(6) != DType.FLOAT || conv.out.elementCount() == 0) {
            return Optional.empty();
        }
        Tensor wZero = ctx.constantInput(5);
        for (long i = 0; wZero != null && i < wZero.elementCount(); i++) {
            if (QuantElements.getInt(wZero.data(), wZero.dtype(), i) != 0) return Optional.empty();
        }
        Q8Conv.Geometry g = conv.geometry;
        int channels = g.outChannels();
        float xs = ctx.constantInput(1).getFloat(0);
        float ys = ctx.constantInput(6).getFloat(0);
        Tensor wScale = ctx.constantInput(4);
        float[] multipliers = new float[channels];
        for (int m = 0; m < channels; m++) {
            multipliers[m] = Q8Quantize.multiplier(xs, ZeroPoints.scale(wScale, wScalePerChannel, m), ys);
        }
        Tensor xZero = ctx.constantInput(2);
        Tensor yZero = ctx.constantInput(7);
        int zx = xZero == null ? 0 : QuantElements.getInt(xZero.data(), xZero.dtype(), 0);
        int zy = QuantElements.getInt(yZero.data(), yType, 0);
        int[] bias = ctx.hasInput(8) ? ctx.constantInput(8).toIntArray() : null;
        var geometry = new KernelProvider.ConvSpec(ctx.inputDType(0), ctx.inputShape(0).dims(), ctx.inputShape(3).dims(),
                conv.out.dims(), g.group(), spatial(g.stride(), conv), spatial(g.padBegin(), conv),
                spatial(g.dilation(), conv), ctx.constantInput(3), null);
        return Optional.of(new KernelProvider.Q8ConvSpec(geometry, ctx.inputDType(0) == DType.INT8, zx, bias,
                multipliers, yType == DType.INT8, zy, lo, hi));
    }

    /** The entries of a geometry array (padded to three spatial axes) for the node's own spatial rank. */
    private static int[] spatial(int[] padded, ConvShape conv) {
        int rank = conv.out.rank() - 2;
        int[] r = new int[rank];
        System.arraycopy(padded, 3 - rank, r, 0, rank);
        return r;
    }

    /**
     * A provider's kernel. Like Conv's, it offers the provider's internal layouts to the planner, so
     * that 8-bit activations between two oneDNN convolutions stay in oneDNN's layout (the NCHW
     * transposes of narrow 8-bit tensors cost more than the convolutions save).
     */
    private record FastNode(List<ValueType> outputTypes, KernelProvider.Q8ConvKernel conv, int threads)
            implements InternalLayoutKernel {
        @Override public long scratchBytes() {
            return conv.scratchBytes();
        }

        @Override public void run(RunContext rc) {
            conv.run(rc.input(0).data(), rc.output(0).data(), rc.scratch(), Parallel.of(rc, threads));
        }

        @Override public KernelProvider.ConvKernel.Layout internalInputLayout() {
            return conv.internalInputLayout();
        }

        @Override public KernelProvider.ConvKernel.Layout internalOutputLayout() {
            return conv.internalOutputLayout();
        }

        @Override public Kernel withInternalLayouts(boolean input, boolean output) {
            KernelProvider.Q8ConvKernel k = conv.withInternalLayouts(input, output);
            return k == null ? null : new FastNode(outputTypes, k, threads);
        }
    }

    /** Direct integer loops with the parameters read at run time: any inputs QLinearConv accepts. */
    private record ReferenceNode(List<ValueType> outputTypes, ConvShape conv, DType yType, boolean wScalePerChannel,
                                 boolean zwPerChannel, boolean hasBias, int lo, int hi) implements Kernel {
        @Override public long scratchBytes() {
            return 4L * conv.geometry.outChannels() + 4L * conv.out.elementCount();
        }

        @Override public void run(RunContext rc) {
            Q8Conv.Geometry g = conv.geometry;
            int channels = g.outChannels();
            long plane = conv.out.product(2, conv.out.rank());
            long accAt = 4L * channels;
            MemorySegment scratch = rc.scratch();
            ZeroPoints.expand(rc.input(5), zwPerChannel, channels, scratch, 0);
            int zx = QuantElements.getInt(rc.input(2).data(), rc.input(2).dtype(), 0);
            Q8Conv.conv(g, rc.input(0).data(), rc.input(0).dtype() == DType.INT8, zx, rc.input(3).data(),
                    rc.input(3).dtype() == DType.INT8, scratch, scratch, accAt);
            float xs = ZeroPoints.scale(rc.input(1), false, 0);
            float ys = ZeroPoints.scale(rc.input(6), false, 0);
            int zy = QuantElements.getInt(rc.input(7).data(), yType, 0);
            Tensor bias = hasBias ? rc.input(8) : null;
            MemorySegment y = rc.output(0).data();
            for (int n = 0; n < g.batch(); n++) {
                for (int m = 0; m < channels; m++) {
                    float mult = Q8Quantize.multiplier(xs, ZeroPoints.scale(rc.input(4), wScalePerChannel, m), ys);
                    int b = bias == null ? 0 : bias.getInt(m);
                    long base = ((long) n * channels + m) * plane;
                    for (long i = 0; i < plane; i++) {
                        int a = scratch.get(ValueLayout.JAVA_INT_UNALIGNED, accAt + 4 * (base + i)) + b;
                        y.set(ValueLayout.JAVA_BYTE, base + i, (byte) Q8Quantize.requantize(a, mult, zy, lo, hi));
                    }
                }
            }
        }
    }
}
