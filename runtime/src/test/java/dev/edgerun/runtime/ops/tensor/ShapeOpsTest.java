package dev.edgerun.runtime.ops.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Shape and data-movement operators on small hand-checked cases, each run twice: with the
 * shape-like inputs constant at compile time (planned, preallocated output) and as run-time
 * values (output allocated by the kernel); both must agree.
 */
class ShapeOpsTest {

    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i;
        return v;
    }

    /** Runs the node with inputs constant and not; asserts equal results and returns the planned one. */
    private static Tensor both(OpHarness h, Operator op, Node node, long opset, Object... inputs) {
        Tensor planned = (Tensor) h.run(op, node, opset, true, inputs).get(0);
        Tensor dynamic = (Tensor) h.run(op, node, opset, false, inputs).get(0);
        assertEquals(planned.shape(), dynamic.shape());
        assertArrayEquals(planned.toByteArray(), dynamic.toByteArray());
        return planned;
    }

    @Test
    void reshapeCopiesZerosInfersMinusOneAndHonoursAllowZero() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(iota(24), 2, 3, 4)) {
            Node n = Node.builder("Reshape").inputs("x", "s").outputs("y").build();
            try (Tensor s = Tensor.of(new long[] {0, -1, 2}, 3)) {
                Tensor y = both(h, new Reshape(), n, 14, x, s);
                assertEquals(Shape.of(2, 6, 2), y.shape());
                assertArrayEquals(iota(24), y.toFloatArray());
            }
            Node allowZero = Node.builder("Reshape").inputs("x", "s").outputs("y").attribute("allowzero", 1L).build();
            try (Tensor s = Tensor.of(new long[] {0, 4}, 2)) {
                EdgerunException e = assertThrows(EdgerunException.class, () -> h.run(new Reshape(), allowZero, 14, true, x, s));
                assertTrue(e.getMessage().contains("cannot reshape"), e.getMessage());
            }
        }
    }

    @Test
    void sliceWalksBackwardsAndClampsOutOfRangeBounds() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(iota(20), 4, 5);
             Tensor starts = Tensor.of(new long[] {-1, 100}, 2); Tensor ends = Tensor.of(new long[] {Long.MIN_VALUE, 0}, 2);
             Tensor axes = Tensor.of(new long[] {0, 1}, 2); Tensor steps = Tensor.of(new long[] {-2, -3}, 2)) {
            Node n = Node.builder("Slice").inputs("x", "starts", "ends", "axes", "steps").outputs("y").build();
            Tensor y = both(h, new Slice(), n, 13, x, starts, ends, axes, steps);
            // rows 3, 1; columns 4, 1
            assertEquals(Shape.of(2, 2), y.shape());
            assertArrayEquals(new float[] {19, 16, 9, 6}, y.toFloatArray());
        }
    }

    @Test
    void transposeNchwToNhwc() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(iota(2 * 3 * 4 * 5), 2, 3, 4, 5)) {
            Node n = Node.builder("Transpose").inputs("x").outputs("y").attribute("perm", new long[] {0, 2, 3, 1}).build();
            Tensor y = h.run1(new Transpose(), n, 13, x);
            assertEquals(Shape.of(2, 4, 5, 3), y.shape());
            float[] v = y.toFloatArray();
            for (int b = 0; b < 2; b++) for (int c = 0; c < 3; c++) for (int i = 0; i < 4; i++) for (int j = 0; j < 5; j++) {
                assertEquals(((b * 3 + c) * 4 + i) * 5 + j, v[((b * 4 + i) * 5 + j) * 3 + c]);
            }
        }
    }

    @Test
    void splitAtOpset18LeavesTheRemainderToTheLastOutput() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(iota(7), 7)) {
            Node n = Node.builder("Split").inputs("x").outputs("a", "b", "c").attribute("num_outputs", 3L).build();
            List<Object> out = h.run(new Split(), n, 18, x);
            assertArrayEquals(new float[] {0, 1, 2}, ((Tensor) out.get(0)).toFloatArray());
            assertArrayEquals(new float[] {3, 4, 5}, ((Tensor) out.get(1)).toFloatArray());
            assertArrayEquals(new float[] {6}, ((Tensor) out.get(2)).toFloatArray());
        }
    }

    @Test
    void concatGatherExpandAndTileAgreeWithHandResults() {
        try (OpHarness h = new OpHarness(); Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
             Tensor b = Tensor.of(new float[] {5, 6}, 2, 1); Tensor idx = Tensor.of(new long[] {-1, 0, 1}, 3);
             Tensor shape = Tensor.of(new long[] {2, 1, 2}, 3); Tensor reps = Tensor.of(new long[] {1, 2}, 2)) {
            Tensor c = h.run1(new Concat(), Node.builder("Concat").inputs("a", "b").outputs("c").attribute("axis", -1L).build(), 13, a, b);
            assertArrayEquals(new float[] {1, 2, 5, 3, 4, 6}, c.toFloatArray());
            Tensor g = h.run1(new Gather(), Node.builder("Gather").inputs("a", "i").outputs("g").attribute("axis", 1L).build(), 13, a, idx);
            assertArrayEquals(new float[] {2, 1, 2, 4, 3, 4}, g.toFloatArray());
            Tensor e = both(h, new Expand(), Node.builder("Expand").inputs("b", "s").outputs("e").build(), 13, b, shape);
            assertEquals(Shape.of(2, 2, 2), e.shape());
            assertArrayEquals(new float[] {5, 5, 6, 6, 5, 5, 6, 6}, e.toFloatArray());
            Tensor t = both(h, new Tile(), Node.builder("Tile").inputs("a", "r").outputs("t").build(), 13, a, reps);
            assertArrayEquals(new float[] {1, 2, 1, 2, 3, 4, 3, 4}, t.toFloatArray());
        }
    }

    @Test
    void gatherReportsAnOutOfRangeIndexWithTheNode() {
        try (OpHarness h = new OpHarness(); Tensor a = Tensor.of(new float[] {1, 2}, 2); Tensor idx = Tensor.of(new long[] {2}, 1)) {
            Node n = Node.builder("Gather").name("g1").inputs("a", "i").outputs("g").build();
            EdgerunException e = assertThrows(EdgerunException.class, () -> h.run1(new Gather(), n, 13, a, idx));
            assertTrue(e.getMessage().contains("g1") && e.getMessage().contains("index 2"), e.getMessage());
        }
    }

    @Test
    void padReflectsEdgesAndWraps() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, 2, 3}, 3); Tensor pads = Tensor.of(new long[] {2, 2}, 2)) {
            float[][] expected = {{3, 2, 1, 2, 3, 2, 1}, {1, 1, 1, 2, 3, 3, 3}, {2, 3, 1, 2, 3, 1, 2}, {0, 0, 1, 2, 3, 0, 0}};
            String[] modes = {"reflect", "edge", "wrap", "constant"};
            for (int m = 0; m < modes.length; m++) {
                Node n = Node.builder("Pad").inputs("x", "p").outputs("y").attribute("mode", modes[m]).build();
                assertArrayEquals(expected[m], both(h, new Pad(), n, 19, x, pads).toFloatArray(), modes[m]);
            }
        }
    }

    @Test
    void resizeNearestDoublesLikeTorchUpsample() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
             Tensor scales = Tensor.of(new float[] {1, 1, 2, 2}, 4)) {
            Node n = Node.builder("Resize").inputs("x", "", "scales").outputs("y").attribute("mode", "nearest")
                    .attribute("coordinate_transformation_mode", "asymmetric").attribute("nearest_mode", "floor").build();
            Tensor y = both(h, new Resize(false), n, 13, x, null, scales);
            assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, y.toFloatArray());
        }
    }

    @Test
    void resizeLinearHalfPixelMatchesTheSpecExample() {
        // From the ONNX Resize documentation (test_resize_upsample_scales_linear).
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
             Tensor scales = Tensor.of(new float[] {1, 1, 2, 2}, 4)) {
            Node n = Node.builder("Resize").inputs("x", "", "scales").outputs("y").attribute("mode", "linear").build();
            float[] expected = {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4};
            assertArrayEquals(expected, both(h, new Resize(false), n, 13, x, null, scales).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void constantTakesEveryValueFormAndShapeSlicesDimensions() {
        try (OpHarness h = new OpHarness(); Tensor dense = Tensor.of(new float[] {0, 5, 0}, 3); Tensor x = Tensor.allocate(dev.edgerun.runtime.DType.FLOAT, 2, 3, 4, 5)) {
            Node ints = Node.builder("Constant").outputs("c").attribute("value_ints", new long[] {4, 5}).build();
            assertArrayEquals(new long[] {4, 5}, h.run1(new Constant(), ints, 13).toLongArray());
            Node f = Node.builder("Constant").outputs("c").attribute("value_float", 2.5f).build();
            assertEquals(Shape.SCALAR, h.run1(new Constant(), f, 13).shape());
            Node sparse = Node.builder("Constant").outputs("c")
                    .attribute(new dev.edgerun.runtime.ir.Attribute("sparse_value", dev.edgerun.runtime.ir.Attribute.Kind.SPARSE_TENSOR, dense, "", "")).build();
            assertArrayEquals(new float[] {0, 5, 0}, h.run1(new Constant(), sparse, 13).toFloatArray());
            Node shape = Node.builder("Shape").inputs("x").outputs("s").attribute("start", 1L).attribute("end", -1L).build();
            assertArrayEquals(new long[] {3, 4}, h.run1(new dev.edgerun.runtime.ops.tensor.Shape(), shape, 15, x).toLongArray());
            Node clipped = Node.builder("Shape").inputs("x").outputs("s").attribute("start", -10L).build();
            assertArrayEquals(new long[] {2, 3, 4, 5}, h.run1(new dev.edgerun.runtime.ops.tensor.Shape(), clipped, 15, x).toLongArray());
        }
    }

    @Test
    void stringTensorsMoveThroughGatherConcatTransposeAndReshape() {
        try (OpHarness h = new OpHarness(); Tensor a = Tensor.ofStrings(new String[] {"a", "b", "c", "d"}, 2, 2);
             Tensor b = Tensor.ofStrings(new String[] {"x", "y"}, 2, 1); Tensor idx = Tensor.of(new long[] {1, 1, 0}, 3);
             Tensor shape = Tensor.of(new long[] {-1}, 1)) {
            Node concat = Node.builder("Concat").inputs("a", "b").outputs("c").attribute("axis", 1L).build();
            Tensor c = h.run1(new Concat(), concat, 13, a, b);
            assertEquals(Shape.of(2, 3), c.shape());
            assertArrayEquals(new String[] {"a", "b", "x", "c", "d", "y"}, c.toStringArray());
            Node gather = Node.builder("Gather").inputs("a", "i").outputs("g").build();
            assertArrayEquals(new String[] {"c", "d", "c", "d", "a", "b"}, h.run1(new Gather(), gather, 13, a, idx).toStringArray());
            Node transpose = Node.builder("Transpose").inputs("a").outputs("t").build();
            assertArrayEquals(new String[] {"a", "c", "b", "d"}, h.run1(new Transpose(), transpose, 13, a).toStringArray());
            Node reshape = Node.builder("Reshape").inputs("a", "s").outputs("r").build();
            Tensor r = h.run1(new Reshape(), reshape, 14, a, shape);
            assertEquals(Shape.of(4), r.shape());
            assertArrayEquals(new String[] {"a", "b", "c", "d"}, r.toStringArray());
        }
    }

    @Test
    void resizeLinearOfUint8AndDoubleGoesThroughFloat() {
        try (OpHarness h = new OpHarness(); Tensor bytes = Tensor.of(dev.edgerun.runtime.DType.UINT8, new byte[] {10, 20, (byte) 200, 40}, 1, 1, 2, 2);
             Tensor doubles = Tensor.of(new double[] {10, 20, 200, 40}, 1, 1, 2, 2); Tensor scales = Tensor.of(new float[] {1, 1, 2, 2}, 4)) {
            Node n = Node.builder("Resize").inputs("x", "", "scales").outputs("y").attribute("mode", "linear").build();
            double[] d = h.run1(new Resize(false), n, 13, doubles, null, scales).toDoubleArray();
            byte[] b = h.run1(new Resize(false), n, 13, bytes, null, scales).toByteArray();
            assertEquals(16, d.length);
            assertEquals(12.5, d[1], 1e-6); // 0.75 * 10 + 0.25 * 20
            for (int i = 0; i < 16; i++) assertEquals((int) d[i], Byte.toUnsignedInt(b[i]), "element " + i);
        }
    }
}
