package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * ONNX CausalConvWithState (opset 27): a depthwise causal 1-D convolution of input [B, C, L] with
 * weight [C, 1, k], left-padded by past_state [B, C, k-1] (zeros when absent), plus an optional
 * bias and a fused SiLU ({@code activation} silu or swish). Outputs the convolution [B, C, L] and
 * present_state, the last k-1 positions of the padded input. Inputs: input, weight, bias, past_state.
 */
public final class CausalConvWithState implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        Shape x = ctx.inputShape(0), w = ctx.inputShape(1);
        if (x.rank() != 3 || w.rank() != 3 || w.dim(0) != x.dim(1) || w.dim(1) != 1) {
            throw ctx.error("input must be [B, C, L] and weight [C, 1, k], got " + x + " and " + w);
        }
        String activation = ctx.attrString("activation", "none");
        if (!activation.equals("none") && !activation.equals("silu") && !activation.equals("swish")) {
            throw ctx.error("activation must be none, silu or swish, got '" + activation + "'");
        }
        boolean silu = !activation.equals("none");
        int batch = (int) x.dim(0), channels = (int) x.dim(1), length = (int) x.dim(2), k = (int) w.dim(2);
        boolean hasBias = ctx.hasInput(2), hasPast = ctx.hasInput(3);
        if (hasPast && !ctx.inputShape(3).sameDims(Shape.of(batch, channels, k - 1))) {
            throw ctx.error("past_state must be [" + batch + ", " + channels + ", " + (k - 1) + "], got " + ctx.inputShape(3));
        }
        List<ValueType> types = List.of(ValueType.tensor(dtype, x), ValueType.tensor(dtype, Shape.of(batch, channels, k - 1)));
        return Kernel.of(types, rc -> run(rc, dtype, batch, channels, length, k, hasBias, hasPast, silu));
    }

    private static void run(RunContext rc, DType t, int batch, int channels, int length, int k, boolean hasBias,
                            boolean hasPast, boolean silu) {
        MemorySegment x = rc.input(0).data(), w = rc.input(1).data();
        MemorySegment bias = hasBias ? rc.input(2).data() : null;
        MemorySegment past = hasPast ? rc.input(3).data() : null;
        MemorySegment y = rc.output(0).data(), present = rc.output(1).data();
        int padded = length + k - 1;
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                long row = (long) b * channels + c;
                for (int o = 0; o < length; o++) {
                    double acc = bias == null ? 0 : Elements.get(bias, t, c);
                    for (int j = 0; j < k; j++) acc += Elements.get(w, t, (long) c * k + j) * paddedAt(x, past, t, row, o + j, k, length);
                    if (silu) {
                        double r = roundTo(t, acc);
                        acc = r / (1 + Math.exp(-r));
                    }
                    Elements.put(y, t, row * length + o, acc);
                }
                for (int j = 0; j < k - 1; j++) {
                    Elements.put(present, t, row * (k - 1) + j, paddedAt(x, past, t, row, padded - (k - 1) + j, k, length));
                }
            }
        }
    }

    /** Position p of the padded row: past_state (or 0) for p < k-1, then the input. */
    private static double paddedAt(MemorySegment x, MemorySegment past, DType t, long row, int p, int k, int length) {
        if (p < k - 1) return past == null ? 0 : Elements.get(past, t, row * (k - 1) + p);
        return Elements.get(x, t, row * length + p - (k - 1));
    }

    private static double roundTo(DType t, double v) {
        return switch (t) {
            case FLOAT -> (float) v;
            case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            default -> v;
        };
    }
}
