package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.kernels.F32UnaryOp;

/**
 * The element-wise unary functions of {@link ElementwiseUnary}: the scalar reference in double
 * (with up to two parameters {@code p}, {@code q} parsed from attributes), integer semantics in
 * long where the operator is defined for integers, and the float32 vector operation if any.
 */
enum UnaryFn {
    RELU("Relu", Inputs.NUMERIC, F32UnaryOp.RELU),
    LEAKY_RELU("LeakyRelu", Inputs.FLOAT, F32UnaryOp.LEAKY_RELU),
    SIGMOID("Sigmoid", Inputs.FLOAT, F32UnaryOp.SIGMOID),
    TANH("Tanh", Inputs.FLOAT, F32UnaryOp.TANH),
    ERF("Erf", Inputs.NUMERIC, F32UnaryOp.ERF),
    EXP("Exp", Inputs.FLOAT, F32UnaryOp.EXP),
    LOG("Log", Inputs.FLOAT, F32UnaryOp.LOG),
    SQRT("Sqrt", Inputs.FLOAT, F32UnaryOp.SQRT),
    NEG("Neg", Inputs.NUMERIC, F32UnaryOp.NEG),
    ABS("Abs", Inputs.NUMERIC, F32UnaryOp.ABS),
    RECIPROCAL("Reciprocal", Inputs.FLOAT, F32UnaryOp.RECIPROCAL),
    FLOOR("Floor", Inputs.FLOAT, null),
    CEIL("Ceil", Inputs.FLOAT, null),
    /** Half to even. */ ROUND("Round", Inputs.FLOAT, null),
    SIGN("Sign", Inputs.NUMERIC, null),
    SIN("Sin", Inputs.FLOAT, null), COS("Cos", Inputs.FLOAT, null), TAN("Tan", Inputs.FLOAT, null),
    ASIN("Asin", Inputs.FLOAT, null), ACOS("Acos", Inputs.FLOAT, null), ATAN("Atan", Inputs.FLOAT, null),
    SINH("Sinh", Inputs.FLOAT, null), COSH("Cosh", Inputs.FLOAT, null),
    ASINH("Asinh", Inputs.FLOAT, null), ACOSH("Acosh", Inputs.FLOAT, null), ATANH("Atanh", Inputs.FLOAT, null),
    ELU("Elu", Inputs.FLOAT, F32UnaryOp.ELU),
    SELU("Selu", Inputs.FLOAT, F32UnaryOp.SELU),
    CELU("Celu", Inputs.FLOAT, F32UnaryOp.CELU),
    HARD_SIGMOID("HardSigmoid", Inputs.FLOAT, F32UnaryOp.HARD_SIGMOID),
    HARD_SWISH("HardSwish", Inputs.FLOAT, F32UnaryOp.HARD_SWISH),
    SOFTPLUS("Softplus", Inputs.FLOAT, F32UnaryOp.SOFTPLUS),
    SOFTSIGN("Softsign", Inputs.FLOAT, F32UnaryOp.SOFTSIGN),
    THRESHOLDED_RELU("ThresholdedRelu", Inputs.FLOAT, F32UnaryOp.THRESHOLDED_RELU),
    /** p = 1 for the tanh approximation. */ GELU("Gelu", Inputs.FLOAT, F32UnaryOp.GELU),
    MISH("Mish", Inputs.FLOAT, F32UnaryOp.MISH),
    SWISH("Swish", Inputs.FLOAT, F32UnaryOp.SWISH),
    /** p = lambd, q = bias. */ SHRINK("Shrink", Inputs.NUMERIC, null),
    IS_NAN("IsNaN", Inputs.FLOAT, null),
    /** p = detect_negative, q = detect_positive. */ IS_INF("IsInf", Inputs.FLOAT, null),
    NOT("Not", Inputs.BOOL, null),
    BITWISE_NOT("BitwiseNot", Inputs.INTEGER, null);

    /** The input types an operator accepts. */
    enum Inputs { FLOAT, NUMERIC, INTEGER, BOOL }

    /** The ONNX op type. */
    final String opType;
    final Inputs inputs;
    final F32UnaryOp vector;

    UnaryFn(String opType, Inputs inputs, F32UnaryOp vector) {
        this.opType = opType;
        this.inputs = inputs;
        this.vector = vector;
    }

    /** Whether integer (and bool) inputs use {@link #apply(UnaryFn, long, boolean)} rather than the double path. */
    boolean hasIntegerSemantics() {
        return switch (this) {
            case RELU, NEG, ABS, SIGN, NOT, BITWISE_NOT -> true;
            default -> false;
        };
    }

    /** Whether the output is bool whatever the input type. */
    boolean boolOutput() {
        return this == IS_NAN || this == IS_INF;
    }

    static double apply(UnaryFn fn, double x, double p, double q) {
        return switch (fn) {
            case RELU -> Math.max(x, 0);
            case LEAKY_RELU -> x < 0 ? p * x : x;
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case ERF -> F32UnaryOp.erf(x);
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case RECIPROCAL -> 1 / x;
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ROUND -> Math.rint(x);
            case SIGN -> Math.signum(x);
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case TAN -> Math.tan(x);
            case ASIN -> Math.asin(x);
            case ACOS -> Math.acos(x);
            case ATAN -> Math.atan(x);
            case SINH -> Math.sinh(x);
            case COSH -> Math.cosh(x);
            case ASINH -> Math.copySign(Math.log1p(Math.abs(x) + x * x / (1 + Math.sqrt(1 + x * x))), x);
            case ACOSH -> Math.log(x + Math.sqrt(x * x - 1));
            case ATANH -> 0.5 * Math.log1p(2 * x / (1 - x));
            case ELU -> x < 0 ? p * Math.expm1(x) : x;
            case SELU -> q * (x <= 0 ? p * Math.expm1(x) : x);
            case CELU -> Math.max(0, x) + Math.min(0, p * Math.expm1(x / p));
            case HARD_SIGMOID -> Math.max(0, Math.min(1, p * x + q));
            case HARD_SWISH -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
            case SOFTPLUS -> Math.log1p(Math.exp(x));
            case SOFTSIGN -> x / (1 + Math.abs(x));
            case THRESHOLDED_RELU -> x > p ? x : 0;
            case GELU -> p == 1
                    ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
                    : 0.5 * x * (1 + F32UnaryOp.erf(x / Math.sqrt(2)));
            case MISH -> x * Math.tanh(Math.log1p(Math.exp(x)));
            case SWISH -> x / (1 + Math.exp(-p * x));
            case SHRINK -> x < -p ? x + q : x > p ? x - q : 0;
            case IS_NAN -> Double.isNaN(x) ? 1 : 0;
            case IS_INF -> (x == Double.POSITIVE_INFINITY && q != 0) || (x == Double.NEGATIVE_INFINITY && p != 0) ? 1 : 0;
            case NOT, BITWISE_NOT -> apply(fn, (long) x, false);
        };
    }

    /** Integer semantics; {@code unsigned} for unsigned types (values zero-extended, UINT64 raw bits). */
    static long apply(UnaryFn fn, long x, boolean unsigned) {
        return switch (fn) {
            case RELU -> Math.max(x, 0);
            case NEG -> -x;
            case ABS -> unsigned ? x : Math.abs(x);
            case SIGN -> unsigned ? (x != 0 ? 1 : 0) : Long.signum(x);
            case NOT -> x == 0 ? 1 : 0;
            case BITWISE_NOT -> ~x;
            default -> throw new IllegalStateException(fn + " has no integer semantics");
        };
    }
}
