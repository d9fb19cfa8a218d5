package dev.edgerun.runtime.kernels;

/**
 * Conversions to and from the 8-bit and 4-bit float formats of ONNX (FLOAT8E4M3FN, FLOAT8E4M3FNUZ,
 * FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1, FLOAT8E8M0), with round-to-nearest-even and the ONNX
 * saturation rule: with {@code saturate}, values beyond the largest finite value (infinities
 * included) become that value; without, they become infinity where the format has one, else NaN.
 */
public final class Casts {
    private Casts() {}

    /** How a format spends its top codes. */
    private enum Special {
        /** IEEE-like: all-ones exponent holds infinities and NaNs (E5M2). */
        IEEE,
        /** Only S.1111.111 is NaN, no infinity (E4M3FN). */
        FN,
        /** 0x80 (negative zero) is the one NaN, no infinity, no negative zero. */
        FNUZ,
        /** Neither NaN nor infinity (E2M1); NaN converts to 0b1000. */
        NONE
    }

    /** A small float format: exponent bits, mantissa bits, exponent bias. */
    public enum MiniFloat {
        E4M3FN(4, 3, 7, Special.FN),
        E4M3FNUZ(4, 3, 8, Special.FNUZ),
        E5M2(5, 2, 15, Special.IEEE),
        E5M2FNUZ(5, 2, 16, Special.FNUZ),
        E2M1(2, 1, 1, Special.NONE);

        private final int mantissaBits;
        private final int bias;
        private final Special special;
        private final int signBit;
        private final float[] values; // (codes) decoded value of every code
        private final double maxFinite;
        private final int maxCode;

        MiniFloat(int exponentBits, int mantissaBits, int bias, Special special) {
            this.mantissaBits = mantissaBits;
            this.bias = bias;
            this.special = special;
            int bits = 1 + exponentBits + mantissaBits;
            this.signBit = 1 << (bits - 1);
            this.values = new float[1 << bits];
            double max = 0;
            int maxAt = 0;
            for (int code = 0; code < values.length; code++) {
                values[code] = decodeSlow(code, exponentBits);
                if (Float.isFinite(values[code]) && values[code] > max) {
                    max = values[code];
                    maxAt = code;
                }
            }
            this.maxFinite = max;
            this.maxCode = maxAt;
        }

        private float decodeSlow(int code, int exponentBits) {
            boolean negative = (code & signBit) != 0;
            int exponent = (code & ~signBit) >> mantissaBits;
            int mantissa = code & ((1 << mantissaBits) - 1);
            int allOnes = (1 << exponentBits) - 1;
            switch (special) {
                case FN -> { if (exponent == allOnes && mantissa == (1 << mantissaBits) - 1) return Float.NaN; }
                case FNUZ -> { if (code == signBit) return Float.NaN; }
                case IEEE -> {
                    if (exponent == allOnes) return mantissa == 0 ? (negative ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY) : Float.NaN;
                }
                case NONE -> { }
            }
            double magnitude = exponent == 0
                    ? Math.scalb((double) mantissa, 1 - bias - mantissaBits)
                    : Math.scalb(1.0 + Math.scalb((double) mantissa, -mantissaBits), exponent - bias);
            return (float) (negative ? -magnitude : magnitude);
        }

        public float decode(int code) {
            return values[code & (values.length - 1)];
        }

        public int encode(float x, boolean saturate) {
            int sign = Float.floatToRawIntBits(x) < 0 ? signBit : 0;
            if (Float.isNaN(x)) {
                return switch (special) {
                    case IEEE -> sign | (signBit - 1) & ~((1 << (mantissaBits - 1)) - 1);
                    case FN -> sign | (signBit - 1);
                    case FNUZ, NONE -> signBit;
                };
            }
            double a = Math.abs((double) x);
            double r = Double.isInfinite(a) ? a : roundToPrecision(a);
            if (r > maxFinite) return overflow(sign, saturate);
            if (r == 0) return special == Special.FNUZ ? 0 : sign;
            int emin = 1 - bias;
            int e = Math.getExponent(r);
            if (e < emin) return sign | (int) Math.scalb(r, mantissaBits - emin);
            int mantissa = (int) Math.scalb(r, mantissaBits - e) - (1 << mantissaBits);
            return sign | (e + bias) << mantissaBits | mantissa;
        }

        private double roundToPrecision(double a) {
            int e = Math.max(Math.getExponent(a), 1 - bias);
            return Math.scalb(Math.rint(Math.scalb(a, mantissaBits - e)), e - mantissaBits);
        }

        private int overflow(int sign, boolean saturate) {
            if (saturate || special == Special.NONE) return sign | maxCode;
            return switch (special) {
                case IEEE -> sign | (signBit - 1) & ~((1 << mantissaBits) - 1);
                case FN -> sign | (signBit - 1);
                default -> signBit;
            };
        }
    }

    /** FLOAT8E8M0: a power of two 2^(code - 127); 0xFF is NaN. */
    public static float fromE8M0(int code) {
        code &= 0xFF;
        return code == 0xFF ? Float.NaN : (float) Math.scalb(1.0, code - 127);
    }

    /**
     * The FLOAT8E8M0 code of {@code x} (its sign is ignored) with {@code roundMode} "up", "down" or
     * "nearest"; zero and values below 2^-127 give 0.
     */
    public static int toE8M0(float x, String roundMode, boolean saturate) {
        if (Float.isNaN(x)) return 0xFF;
        float a = Math.abs(x);
        if (Float.isInfinite(a)) return saturate ? 0xFE : 0xFF;
        if (a == 0) return 0;
        int e = Math.getExponent(a);
        double fraction = a / Math.scalb(1.0, e); // in [1, 2), exact
        if (fraction > 1) {
            switch (roundMode) {
                case "up" -> e++;
                case "nearest" -> { if (fraction >= 1.5) e++; }
                default -> { }
            }
        }
        int code = e + 127;
        if (code < 0) return 0;
        if (code > 0xFE) return saturate ? 0xFE : 0xFF;
        return code;
    }
}
