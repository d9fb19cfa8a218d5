package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Element reads and writes for the quantization operators over every type they accept: integers
 * of 2 to 32 bits (sub-byte ones packed, element 0 in the low bits), float8/float4 codes, and
 * the float types of scales and real values.
 */
public final class QuantElements {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private QuantElements() {}

    /** Whether {@code t} is an integer type a quantized tensor may have. */
    public static boolean isQuantInteger(DType t) {
        return switch (t) {
            case UINT8, INT8, UINT16, INT16, INT32, UINT4, INT4, UINT2, INT2 -> true;
            default -> false;
        };
    }

    /** Whether {@code t} holds real values (scales, inputs of QuantizeLinear, outputs of DequantizeLinear). */
    public static boolean isReal(DType t) {
        return t == DType.FLOAT || t == DType.FLOAT16 || t == DType.BFLOAT16 || t == DType.DOUBLE;
    }

    /** [min, max] of an integer quantized type. */
    public static long min(DType t) {
        return switch (t) {
            case UINT8, UINT16, UINT4, UINT2 -> 0;
            case INT8 -> -128;
            case INT16 -> -32768;
            case INT32 -> Integer.MIN_VALUE;
            case INT4 -> -8;
            case INT2 -> -2;
            default -> throw new IllegalArgumentException(t.onnxName());
        };
    }

    public static long max(DType t) {
        return switch (t) {
            case UINT8 -> 255;
            case INT8 -> 127;
            case UINT16 -> 65535;
            case INT16 -> 32767;
            case INT32 -> Integer.MAX_VALUE;
            case UINT4 -> 15;
            case INT4 -> 7;
            case UINT2 -> 3;
            case INT2 -> 1;
            default -> throw new IllegalArgumentException(t.onnxName());
        };
    }

    /** Integer element {@code i}. */
    public static int getInt(MemorySegment s, DType t, long i) {
        return switch (t) {
            case UINT8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
            case INT8 -> s.get(ValueLayout.JAVA_BYTE, i);
            case UINT16 -> Short.toUnsignedInt(s.getAtIndex(I16, i));
            case INT16 -> s.getAtIndex(I16, i);
            case INT32 -> s.getAtIndex(I32, i);
            case UINT4 -> (s.get(ValueLayout.JAVA_BYTE, i >> 1) >> (4 * (int) (i & 1))) & 0xF;
            case INT4 -> ((s.get(ValueLayout.JAVA_BYTE, i >> 1) >> (4 * (int) (i & 1))) << 28) >> 28;
            case UINT2 -> (s.get(ValueLayout.JAVA_BYTE, i >> 2) >> (2 * (int) (i & 3))) & 0x3;
            case INT2 -> ((s.get(ValueLayout.JAVA_BYTE, i >> 2) >> (2 * (int) (i & 3))) << 30) >> 30;
            case INT64 -> (int) s.getAtIndex(I64, i);
            default -> throw new IllegalArgumentException("not an integer type: " + t.onnxName());
        };
    }

    /** Writes integer element {@code i} (already in range); sub-byte types keep their neighbours. */
    public static void putInt(MemorySegment s, DType t, long i, int v) {
        switch (t) {
            case UINT8, INT8 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case UINT16, INT16 -> s.setAtIndex(I16, i, (short) v);
            case INT32 -> s.setAtIndex(I32, i, v);
            case UINT4, INT4, FLOAT4E2M1 -> putBits(s, i >> 1, 4 * (int) (i & 1), 0xF, v);
            case UINT2, INT2 -> putBits(s, i >> 2, 2 * (int) (i & 3), 0x3, v);
            default -> s.set(ValueLayout.JAVA_BYTE, i, (byte) v); // float8 codes
        }
    }

    private static void putBits(MemorySegment s, long byteIndex, int shift, int mask, int v) {
        int old = s.get(ValueLayout.JAVA_BYTE, byteIndex);
        int updated = (old & ~(mask << shift)) | ((v & mask) << shift);
        s.set(ValueLayout.JAVA_BYTE, byteIndex, (byte) updated);
    }

    /** The raw code of element {@code i} of a float8/float4 tensor. */
    public static int getCode(MemorySegment s, DType t, long i) {
        if (t == DType.FLOAT4E2M1) return (s.get(ValueLayout.JAVA_BYTE, i >> 1) >> (4 * (int) (i & 1))) & 0xF;
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
    }

    /** Real element {@code i} of a FLOAT, DOUBLE, FLOAT16 or BFLOAT16 tensor, as float. */
    public static float getReal(MemorySegment s, DType t, long i) {
        return switch (t) {
            case FLOAT -> s.getAtIndex(F32, i);
            case DOUBLE -> (float) s.getAtIndex(F64, i);
            case FLOAT16 -> Float.float16ToFloat(s.getAtIndex(I16, i));
            case BFLOAT16 -> Float.intBitsToFloat(s.getAtIndex(I16, i) << 16);
            default -> throw new IllegalArgumentException("not a real type: " + t.onnxName());
        };
    }

    public static void putReal(MemorySegment s, DType t, long i, float v) {
        switch (t) {
            case FLOAT -> s.setAtIndex(F32, i, v);
            case DOUBLE -> s.setAtIndex(F64, i, v);
            case FLOAT16 -> s.setAtIndex(I16, i, Float.floatToFloat16(v));
            case BFLOAT16 -> s.setAtIndex(I16, i, toBfloat16(v));
            default -> throw new IllegalArgumentException("not a real type: " + t.onnxName());
        }
    }

    /** float → bfloat16 bits, round to nearest even (NaN stays NaN). */
    public static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** {@code v} rounded to the precision of real type {@code t}. */
    public static float roundTo(DType t, float v) {
        return switch (t) {
            case FLOAT16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case BFLOAT16 -> Float.intBitsToFloat(toBfloat16(v) << 16);
            default -> v;
        };
    }
}
