package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.kernels.F32BinaryOp;

/**
 * The element-wise binary functions of {@link ElementwiseBinary}: the scalar reference in double
 * (float types) and in long (integer and bool types), and the float32 vector operation when there
 * is one.
 */
enum BinaryFn {
    ADD(Kind.ARITHMETIC, F32BinaryOp.ADD),
    SUB(Kind.ARITHMETIC, F32BinaryOp.SUB),
    MUL(Kind.ARITHMETIC, F32BinaryOp.MUL),
    DIV(Kind.ARITHMETIC, F32BinaryOp.DIV),
    /** Python's modulo: the result takes the divisor's sign (Mod with fmod=0). */
    MOD(Kind.ARITHMETIC, null),
    /** C's fmod: the result takes the dividend's sign (Mod with fmod=1). */
    FMOD(Kind.ARITHMETIC, null),
    POW(Kind.POWER, null),
    MIN(Kind.ARITHMETIC, F32BinaryOp.MIN),
    MAX(Kind.ARITHMETIC, F32BinaryOp.MAX),
    PRELU(Kind.ARITHMETIC, F32BinaryOp.PRELU),
    EQUAL(Kind.COMPARISON, null),
    LESS(Kind.COMPARISON, null),
    LESS_OR_EQUAL(Kind.COMPARISON, null),
    GREATER(Kind.COMPARISON, null),
    GREATER_OR_EQUAL(Kind.COMPARISON, null),
    AND(Kind.LOGICAL, null),
    OR(Kind.LOGICAL, null),
    XOR(Kind.LOGICAL, null),
    BITWISE_AND(Kind.BITWISE, null),
    BITWISE_OR(Kind.BITWISE, null),
    BITWISE_XOR(Kind.BITWISE, null),
    SHIFT_LEFT(Kind.BITWISE, null),
    SHIFT_RIGHT(Kind.BITWISE, null);

    /** What the inputs may be and what the output is. */
    enum Kind {
        /** numeric in, same type out */ ARITHMETIC,
        /** numeric base and exponent of possibly different types, the base's type out */ POWER,
        /** numeric (or bool, string for Equal) in, bool out */ COMPARISON,
        /** bool in, bool out */ LOGICAL,
        /** integer in, same type out */ BITWISE
    }

    final Kind kind;
    /** The float32 vector operation, or null when float32 takes the double path. */
    final F32BinaryOp vector;

    BinaryFn(Kind kind, F32BinaryOp vector) {
        this.kind = kind;
        this.vector = vector;
    }

    static double apply(BinaryFn fn, double a, double b) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MOD -> pythonMod(a, b);
            case FMOD -> a % b;
            case POW -> Math.pow(a, b);
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case PRELU -> a < 0 ? a * b : a;
            case EQUAL -> a == b ? 1 : 0;
            case LESS -> a < b ? 1 : 0;
            case LESS_OR_EQUAL -> a <= b ? 1 : 0;
            case GREATER -> a > b ? 1 : 0;
            case GREATER_OR_EQUAL -> a >= b ? 1 : 0;
            default -> apply(fn, (long) a, (long) b, false);
        };
    }

    /** Integer semantics; {@code u64} when both operands are UINT64 raw bits. Division by zero gives 0. */
    static long apply(BinaryFn fn, long a, long b, boolean u64) {
        return switch (fn) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> b == 0 ? 0 : u64 ? Long.divideUnsigned(a, b) : a / b;
            case MOD -> b == 0 ? 0 : u64 ? Long.remainderUnsigned(a, b) : pythonMod(a, b);
            case FMOD -> b == 0 ? 0 : u64 ? Long.remainderUnsigned(a, b) : a % b;
            case POW -> power(a, b);
            case MIN -> compare(a, b, u64) <= 0 ? a : b;
            case MAX -> compare(a, b, u64) >= 0 ? a : b;
            case PRELU -> a < 0 ? a * b : a;
            case EQUAL -> a == b ? 1 : 0;
            case LESS -> compare(a, b, u64) < 0 ? 1 : 0;
            case LESS_OR_EQUAL -> compare(a, b, u64) <= 0 ? 1 : 0;
            case GREATER -> compare(a, b, u64) > 0 ? 1 : 0;
            case GREATER_OR_EQUAL -> compare(a, b, u64) >= 0 ? 1 : 0;
            case AND, BITWISE_AND -> a & b;
            case OR, BITWISE_OR -> a | b;
            case XOR, BITWISE_XOR -> a ^ b;
            case SHIFT_LEFT -> b < 0 || b >= 64 ? 0 : a << b;
            case SHIFT_RIGHT -> b < 0 || b >= 64 ? 0 : a >>> b;
        };
    }

    private static int compare(long a, long b, boolean u64) {
        return u64 ? Long.compareUnsigned(a, b) : Long.compare(a, b);
    }

    private static double pythonMod(double a, double b) {
        double r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    private static long pythonMod(long a, long b) {
        long r = a % b;
        return r != 0 && (r ^ b) < 0 ? r + b : r;
    }

    /** Exact integer power by squaring (wraps like the integer type); a negative exponent gives 0 unless |base| is 1. */
    private static long power(long base, long exponent) {
        if (exponent < 0) return base == 1 ? 1 : base == -1 ? ((exponent & 1) == 0 ? 1 : -1) : 0;
        long result = 1;
        while (exponent > 0) {
            if ((exponent & 1) != 0) result *= base;
            base *= base;
            exponent >>= 1;
        }
        return result;
    }
}
