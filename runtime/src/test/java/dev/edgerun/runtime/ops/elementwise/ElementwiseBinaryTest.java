package dev.edgerun.runtime.ops.elementwise;

import static dev.edgerun.runtime.ops.elementwise.NodeRunner.builder;
import static dev.edgerun.runtime.ops.elementwise.NodeRunner.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ElementwiseBinaryTest {

    @Test
    void addBroadcastsLikeNumpy() {
        float[] a = random(2 * 3 * 4, 1);
        float[] b = random(3, 2);
        try (NodeRunner r = new NodeRunner(); Tensor ta = Tensor.of(a, 2, 3, 4); Tensor tb = Tensor.of(b, 3, 1)) {
            Tensor y = r.run1(node("Add", 2), 14, ta, tb);
            assertEquals(Shape.of(2, 3, 4), y.shape());
            float[] out = y.toFloatArray();
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 4; k++) assertEquals(a[i * 12 + j * 4 + k] + b[j], out[i * 12 + j * 4 + k], 0f);
        }
    }

    @Test
    void subAndDivWithAScalarOnEitherSide() {
        float[] a = random(37, 3);
        try (NodeRunner r = new NodeRunner(); Tensor ta = Tensor.of(a, 37); Tensor s = Tensor.scalar(2.5f)) {
            float[] left = r.run1(node("Sub", 2), 14, s, ta).toFloatArray();
            float[] right = r.run1(node("Div", 2), 14, ta, s).toFloatArray();
            for (int i = 0; i < 37; i++) {
                assertEquals(2.5f - a[i], left[i], 0f);
                assertEquals(a[i] / 2.5f, right[i], 0f);
            }
        }
    }

    @Test
    void integerArithmeticWrapsAndTruncates() {
        try (NodeRunner r = new NodeRunner();
             Tensor a8 = Tensor.of(DType.INT8, new byte[] {127, -128}, 2);
             Tensor one8 = Tensor.of(DType.INT8, new byte[] {1, 1}, 2);
             Tensor a32 = Tensor.of(new int[] {-7, 7, 9}, 3);
             Tensor b32 = Tensor.of(new int[] {2, -2, 0}, 3)) {
            assertArrayEquals(new byte[] {-128, -127}, r.run1(node("Add", 2), 14, a8, one8).toByteArray(), "int8 add wraps");
            assertArrayEquals(new byte[] {126, 127}, r.run1(node("Sub", 2), 14, a8, one8).toByteArray(), "int8 sub wraps");
            assertArrayEquals(new int[] {-3, -3, 0}, r.run1(node("Div", 2), 14, a32, b32).toIntArray(), "truncates, /0 gives 0");
        }
    }

    @Test
    void uint64UsesUnsignedDivisionAndComparison() {
        long big = 0xFFFF_FFFF_FFFF_FFF0L; // 2^64 - 16
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.fromBytes(DType.UINT64, Shape.of(1), longBytes(big));
             Tensor b = Tensor.fromBytes(DType.UINT64, Shape.of(1), longBytes(16))) {
            assertEquals(Long.divideUnsigned(big, 16), r.run1(node("Div", 2), 14, a, b).getLong(0));
            assertArrayEquals(new boolean[] {true}, r.run1(node("Greater", 2), 13, a, b).toBooleanArray());
            assertEquals(big, r.run1(node("Max", 2), 13, a, b).getLong(0));
        }
    }

    @Test
    void modFollowsTheDivisorUnlessFmod() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(new int[] {-7, 7, -7, 7}, 4);
             Tensor b = Tensor.of(new int[] {3, 3, -3, -3}, 4);
             Tensor fa = Tensor.of(new float[] {-7.5f, 7.5f}, 2);
             Tensor fb = Tensor.of(new float[] {2f, -2f}, 2)) {
            assertArrayEquals(new int[] {2, 1, -1, -2}, r.run1(node("Mod", 2), 13, a, b).toIntArray());
            assertArrayEquals(new int[] {-1, 1, -1, 1}, r.run1(builder("Mod", 2).attribute("fmod", 1L).build(), 13, a, b).toIntArray());
            assertArrayEquals(new float[] {-1.5f, 1.5f}, r.run1(builder("Mod", 2).attribute("fmod", 1L).build(), 13, fa, fb).toFloatArray());
            assertThrows(ModelFormatException.class, () -> r.run1(node("Mod", 2), 13, fa, fb), "float Mod needs fmod=1");
        }
    }

    @Test
    void powAcceptsMixedTypesAndIsExactForIntegers() {
        try (NodeRunner r = new NodeRunner();
             Tensor fx = Tensor.of(new float[] {2f, 9f}, 2);
             Tensor ly = Tensor.of(new long[] {3, -1}, 2);
             Tensor lx = Tensor.of(new long[] {3, 7}, 2);
             Tensor ly2 = Tensor.of(new long[] {39, 2}, 2)) {
            Tensor y = r.run1(node("Pow", 2), 15, fx, ly);
            assertEquals(DType.FLOAT, y.dtype());
            assertArrayEquals(new float[] {8f, 1 / 9f}, y.toFloatArray(), 1e-7f);
            assertArrayEquals(new long[] {4052555153018976267L, 49}, r.run1(node("Pow", 2), 15, lx, ly2).toLongArray(), "3^39 exactly");
        }
    }

    @Test
    void variadicSumMeanMinMaxBroadcast() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
             Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
             Tensor c = Tensor.of(new float[] {-1, 100}, 2, 1)) {
            assertArrayEquals(new float[] {10, 21, 32, 114, 125, 136}, r.run1(node("Sum", 3), 13, a, b, c).toFloatArray());
            assertArrayEquals(new float[] {10 / 3f, 7, 32 / 3f, 38, 125 / 3f, 136 / 3f}, r.run1(node("Mean", 3), 13, a, b, c).toFloatArray(), 1e-5f);
            assertArrayEquals(new float[] {-1, -1, -1, 4, 5, 6}, r.run1(node("Min", 3), 13, a, b, c).toFloatArray());
            assertArrayEquals(new float[] {10, 20, 30, 100, 100, 100}, r.run1(node("Max", 3), 13, a, b, c).toFloatArray());
            assertArrayEquals(new float[] {10, 20, 30}, r.run1(node("Sum", 1), 13, b).toFloatArray(), "one input is a copy");
        }
    }

    @Test
    void comparisonsAndLogicGiveBool() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(new float[] {1, 2, Float.NaN}, 3);
             Tensor b = Tensor.scalar(2f);
             Tensor p = Tensor.of(new boolean[] {true, true, false, false}, 4);
             Tensor q = Tensor.of(new boolean[] {true, false, true, false}, 4)) {
            assertArrayEquals(new boolean[] {true, false, false}, r.run1(node("Less", 2), 13, a, b).toBooleanArray());
            assertArrayEquals(new boolean[] {false, true, false}, r.run1(node("Equal", 2), 19, a, b).toBooleanArray());
            assertArrayEquals(new boolean[] {false, true, false}, r.run1(node("GreaterOrEqual", 2), 16, a, b).toBooleanArray());
            assertArrayEquals(new boolean[] {true, false, false, false}, r.run1(node("And", 2), 7, p, q).toBooleanArray());
            assertArrayEquals(new boolean[] {false, true, true, false}, r.run1(node("Xor", 2), 7, p, q).toBooleanArray());
        }
    }

    @Test
    void equalComparesStrings() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.ofStrings(new String[] {"cat", "dog", "cow"}, 3);
             Tensor b = Tensor.ofStrings(new String[] {"dog"}, 1)) {
            assertArrayEquals(new boolean[] {false, true, false}, r.run1(node("Equal", 2), 19, a, b).toBooleanArray());
        }
    }

    @Test
    void preluBroadcastsTheSlopeToX() {
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(new float[] {-1, 2, -3, 4, -5, 6}, 1, 3, 2);
             Tensor slope = Tensor.of(new float[] {0.1f, 0.2f, 0.3f}, 3, 1);
             Tensor wide = Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 2, 3, 2)) {
            assertArrayEquals(new float[] {-0.1f, 2, -0.6f, 4, -1.5f, 6}, r.run1(node("PRelu", 2), 16, x, slope).toFloatArray(), 1e-6f);
            assertThrows(ModelFormatException.class, () -> r.run1(node("PRelu", 2), 16, x, wide), "slope must not widen X");
        }
    }

    @Test
    void bitShiftAndBitwise() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(DType.UINT8, new byte[] {(byte) 0x81, 0x10}, 2);
             Tensor s = Tensor.of(DType.UINT8, new byte[] {1, 4}, 2);
             Tensor m = Tensor.of(new int[] {0b1100}, 1);
             Tensor n = Tensor.of(new int[] {0b1010, 0b0110}, 2)) {
            assertArrayEquals(new byte[] {0x02, 0x00}, r.run1(builder("BitShift", 2).attribute("direction", "LEFT").build(), 11, a, s).toByteArray());
            assertArrayEquals(new byte[] {0x40, 0x01}, r.run1(builder("BitShift", 2).attribute("direction", "RIGHT").build(), 11, a, s).toByteArray());
            assertArrayEquals(new int[] {0b1000, 0b0100}, r.run1(node("BitwiseAnd", 2), 18, m, n).toIntArray());
            assertArrayEquals(new int[] {0b0110, 0b1010}, r.run1(node("BitwiseXor", 2), 18, m, n).toIntArray());
        }
    }

    @Test
    void float16AddComputesThroughFloat() {
        short one = Float.floatToFloat16(1f);
        short half = Float.floatToFloat16(0.5f);
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.fromBytes(DType.FLOAT16, Shape.of(2), shortBytes(one, half));
             Tensor b = Tensor.fromBytes(DType.FLOAT16, Shape.of(2), shortBytes(half, half))) {
            Tensor y = r.run1(node("Add", 2), 14, a, b);
            assertEquals(1.5, y.getAsDouble(0));
            assertEquals(1.0, y.getAsDouble(1));
        }
    }

    @Test
    void legacyBroadcastAlignsAtAxis() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
             Tensor b = Tensor.of(new float[] {10, 20, 30}, 3)) {
            Tensor y = r.run1(builder("Add", 2).attribute("broadcast", 1L).attribute("axis", 0L).build(), 6, a, b);
            assertArrayEquals(new float[] {11, 12, 23, 24, 35, 36}, y.toFloatArray());
        }
    }

    @Test
    void rejectsShapesThatDoNotBroadcastAndUnsupportedTypes() {
        try (NodeRunner r = new NodeRunner();
             Tensor a = Tensor.of(new float[6], 2, 3);
             Tensor b = Tensor.of(new float[4], 4);
             Tensor p = Tensor.of(new boolean[] {true}, 1)) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> r.run1(node("Mul", 2), 14, a, b));
            assertEquals(true, e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
            assertThrows(UnsupportedOperatorException.class, () -> r.run1(node("Add", 2), 14, p, p));
        }
    }

    @Test
    void emptyTensorsGiveEmptyOutputs() {
        try (NodeRunner r = new NodeRunner();
             Tensor e = Tensor.allocate(DType.FLOAT, 0, 3);
             Tensor row = Tensor.of(new float[] {1, 2, 3}, 3);
             Tensor i = Tensor.allocate(DType.INT64, 2, 0)) {
            assertEquals(Shape.of(0, 3), r.run1(node("Mul", 2), 18, e, row).shape());
            assertEquals(Shape.of(2, 0), r.run1(node("Add", 2), 14, i, i).shape());
        }
    }

    static float[] random(int n, long seed) {
        Random rnd = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    static byte[] longBytes(long... v) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(8 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (long x : v) bb.putLong(x);
        return bb.array();
    }

    static byte[] shortBytes(short... v) {
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(2 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (short x : v) bb.putShort(x);
        return bb.array();
    }
}
