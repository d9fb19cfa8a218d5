package dev.edgerun.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Reduce* family and ArgMax/ArgMin: axes forms, keepdims, empty reductions, the vector row path against the strided path. */
class ReduceTest {

    private static Node reduce(String op, long keepDims, String... inputs) {
        return Node.builder(op).inputs(inputs).outputs("y").attribute("keepdims", keepDims).build();
    }

    @Test
    void meanOverTheLastAxisEqualsTheStridedReference() {
        Random r = new Random(5);
        float[] v = new float[3 * 37 * 129];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(v, 3, 37, 129); Tensor last = Tensor.of(new long[] {-1}, 1);
             Tensor middle = Tensor.of(new long[] {1}, 1)) {
            Tensor rows = h.run1(new Reduce(Reduce.Kind.MEAN), reduce("ReduceMean", 1, "x", "axes"), 18, x, last);
            assertEquals(Shape.of(3, 37, 1), rows.shape());
            float[] got = rows.toFloatArray();
            for (int o = 0; o < 3 * 37; o++) {
                double s = 0;
                for (int i = 0; i < 129; i++) s += v[o * 129 + i];
                assertEquals(s / 129, got[o], 1e-6, "row " + o);
            }
            Tensor cols = h.run1(new Reduce(Reduce.Kind.SUM), reduce("ReduceSum", 0, "x", "axes"), 13, x, middle);
            assertEquals(Shape.of(3, 129), cols.shape());
            float[] c = cols.toFloatArray();
            for (int b = 0; b < 3; b++) {
                for (int i = 0; i < 129; i++) {
                    double s = 0;
                    for (int k = 0; k < 37; k++) s += v[(b * 37 + k) * 129 + i];
                    assertEquals(s, c[b * 129 + i], 1e-5, "column " + b + "," + i);
                }
            }
        }
    }

    @Test
    void axesAttributeBeforeOpset18AndEveryKind() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {1, -2, 3, 4}, 2, 2)) {
            Object[][] cases = {
                {Reduce.Kind.SUM, 6f}, {Reduce.Kind.MEAN, 1.5f}, {Reduce.Kind.MAX, 4f}, {Reduce.Kind.MIN, -2f},
                {Reduce.Kind.PROD, -24f}, {Reduce.Kind.L1, 10f}, {Reduce.Kind.L2, (float) Math.sqrt(30)},
                {Reduce.Kind.LOG_SUM, (float) Math.log(6)}, {Reduce.Kind.SUM_SQUARE, 30f},
                {Reduce.Kind.LOG_SUM_EXP, (float) Math.log(Math.exp(1) + Math.exp(-2) + Math.exp(3) + Math.exp(4))}};
            for (Object[] c : cases) {
                Node n = Node.builder("R").inputs("x").outputs("y").attribute("axes", new long[] {0, 1}).attribute("keepdims", 0L).build();
                Tensor y = h.run1(new Reduce((Reduce.Kind) c[0]), n, 13, x);
                assertEquals(Shape.SCALAR, y.shape());
                assertEquals((float) c[1], y.getFloat(0), 1e-5f, c[0].toString());
            }
        }
    }

    @Test
    void emptyReductionsGiveTheIdentityAndNoopKeepsTheInput() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.allocate(dev.edgerun.runtime.DType.FLOAT, 2, 0, 4);
             Tensor axes = Tensor.of(new long[] {1}, 1); Tensor none = Tensor.of(new long[0], 0);
             Tensor ints = Tensor.of(new long[] {7, -3, 2}, 3)) {
            assertArrayEquals(new float[8], h.run1(new Reduce(Reduce.Kind.SUM), reduce("ReduceSum", 1, "x", "a"), 13, x, axes).toFloatArray());
            float[] one = h.run1(new Reduce(Reduce.Kind.PROD), reduce("ReduceProd", 1, "x", "a"), 18, x, axes).toFloatArray();
            assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, one);
            assertEquals(Float.NEGATIVE_INFINITY, h.run1(new Reduce(Reduce.Kind.MAX), reduce("ReduceMax", 0, "x", "a"), 18, x, axes).getFloat(3));
            Node noop = Node.builder("ReduceSum").inputs("x", "a").outputs("y").attribute("noop_with_empty_axes", 1L).build();
            assertArrayEquals(new long[] {7, -3, 2}, h.run1(new Reduce(Reduce.Kind.SUM), noop, 13, ints, none).toLongArray());
            assertArrayEquals(new long[] {6}, h.run1(new Reduce(Reduce.Kind.SUM), reduce("ReduceSum", 1, "x"), 13, ints).toLongArray());
        }
    }

    @Test
    void argMaxTakesTheFirstOrLastOfEqualValues() {
        try (OpHarness h = new OpHarness(); Tensor x = Tensor.of(new float[] {2, 5, 5, 1, 1, 0}, 2, 3)) {
            Node first = Node.builder("ArgMax").inputs("x").outputs("y").attribute("axis", 1L).attribute("keepdims", 0L).build();
            assertArrayEquals(new long[] {1, 0}, h.run1(new ArgExtreme(true), first, 13, x).toLongArray());
            Node last = Node.builder("ArgMax").inputs("x").outputs("y").attribute("axis", 1L).attribute("select_last_index", 1L).build();
            Tensor y = h.run1(new ArgExtreme(true), last, 13, x);
            assertEquals(Shape.of(2, 1), y.shape());
            assertArrayEquals(new long[] {2, 1}, y.toLongArray());
            Node min = Node.builder("ArgMin").inputs("x").outputs("y").attribute("axis", 0L).build();
            assertArrayEquals(new long[] {1, 1, 1}, h.run1(new ArgExtreme(false), min, 13, x).toLongArray());
        }
    }
}
