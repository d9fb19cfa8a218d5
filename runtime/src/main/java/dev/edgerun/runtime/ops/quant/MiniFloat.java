package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;

/**
 * The 8-bit and 4-bit floating-point formats of ONNX (FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2,
 * FLOAT8E5M2FNUZ, FLOAT4E2M1): decoding to float and encoding with round-to-nearest-even, either
 * saturating to the largest finite value or overflowing to infinity/NaN as the format allows.
 */
public enum MiniFloat {
    E4M3FN(4, 3, 7, false, false, 0x7E),
    E4M3FNUZ(4, 3, 8, true, false, 0x7F),
    E5M2(5, 2, 15, false, true, 0x7B),
    E5M2FNUZ(5, 2, 16, true, false, 0x7F),
    E2M1(2, 1, 1, false, false, 0x7);

    private final int mantissaBits;
    private final int bias;
    private final boolean unsignedZero;   // FNUZ: 0x80 is NaN, no negative zero
    private final boolean hasInfinity;    // E5M2 only
    private final int maxCode;            // largest finite magnitude
    private final int signBit;
    private final int exponentMask;

    MiniFloat(int exponentBits, int mantissaBits, int bias, boolean unsignedZero, boolean hasInfinity, int maxCode) {
        this.mantissaBits = mantissaBits;
        this.bias = bias;
        this.unsignedZero = unsignedZero;
        this.hasInfinity = hasInfinity;
        this.maxCode = maxCode;
        this.signBit = 1 << (exponentBits + mantissaBits);
        this.exponentMask = (1 << exponentBits) - 1;
    }

    /** The format of {@code t}, or null when {@code t} is not one of them. */
    public static MiniFloat of(DType t) {
        return switch (t) {
            case FLOAT8E4M3FN -> E4M3FN;
            case FLOAT8E4M3FNUZ -> E4M3FNUZ;
            case FLOAT8E5M2 -> E5M2;
            case FLOAT8E5M2FNUZ -> E5M2FNUZ;
            case FLOAT4E2M1 -> E2M1;
            default -> null;
        };
    }

    public float decode(int code) {
        code &= (signBit << 1) - 1;
        if (unsignedZero && code == signBit) return Float.NaN;
        int exponent = (code >> mantissaBits) & exponentMask;
        int mantissa = code & ((1 << mantissaBits) - 1);
        boolean negative = (code & signBit) != 0;
        if (this == E4M3FN && exponent == exponentMask && mantissa == (1 << mantissaBits) - 1) return Float.NaN;
        if (hasInfinity && exponent == exponentMask) {
            if (mantissa != 0) return Float.NaN;
            return negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        double magnitude = exponent == 0
                ? Math.scalb((double) mantissa, 1 - bias - mantissaBits)
                : Math.scalb((double) (mantissa + (1 << mantissaBits)), exponent - bias - mantissaBits);
        return (float) (negative ? -magnitude : magnitude);
    }

    private int nanCode(boolean negative) {
        if (unsignedZero) return signBit;
        if (this == E2M1) return negative ? 0xF : 0x7; // no NaN: saturate
        return negative ? 0x7F | signBit : 0x7F; // E4M3FN and E5M2: all exponent and mantissa bits set
    }

    public int encode(float value, boolean saturate) {
        boolean negative = (Float.floatToRawIntBits(value) & 0x8000_0000) != 0;
        int sign = negative ? signBit : 0;
        int zero = unsignedZero ? 0 : sign;
        if (Float.isNaN(value)) return nanCode(negative);
        double v = Math.abs((double) value);
        if (Double.isInfinite(v)) {
            if (saturate || this == E2M1) return sign | maxCode;
            return hasInfinity ? sign | (exponentMask << mantissaBits) : nanCode(negative);
        }
        if (v == 0) return zero;
        int exponent = Math.max(Math.getExponent(v), 1 - bias);
        double quantum = Math.scalb(1.0, exponent - mantissaBits);
        long n = (long) Math.rint(v / quantum); // ties to even
        if (n == 0) return zero;
        if (n >= 2L << mantissaBits) {
            exponent++;
            n >>= 1;
        }
        int code;
        if (n >= 1L << mantissaBits) {
            int field = exponent + bias;
            if (field > exponentMask) code = Integer.MAX_VALUE;
            else code = (field << mantissaBits) | (int) (n - (1L << mantissaBits));
        } else {
            code = (int) n;
        }
        if (code > maxCode) {
            if (saturate || this == E2M1) return sign | maxCode;
            return hasInfinity ? sign | (exponentMask << mantissaBits) : nanCode(negative);
        }
        if (unsignedZero && code == 0) return 0;
        return sign | code;
    }
}
