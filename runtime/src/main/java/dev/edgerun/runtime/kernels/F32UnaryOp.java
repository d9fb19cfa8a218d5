package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The float32 unary operations of {@link F32Unary} (parameters {@code p}, {@code q}: alpha, beta,
 * bounds) and their scalar path. This class uses no Vector API type, so it runs where
 * {@code jdk.incubator.vector} is absent.
 */
public enum F32UnaryOp {
    /** max(x, 0). */ RELU,
    /** x &lt; 0 ? p*x : x. */ LEAKY_RELU,
    /** min(max(x, p), q). */ CLIP,
    /** 1 / (1 + exp(-x)). */ SIGMOID,
    TANH, EXP, LOG, SQRT, ABS, NEG,
    /** 1 / x. */ RECIPROCAL,
    ERF,
    /** 0.5 x (1 + erf(x / sqrt 2)). */ GELU,
    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */ GELU_TANH,
    /** max(0, min(1, p*x + q)). */ HARD_SIGMOID,
    /** x * max(0, min(1, x/6 + 1/2)). */ HARD_SWISH,
    /** x &lt; 0 ? p (exp(x) - 1) : x. */ ELU,
    /** q * (x &lt;= 0 ? p (exp(x) - 1) : x). */ SELU,
    /** max(0, x) + min(0, p (exp(x/p) - 1)). */ CELU,
    /** log(1 + exp(x)). */ SOFTPLUS,
    /** x / (1 + |x|). */ SOFTSIGN,
    /** x &gt; p ? x : 0. */ THRESHOLDED_RELU,
    /** x * sigmoid(p x). */ SWISH,
    /** x * tanh(softplus(x)). */ MISH;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final float SQRT_HALF = 0.70710678118654752f;
    static final float SQRT_2_OVER_PI = 0.79788456080286536f;

    /** One value (the reference the vector lanes are tested against). */
    public float apply(float x, float p, float q) {
        return switch (this) {
            case RELU -> Math.max(x, 0f);
            case LEAKY_RELU -> x < 0 ? p * x : x;
            case CLIP -> Math.min(Math.max(x, p), q);
            case SIGMOID -> (float) (1 / (1 + Math.exp(-x)));
            case TANH -> (float) Math.tanh(x);
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case ABS -> Math.abs(x);
            case NEG -> -x;
            case RECIPROCAL -> 1f / x;
            case ERF -> erf(x);
            case GELU -> 0.5f * x * (1 + erf(x * SQRT_HALF));
            case GELU_TANH -> (float) (0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            case HARD_SIGMOID -> Math.max(0f, Math.min(1f, p * x + q));
            case HARD_SWISH -> x * Math.max(0f, Math.min(1f, x / 6f + 0.5f));
            case ELU -> x < 0 ? (float) (p * Math.expm1(x)) : x;
            case SELU -> (float) (q * (x <= 0 ? p * Math.expm1(x) : x));
            case CELU -> (float) (Math.max(0, x) + Math.min(0, p * Math.expm1(x / p)));
            case SOFTPLUS -> (float) Math.log1p(Math.exp(x));
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case THRESHOLDED_RELU -> x > p ? x : 0f;
            case SWISH -> (float) (x / (1 + Math.exp(-(double) p * x)));
            case MISH -> (float) (x * Math.tanh(Math.log1p(Math.exp(x))));
        };
    }

    /** {@code out[o + i] = op(in[ii + i])} for i in [0, n). */
    public void reference(float p, float q, MemorySegment in, long ii, MemorySegment out, long o, int n) {
        for (int i = 0; i < n; i++) out.setAtIndex(F, o + i, apply(in.getAtIndex(F, ii + i), p, q));
    }

    // Coefficients of erf's rational approximation (see erf(float)).
    static final float A1 = -1.60960333262415e-02f, A3 = -2.95459980854025e-03f,
            A5 = -7.34990630326855e-04f, A7 = -5.69250639462346e-05f, A9 = -2.10102402082508e-06f,
            A11 = 2.77068142495902e-08f, A13 = -2.72614225801306e-10f;
    static final float B0 = -1.42647390514189e-02f, B2 = -7.37332916720468e-03f,
            B4 = -1.68282697438203e-03f, B6 = -2.13374055278905e-04f, B8 = -1.45660718464996e-05f;

    /**
     * Float erf by the rational approximation the vector lanes use: x P(x^2) / Q(x^2) on [-4, 4]
     * (beyond, erf is +-1 in float); max abs error 2.6e-7.
     */
    public static float erf(float v) {
        float x = Math.min(Math.max(v, -4f), 4f);
        float x2 = x * x;
        float p = Math.fma(x2, A13, A11);
        p = Math.fma(p, x2, A9);
        p = Math.fma(p, x2, A7);
        p = Math.fma(p, x2, A5);
        p = Math.fma(p, x2, A3);
        p = Math.fma(p, x2, A1);
        float q = Math.fma(x2, B8, B6);
        q = Math.fma(q, x2, B4);
        q = Math.fma(q, x2, B2);
        q = Math.fma(q, x2, B0);
        return Float.isNaN(v) ? v : x * p / q;
    }

    /**
     * erf in double precision, from {@code erf(x) = 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (2n+1)!!}
     * (positive terms, no cancellation; relative error about 1e-14). The reference for other dtypes.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax >= 6) return Math.signum(x);
        double x2 = ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; term > 1e-17 * sum; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.sqrt(Math.PI) * Math.exp(-x2) * sum;
        return Math.copySign(Math.min(r, 1.0), x);
    }
}
