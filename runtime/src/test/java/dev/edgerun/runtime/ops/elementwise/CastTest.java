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
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.Casts;
import org.junit.jupiter.api.Test;

class CastTest {

    private static Node cast(DType to) {
        return builder("Cast", 1).attribute("to", (long) to.onnxCode()).build();
    }

    @Test
    void floatToHalfTypesRoundsToNearestEven() {
        // 1 + 2^-8 is a tie between bfloat16 1 and 1 + 2^-7: even mantissa wins (1); 1 + 3*2^-8 rounds up.
        float[] v = {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 65520f};
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(v, 3)) {
            Tensor bf = r.run1(cast(DType.BFLOAT16), 25, x);
            assertEquals(1.0, bf.getAsDouble(0));
            assertEquals(1 + 0x1p-6, bf.getAsDouble(1));
            Tensor h = r.run1(cast(DType.FLOAT16), 25, x);
            assertEquals(Double.POSITIVE_INFINITY, h.getAsDouble(2), "65520 rounds past float16's max");
        }
    }

    @Test
    void integersConvertExactlyAndWrap() {
        long big = (1L << 53) + 1;
        try (NodeRunner r = new NodeRunner();
             Tensor l = Tensor.of(new long[] {big, -1, 300}, 3);
             Tensor u = Tensor.fromBytes(DType.UINT64, Shape.of(1), ElementwiseBinaryTest.longBytes(-1L))) {
            assertEquals((float) big, r.run1(cast(DType.FLOAT), 25, l).getFloat(0));
            assertArrayEquals(new byte[] {(byte) 1, (byte) 255, (byte) 44}, r.run1(cast(DType.UINT8), 25, l).toByteArray(), "wraps");
            assertEquals(0x1p64, r.run1(cast(DType.DOUBLE), 25, u).toDoubleArray()[0], "uint64 max is unsigned");
        }
    }

    @Test
    void floatsTruncateTowardZeroAndNaNIsTrue() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {-2.7f, 2.7f, 0f, Float.NaN}, 4)) {
            assertArrayEquals(new int[] {-2, 2, 0, 0}, r.run1(cast(DType.INT32), 25, x).toIntArray());
            assertArrayEquals(new boolean[] {true, true, false, true}, r.run1(cast(DType.BOOL), 25, x).toBooleanArray());
        }
    }

    @Test
    void int4PacksLowNibbleFirstAndWraps() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {-9, -8, 7, 8, 1}, 5)) {
            Tensor q = r.run1(cast(DType.INT4), 25, x);
            assertArrayEquals(new byte[] {(byte) 0x87, (byte) 0x87, 0x01}, q.toByteArray());
            Tensor back = r.run1(cast(DType.FLOAT), 25, q);
            assertArrayEquals(new float[] {7, -8, 7, -8, 1}, back.toFloatArray());
        }
    }

    @Test
    void float8SaturatesOrOverflowsAsTheAttributeSays() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1e6f, Float.NEGATIVE_INFINITY, 0.4789f, Float.NaN}, 4)) {
            assertArrayEquals(new byte[] {0x7e, (byte) 0xfe, 0x2f, 0x7f}, r.run1(cast(DType.FLOAT8E4M3FN), 25, x).toByteArray());
            Node noSaturate = builder("Cast", 1).attribute("to", (long) DType.FLOAT8E5M2.onnxCode()).attribute("saturate", 0L).build();
            assertArrayEquals(new byte[] {0x7c, (byte) 0xfc, 0x38, 0x7e}, r.run1(noSaturate, 25, x).toByteArray());
        }
    }

    @Test
    void everyFloat8CodeRoundTrips() {
        for (Casts.MiniFloat f : Casts.MiniFloat.values()) {
            int codes = f == Casts.MiniFloat.E2M1 ? 16 : 256;
            for (int code = 0; code < codes; code++) {
                float v = f.decode(code);
                if (Float.isNaN(v)) continue;
                int again = f.encode(v, false);
                assertEquals(v, f.decode(again), f + " code " + code);
            }
        }
    }

    @Test
    void castLikeTakesTheSecondInputsType() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1.5f}, 1); Tensor like = Tensor.of(new double[] {0}, 1)) {
            Tensor y = r.run1(node("CastLike", 2), 21, x, like);
            assertEquals(DType.DOUBLE, y.dtype());
            assertEquals(1.5, y.toDoubleArray()[0]);
        }
    }

    @Test
    void bitCastKeepsTheBitsAndNeedsEqualWidths() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1f, -2.5f}, 2)) {
            Node toInt = builder("BitCast", 1).attribute("to", (long) DType.INT32.onnxCode()).build();
            assertArrayEquals(new int[] {Float.floatToIntBits(1f), Float.floatToIntBits(-2.5f)}, r.run1(toInt, 26, x).toIntArray());
            Node toLong = builder("BitCast", 1).attribute("to", (long) DType.INT64.onnxCode()).build();
            assertThrows(dev.edgerun.runtime.ModelFormatException.class, () -> r.run1(toLong, 26, x));
        }
    }

    @Test
    void stringsAreReportedUnsupported() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1}, 1)) {
            assertThrows(UnsupportedOperatorException.class, () -> r.run1(cast(DType.STRING), 25, x));
        }
    }
}
