package dev.edgerun.runtime.ops.reduce;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Element loads and stores by dtype, through double (floating types) or long (integer and bool types). */
public final class Elements {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Elements() {}

    /** Whether reductions over {@code t} accumulate in double (else in long). */
    public static boolean floating(DType t) {
        return t == DType.FLOAT || t == DType.DOUBLE || t == DType.FLOAT16 || t == DType.BFLOAT16;
    }

    public static boolean supported(DType t) {
        return switch (t) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8, UINT64, UINT32, UINT16, UINT8, BOOL -> true;
            default -> false;
        };
    }

    public static double loadDouble(MemorySegment s, DType t, long i) {
        return switch (t) {
            case FLOAT -> s.getAtIndex(F32, i);
            case DOUBLE -> s.getAtIndex(F64, i);
            case FLOAT16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
            case BFLOAT16 -> Float.intBitsToFloat(s.getAtIndex(I16, i) << 16);
            case UINT64 -> unsignedToDouble(s.getAtIndex(I64, i));
            default -> loadLong(s, t, i);
        };
    }

    public static long loadLong(MemorySegment s, DType t, long i) {
        return switch (t) {
            case INT64, UINT64 -> s.getAtIndex(I64, i);
            case INT32 -> s.getAtIndex(I32, i);
            case UINT32 -> Integer.toUnsignedLong(s.getAtIndex(I32, i));
            case INT16 -> s.getAtIndex(I16, i);
            case UINT16 -> Short.toUnsignedInt(s.getAtIndex(I16, i));
            case INT8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case UINT8, BOOL -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
            default -> (long) loadDouble(s, t, i);
        };
    }

    public static void storeDouble(MemorySegment s, DType t, long i, double v) {
        switch (t) {
            case FLOAT -> s.setAtIndex(F32, i, (float) v);
            case DOUBLE -> s.setAtIndex(F64, i, v);
            case FLOAT16 -> s.setAtIndex(I16, i, Float.floatToFloat16((float) v));
            case BFLOAT16 -> s.setAtIndex(I16, i, toBfloat16((float) v));
            default -> storeLong(s, t, i, (long) v);
        }
    }

    public static void storeLong(MemorySegment s, DType t, long i, long v) {
        switch (t) {
            case INT64, UINT64 -> s.setAtIndex(I64, i, v);
            case INT32, UINT32 -> s.setAtIndex(I32, i, (int) v);
            case INT16, UINT16 -> s.setAtIndex(I16, i, (short) v);
            case INT8, UINT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            default -> storeDouble(s, t, i, v);
        }
    }

    /** Round to nearest even on the dropped 16 bits; NaN stays NaN. */
    public static short toBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Smallest and largest value of an integer dtype, for empty max/min reductions. */
    public static long minValue(DType t) {
        return switch (t) {
            case INT64 -> Long.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT8 -> Byte.MIN_VALUE;
            default -> 0;
        };
    }

    public static long maxValue(DType t) {
        return switch (t) {
            case INT64 -> Long.MAX_VALUE;
            case INT32 -> Integer.MAX_VALUE;
            case INT16 -> Short.MAX_VALUE;
            case INT8 -> Byte.MAX_VALUE;
            case UINT32 -> 0xFFFFFFFFL;
            case UINT16 -> 0xFFFF;
            case UINT8 -> 0xFF;
            case BOOL -> 1;
            default -> -1; // UINT64: all ones
        };
    }

    private static double unsignedToDouble(long v) {
        return (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /**
     * Combines element {@code di} of {@code dst} with element {@code si} of {@code src} (same dtype)
     * by {@code reduction}: none (replace), add, mul, max or min, as ScatterElements and ScatterND do.
     */
    public static void combine(MemorySegment dst, long di, MemorySegment src, long si, DType t, String reduction, int esize) {
        if (reduction.equals("none")) {
            MemorySegment.copy(src, si * esize, dst, di * esize, esize);
        } else if (floating(t)) {
            double a = loadDouble(dst, t, di);
            double b = loadDouble(src, t, si);
            storeDouble(dst, t, di, switch (reduction) {
                case "add" -> a + b;
                case "mul" -> a * b;
                case "max" -> Math.max(a, b);
                default -> Math.min(a, b);
            });
        } else {
            long a = loadLong(dst, t, di);
            long b = loadLong(src, t, si);
            storeLong(dst, t, di, switch (reduction) {
                case "add" -> a + b;
                case "mul" -> a * b;
                case "max" -> Math.max(a, b);
                default -> Math.min(a, b);
            });
        }
    }
}
