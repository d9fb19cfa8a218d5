package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Conversion of the non-float32 element types the nn operators accept (double, float16,
 * bfloat16, int8, uint8) to and from float32 scratch, so that one float32 kernel serves them.
 */
final class Floats {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Floats() {}

    static boolean convertible(DType t) {
        return switch (t) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8 -> true;
            default -> false;
        };
    }

    static void toFloat(DType t, MemorySegment src, MemorySegment dst, long dstOff, long count) {
        for (long i = 0; i < count; i++) {
            float v = switch (t) {
                case FLOAT -> src.getAtIndex(F, i);
                case DOUBLE -> (float) src.getAtIndex(D, i);
                case FLOAT16 -> Float.float16ToFloat(src.getAtIndex(H, i));
                case BFLOAT16 -> Float.intBitsToFloat(src.getAtIndex(H, i) << 16);
                case INT8 -> src.get(ValueLayout.JAVA_BYTE, i);
                case UINT8 -> Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, i));
                default -> throw new IllegalStateException("no float conversion for " + t);
            };
            dst.set(F, dstOff + 4 * i, v);
        }
    }

    static void fromFloat(MemorySegment src, long srcOff, DType t, MemorySegment dst, long count) {
        for (long i = 0; i < count; i++) {
            float v = src.get(F, srcOff + 4 * i);
            switch (t) {
                case FLOAT -> dst.setAtIndex(F, i, v);
                case DOUBLE -> dst.setAtIndex(D, i, v);
                case FLOAT16 -> dst.setAtIndex(H, i, Float.floatToFloat16(v));
                case BFLOAT16 -> dst.setAtIndex(H, i, toBfloat16(v));
                case INT8 -> dst.set(ValueLayout.JAVA_BYTE, i, (byte) Math.max(-128, Math.min(127, Math.round(v))));
                case UINT8 -> dst.set(ValueLayout.JAVA_BYTE, i, (byte) Math.max(0, Math.min(255, Math.round(v))));
                default -> throw new IllegalStateException("no float conversion for " + t);
            }
        }
    }

    private static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
