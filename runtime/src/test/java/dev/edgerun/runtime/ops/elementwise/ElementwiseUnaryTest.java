package dev.edgerun.runtime.ops.elementwise;

import static dev.edgerun.runtime.ops.elementwise.NodeRunner.builder;
import static dev.edgerun.runtime.ops.elementwise.NodeRunner.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementwiseUnaryTest {

    /** Every float operator through the engine's path (vector where it has one) against the double reference. */
    @Test
    void float32MatchesTheDoubleReference() {
        float[] x = new float[101];
        Random rnd = new Random(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 2);
        float[] unit = new float[x.length]; // inside (-1, 1) for Asin, Acos, Atanh
        float[] above = new float[x.length]; // >= 1 for Acosh
        for (int i = 0; i < x.length; i++) {
            unit[i] = (float) Math.tanh(x[i]);
            above[i] = 1 + Math.abs(x[i]);
        }
        try (NodeRunner r = new NodeRunner(); Tensor tx = Tensor.of(x, 101); Tensor tu = Tensor.of(unit, 101);
             Tensor ta = Tensor.of(above, 101); Tensor tp = Tensor.of(absolute(x), 101)) {
            for (UnaryFn fn : UnaryFn.values()) {
                if (fn.inputs == UnaryFn.Inputs.BOOL || fn.inputs == UnaryFn.Inputs.INTEGER) continue;
                Tensor in = switch (fn) {
                    case ASIN, ACOS, ATANH -> tu;
                    case ACOSH -> ta;
                    case LOG, SQRT -> tp;
                    default -> tx;
                };
                Tensor y = r.run1(node(fn.opType, 1), 24, in);
                float[] values = in.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    double expected = UnaryFn.apply(fn, values[i], defaultP(fn), defaultQ(fn));
                    double actual = y.getAsDouble(i);
                    assertEquals(expected, actual, 2e-6 * Math.max(1, Math.abs(expected)), fn + " at x=" + values[i]);
                }
            }
        }
    }

    private static double defaultP(UnaryFn fn) {
        return switch (fn) {
            case LEAKY_RELU -> 0.01f;
            case ELU, CELU, THRESHOLDED_RELU, SWISH, IS_INF -> 1;
            case SELU -> 1.67326319217681884765625f;
            case HARD_SIGMOID -> 0.2f;
            case SHRINK -> 0.5f;
            default -> 0;
        };
    }

    private static double defaultQ(UnaryFn fn) {
        return switch (fn) {
            case SELU -> 1.05070102214813232421875f;
            case HARD_SIGMOID -> 0.5f;
            case IS_INF -> 1;
            default -> 0;
        };
    }

    private static float[] absolute(float[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) r[i] = Math.abs(x[i]) + 0.01f;
        return r;
    }

    @Test
    void attributesReachTheKernel() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {-2, -0.5f, 0.5f, 3}, 4)) {
            assertArrayEquals(new float[] {-0.2f, -0.05f, 0.5f, 3}, r.run1(builder("LeakyRelu", 1).attribute("alpha", 0.1f).build(), 16, x).toFloatArray(), 1e-7f);
            assertArrayEquals(new float[] {0, 0, 0, 3}, r.run1(builder("ThresholdedRelu", 1).attribute("alpha", 2f).build(), 22, x).toFloatArray());
            assertArrayEquals(new float[] {-1.5f, 0, 0, 2.5f}, r.run1(builder("Shrink", 1).attribute("lambd", 1f).attribute("bias", 0.5f).build(), 9, x).toFloatArray());
            float[] tanhGelu = r.run1(builder("Gelu", 1).attribute("approximate", "tanh").build(), 20, x).toFloatArray();
            float[] erfGelu = r.run1(node("Gelu", 1), 20, x).toFloatArray();
            assertEquals(0.5 * 3 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (3 + 0.044715 * 27))), tanhGelu[3], 1e-5);
            assertEquals(3 * 0.5 * (1 + 0.997300203936740), erfGelu[3], 1e-5); // erf(3 / sqrt 2)
        }
    }

    @Test
    void roundIsHalfToEven() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f}, 6)) {
            assertArrayEquals(new float[] {0, 2, 2, -0f, -2, 2}, r.run1(node("Round", 1), 22, x).toFloatArray());
        }
    }

    @Test
    void isInfHonoursItsDetectFlagsAndIsNaNFindsNaN() {
        float[] v = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1};
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(v, 4)) {
            assertArrayEquals(new boolean[] {true, true, false, false}, r.run1(node("IsInf", 1), 20, x).toBooleanArray());
            assertArrayEquals(new boolean[] {true, false, false, false},
                    r.run1(builder("IsInf", 1).attribute("detect_negative", 0L).build(), 20, x).toBooleanArray());
            assertArrayEquals(new boolean[] {false, false, true, false}, r.run1(node("IsNaN", 1), 20, x).toBooleanArray());
        }
    }

    @Test
    void integerAbsNegSignReluKeepTheirType() {
        try (NodeRunner r = new NodeRunner();
             Tensor i8 = Tensor.of(DType.INT8, new byte[] {-128, -3, 0, 5}, 4);
             Tensor u8 = Tensor.of(DType.UINT8, new byte[] {(byte) 200, 0}, 2);
             Tensor i64 = Tensor.of(new long[] {-9, 0, 4}, 3)) {
            assertArrayEquals(new byte[] {-128, 3, 0, 5}, r.run1(node("Abs", 1), 13, i8).toByteArray(), "abs(-128) wraps");
            assertArrayEquals(new byte[] {(byte) 200, 0}, r.run1(node("Abs", 1), 13, u8).toByteArray());
            assertArrayEquals(new byte[] {1, 0}, r.run1(node("Sign", 1), 13, u8).toByteArray());
            assertArrayEquals(new long[] {9, 0, -4}, r.run1(node("Neg", 1), 13, i64).toLongArray());
            assertArrayEquals(new long[] {0, 0, 4}, r.run1(node("Relu", 1), 14, i64).toLongArray());
        }
    }

    @Test
    void notAndBitwiseNot() {
        try (NodeRunner r = new NodeRunner();
             Tensor b = Tensor.of(new boolean[] {true, false}, 2);
             Tensor i = Tensor.of(new int[] {0, -1, 5}, 3)) {
            assertArrayEquals(new boolean[] {false, true}, r.run1(node("Not", 1), 1, b).toBooleanArray());
            assertArrayEquals(new int[] {-1, 0, ~5}, r.run1(node("BitwiseNot", 1), 18, i).toIntArray());
        }
    }

    @Test
    void float16AndDoubleRunThroughTheReference() {
        short[] half = {Float.floatToFloat16(-1f), Float.floatToFloat16(0.5f)};
        try (NodeRunner r = new NodeRunner();
             Tensor h = Tensor.fromBytes(DType.FLOAT16, Shape.of(2), ElementwiseBinaryTest.shortBytes(half));
             Tensor d = Tensor.of(new double[] {-1, 0.5}, 2)) {
            Tensor sh = r.run1(node("Sigmoid", 1), 13, h);
            assertEquals(DType.FLOAT16, sh.dtype());
            assertEquals(Float.float16ToFloat(Float.floatToFloat16((float) (1 / (1 + Math.exp(1))))), sh.getAsDouble(0));
            assertArrayEquals(new double[] {Math.tanh(-1), Math.tanh(0.5)}, r.run1(node("Tanh", 1), 13, d).toDoubleArray());
        }
    }

    @Test
    void rejectsTypesTheOperatorDoesNotTake() {
        try (NodeRunner r = new NodeRunner(); Tensor i = Tensor.of(new int[] {1}, 1)) {
            assertThrows(UnsupportedOperatorException.class, () -> r.run1(node("Sigmoid", 1), 13, i));
        }
    }

}
