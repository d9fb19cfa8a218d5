package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * float → int8/uint8 with one scale and zero point: {@code y = saturate(rint(x / scale) + zp)},
 * rounding half to even as ONNX QuantizeLinear specifies; and the reverse, int8/uint8 → float.
 */
public final class Q8Quantize {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Q8Quantize() {}

    /** Quantizes {@code count} floats of {@code x} into {@code y} (one byte each). */
    public static void quantize(MemorySegment x, MemorySegment y, long count, float scale, int zeroPoint, boolean signed) {
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        for (long i = 0; i < count; i++) {
            float q = x.getAtIndex(F, i) / scale;
            y.set(ValueLayout.JAVA_BYTE, i, (byte) saturate(Math.rint(q) + zeroPoint, lo, hi));
        }
    }

    /** Dequantizes {@code count} bytes of {@code x}: {@code (x - zp) * scale}. */
    public static void dequantize(MemorySegment x, MemorySegment y, long count, float scale, int zeroPoint, boolean signed) {
        for (long i = 0; i < count; i++) {
            byte b = x.get(ValueLayout.JAVA_BYTE, i);
            int v = signed ? b : Byte.toUnsignedInt(b);
            y.setAtIndex(F, i, (float) (v - zeroPoint) * scale);
        }
    }

    /** {@code v} clamped to [lo, hi]; NaN gives lo. */
    public static int saturate(double v, int lo, int hi) {
        if (!(v >= lo)) return lo;
        return v > hi ? hi : (int) v;
    }
}
