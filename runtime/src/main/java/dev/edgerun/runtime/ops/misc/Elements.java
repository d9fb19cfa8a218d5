package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element reads and writes as double over every fixed-width numeric dtype, for the operators of
 * this package whose cost is not in element access (Einsum, NonMaxSuppression, DFT, ...).
 */
public final class Elements {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private Elements() {}

    /** Whether {@link #get}/{@link #put} handle {@code t}. */
    public static boolean supported(DType t) {
        return switch (t) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, BOOL -> true;
            default -> false;
        };
    }

    public static double get(MemorySegment s, DType t, long i) {
        return switch (t) {
            case FLOAT -> s.getAtIndex(F32, i);
            case DOUBLE -> s.getAtIndex(F64, i);
            case FLOAT16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
            case BFLOAT16 -> Float.intBitsToFloat(s.getAtIndex(I16, i) << 16);
            case INT8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case UINT8, BOOL -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
            case INT16 -> s.getAtIndex(I16, i);
            case UINT16 -> Short.toUnsignedInt(s.getAtIndex(I16, i));
            case INT32 -> s.getAtIndex(I32, i);
            case UINT32 -> Integer.toUnsignedLong(s.getAtIndex(I32, i));
            case INT64 -> s.getAtIndex(I64, i);
            case UINT64 -> {
                long v = s.getAtIndex(I64, i);
                yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            default -> throw new IllegalArgumentException("no numeric access for " + t.onnxName());
        };
    }

    public static void put(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case FLOAT -> s.setAtIndex(F32, i, (float) v);
            case DOUBLE -> s.setAtIndex(F64, i, v);
            case FLOAT16 -> s.setAtIndex(I16, i, Float.floatToFloat16((float) v));
            case BFLOAT16 -> s.setAtIndex(I16, i, bfloat16((float) v));
            case INT8, UINT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (long) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            case INT16, UINT16 -> s.setAtIndex(I16, i, (short) (long) v);
            case INT32, UINT32 -> s.setAtIndex(I32, i, (int) (long) v);
            case INT64 -> s.setAtIndex(I64, i, (long) v);
            case UINT64 -> s.setAtIndex(I64, i, v >= 0x1p63 ? (long) (v - 0x1p63) ^ Long.MIN_VALUE : (long) v);
            default -> throw new IllegalArgumentException("no numeric access for " + t.onnxName());
        }
    }

    private static short bfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }
}
