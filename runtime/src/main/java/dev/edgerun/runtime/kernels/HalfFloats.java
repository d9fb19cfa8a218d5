package dev.edgerun.runtime.kernels;

/** float16 and bfloat16 from and to float; both round to nearest even, NaN stays NaN. */
public final class HalfFloats {
    private HalfFloats() {}

    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    public static short floatToF16(float v) {
        return Float.floatToFloat16(v);
    }

    /** bfloat16 is the upper half of a float. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40); // keep the sign, force a quiet NaN
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
