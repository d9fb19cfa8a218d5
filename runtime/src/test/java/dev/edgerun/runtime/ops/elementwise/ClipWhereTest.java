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
import org.junit.jupiter.api.Test;

class ClipWhereTest {

    @Test
    void clipReadsAttributesBeforeOpset11() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {-3, -1, 0, 2, 9}, 5)) {
            Tensor y = r.run1(builder("Clip", 1).attribute("min", -1.5f).attribute("max", 2.5f).build(), 6, x);
            assertArrayEquals(new float[] {-1.5f, -1, 0, 2, 2.5f}, y.toFloatArray());
        }
    }

    @Test
    void clipReadsInputsFromOpset11AndMissingBoundsDoNotClip() {
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(new float[] {-3, -1, 0, 2, 9, Float.NaN}, 6);
             Tensor lo = Tensor.scalar(-1.5f);
             Tensor hi = Tensor.scalar(2.5f)) {
            assertArrayEquals(new float[] {-1.5f, -1, 0, 2, 2.5f, Float.NaN}, r.run1(node("Clip", 3), 13, x, lo, hi).toFloatArray());
            assertArrayEquals(new float[] {-3, -1, 0, 2, 2.5f, Float.NaN}, r.run1(node("Clip", 3), 13, x, null, hi).toFloatArray());
            assertArrayEquals(new float[] {-1.5f, -1, 0, 2, 9, Float.NaN}, r.run1(node("Clip", 2), 13, x, lo).toFloatArray());
            assertArrayEquals(new float[] {-1.5f, -1.5f, -1.5f, -1.5f, -1.5f, Float.NaN},
                    r.run1(node("Clip", 3), 13, x, hi, lo).toFloatArray(), "min > max gives max");
        }
    }

    @Test
    void clipOfIntegers() {
        try (NodeRunner r = new NodeRunner();
             Tensor x = Tensor.of(DType.INT8, new byte[] {-128, -5, 7, 127}, 4);
             Tensor lo = Tensor.of(DType.INT8, new byte[] {-6}, 1)) {
            assertArrayEquals(new byte[] {-6, -5, 7, 127}, r.run1(node("Clip", 2), 13, x, lo).toByteArray());
        }
    }

    @Test
    void clipRejectsBoundsOfAnotherType() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1}, 1); Tensor lo = Tensor.of(new double[] {0}, 1)) {
            assertThrows(ModelFormatException.class, () -> r.run1(node("Clip", 2), 13, x, lo));
        }
    }

    @Test
    void whereBroadcastsAllThreeInputs() {
        try (NodeRunner r = new NodeRunner();
             Tensor c = Tensor.of(new boolean[] {true, false, true}, 3);
             Tensor x = Tensor.of(new long[] {1, 2}, 2, 1);
             Tensor y = Tensor.of(new long[] {-7}, 1)) {
            Tensor out = r.run1(node("Where", 3), 16, c, x, y);
            assertEquals(Shape.of(2, 3), out.shape());
            assertArrayEquals(new long[] {1, -7, 1, 2, -7, 2}, out.toLongArray());
        }
    }

    @Test
    void whereRequiresABoolCondition() {
        try (NodeRunner r = new NodeRunner(); Tensor x = Tensor.of(new float[] {1}, 1)) {
            assertThrows(ModelFormatException.class, () -> r.run1(node("Where", 3), 16, x, x, x));
        }
    }
}
