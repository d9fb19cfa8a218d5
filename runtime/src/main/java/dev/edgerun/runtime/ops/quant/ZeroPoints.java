package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.NodeContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Helpers shared by the integer matmul and convolution operators: checking that a zero point or
 * scale is per tensor or one per row/channel, and expanding it into an int32 vector or reading
 * one element as a float.
 */
final class ZeroPoints {
    private ZeroPoints() {}

    /** Checks input {@code i} has 1 element or {@code perRow} elements; returns whether it is per row. */
    static boolean perRow(NodeContext ctx, int i, String name, int perRow) {
        if (!ctx.hasInput(i)) return false;
        Shape s = ctx.inputShape(i);
        long count = s.elementCount();
        if (count == 1) return false;
        if (s.rank() == 1 && count == perRow) return true;
        throw ctx.error(name + " must be a scalar or have " + perRow + " elements, got " + s);
    }

    /** Writes {@code count} int32 zero points into {@code target}: from {@code zero} (per row or broadcast) or 0. */
    static void expand(Tensor zero, boolean perRow, int count, MemorySegment target, long targetOffset) {
        for (int i = 0; i < count; i++) {
            int v = zero == null ? 0 : QuantElements.getInt(zero.data(), zero.dtype(), perRow ? i : 0);
            target.set(ValueLayout.JAVA_INT_UNALIGNED, targetOffset + 4L * i, v);
        }
    }

    /** Element {@code i} (or 0 when not per row) of a scale tensor, as float. */
    static float scale(Tensor scale, boolean perRow, int i) {
        return QuantElements.getReal(scale.data(), scale.dtype(), perRow ? i : 0);
    }

    static void requireByteType(NodeContext ctx, int i, String name) {
        DType t = ctx.inputDType(i);
        if (t != DType.INT8 && t != DType.UINT8) throw ctx.error(name + " must be int8 or uint8, got " + t.onnxName());
    }

    /** {@code a * b / y} evaluated in the precision of the scales' type, as the ONNX reference does. */
    static double multiplier(DType scaleType, float a, float b, float y) {
        return QuantElements.roundTo(scaleType, QuantElements.roundTo(scaleType, a * b) / y);
    }
}
