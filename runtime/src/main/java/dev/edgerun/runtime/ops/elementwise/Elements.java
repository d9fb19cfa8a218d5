package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.kernels.Casts;
import dev.edgerun.runtime.kernels.HalfFloats;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and writes one element of any numeric or bool dtype as a double or a long: the scalar
 * reference paths of the element-wise operators compute floats in double and integers in long
 * (unsigned values zero-extended; UINT64 as raw bits), then store with the target type's rounding
 * or wrap-around.
 */
final class Elements {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    private static final double TWO_POW_63 = 0x1p63;

    private Elements() {}

    /** float, double, float16, bfloat16: the types arithmetic computes in double. */
    static boolean isFloat(DType t) {
        return t == DType.FLOAT || t == DType.DOUBLE || t == DType.FLOAT16 || t == DType.BFLOAT16;
    }

    /** The 8..64-bit integer types. */
    static boolean isInteger(DType t) {
        return switch (t) {
            case INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64 -> true;
            default -> false;
        };
    }

    static boolean isNumeric(DType t) {
        return isFloat(t) || isInteger(t);
    }

    static double readDouble(MemorySegment s, DType t, long i) {
        return switch (t) {
            case FLOAT -> s.getAtIndex(F32, i);
            case DOUBLE -> s.getAtIndex(F64, i);
            case FLOAT16 -> HalfFloats.f16ToFloat(s.getAtIndex(I16, i));
            case BFLOAT16 -> HalfFloats.bf16ToFloat(s.getAtIndex(I16, i));
            case UINT64 -> unsignedToDouble(s.getAtIndex(I64, i));
            case FLOAT8E4M3FN -> Casts.MiniFloat.E4M3FN.decode(s.get(I8, i));
            case FLOAT8E4M3FNUZ -> Casts.MiniFloat.E4M3FNUZ.decode(s.get(I8, i));
            case FLOAT8E5M2 -> Casts.MiniFloat.E5M2.decode(s.get(I8, i));
            case FLOAT8E5M2FNUZ -> Casts.MiniFloat.E5M2FNUZ.decode(s.get(I8, i));
            case FLOAT8E8M0 -> Casts.fromE8M0(s.get(I8, i));
            default -> readLong(s, t, i);
        };
    }

    static long readLong(MemorySegment s, DType t, long i) {
        return switch (t) {
            case INT8 -> s.get(I8, i);
            case UINT8, BOOL -> s.get(I8, i) & 0xFF;
            case INT16 -> s.getAtIndex(I16, i);
            case UINT16 -> s.getAtIndex(I16, i) & 0xFFFF;
            case INT32 -> s.getAtIndex(I32, i);
            case UINT32 -> s.getAtIndex(I32, i) & 0xFFFF_FFFFL;
            case INT64, UINT64 -> s.getAtIndex(I64, i);
            default -> (long) readDouble(s, t, i);
        };
    }

    static void writeDouble(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case FLOAT -> s.setAtIndex(F32, i, (float) v);
            case DOUBLE -> s.setAtIndex(F64, i, v);
            case FLOAT16 -> s.setAtIndex(I16, i, HalfFloats.floatToF16((float) v));
            case BFLOAT16 -> s.setAtIndex(I16, i, HalfFloats.floatToBf16((float) v));
            case BOOL -> s.set(I8, i, (byte) (v != 0 ? 1 : 0));
            case UINT64 -> s.setAtIndex(I64, i, doubleToUnsigned(v));
            default -> writeLong(s, t, i, (long) v);
        }
    }

    static void writeLong(MemorySegment s, DType t, long i, long v) {
        switch (t) {
            case INT8, UINT8 -> s.set(I8, i, (byte) v);
            case BOOL -> s.set(I8, i, (byte) (v != 0 ? 1 : 0));
            case INT16, UINT16 -> s.setAtIndex(I16, i, (short) v);
            case INT32, UINT32 -> s.setAtIndex(I32, i, (int) v);
            case INT64, UINT64 -> s.setAtIndex(I64, i, v);
            case FLOAT -> s.setAtIndex(F32, i, (float) v);
            default -> writeDouble(s, t, i, (double) v);
        }
    }

    static double unsignedToDouble(long v) {
        return v >= 0 ? (double) v : ((double) (v >>> 1 | (v & 1))) * 2.0;
    }

    static float unsignedToFloat(long v) {
        return v >= 0 ? (float) v : ((float) (v >>> 1 | (v & 1))) * 2.0f;
    }

    static long doubleToUnsigned(double v) {
        return v >= TWO_POW_63 ? (long) (v - TWO_POW_63) ^ Long.MIN_VALUE : (long) v;
    }
}
