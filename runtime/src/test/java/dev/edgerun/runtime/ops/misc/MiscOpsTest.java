package dev.edgerun.runtime.ops.misc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The misc operators on small cases checked against plain loops or known values. */
class MiscOpsTest {

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = r.nextFloat() * 2 - 1;
        return v;
    }

    private static Node einsum(String equation, int inputs) {
        String[] in = new String[inputs];
        for (int i = 0; i < inputs; i++) in[i] = "i" + i;
        return Node.builder("Einsum").inputs(in).outputs("y").attribute("equation", equation).build();
    }

    @Test
    void einsumBatchMatmulTransposeDiagonalAndImplicitOutput() {
        Random r = new Random(1);
        float[] a = random(r, 2 * 3 * 4), b = random(r, 2 * 4 * 5);
        try (OpHarness h = new OpHarness()) {
            float[] c = h.run1(new Einsum(), einsum("bij,bjk->bik", 2), 12, Tensor.of(a, 2, 3, 4), Tensor.of(b, 2, 4, 5)).toFloatArray();
            for (int t = 0; t < 2; t++) for (int i = 0; i < 3; i++) for (int k = 0; k < 5; k++) {
                float s = 0;
                for (int j = 0; j < 4; j++) s += a[(t * 3 + i) * 4 + j] * b[(t * 4 + j) * 5 + k];
                assertEquals(s, c[(t * 3 + i) * 5 + k], 1e-5f);
            }
            Tensor tr = h.run1(new Einsum(), einsum("ij->ji", 1), 12, Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
            assertEquals(Shape.of(3, 2), tr.shape());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, tr.toFloatArray());
            Tensor diag = h.run1(new Einsum(), einsum("...ii->...i", 1), 12, Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2));
            assertArrayEquals(new float[] {1, 4, 5, 8}, diag.toFloatArray());
            // implicit output: "ij,jk" sums j and keeps i, k in alphabetical order
            Tensor mm = h.run1(new Einsum(), einsum("ij,jk", 2), 12, Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new float[] {3, 4}, 2, 1));
            assertArrayEquals(new float[] {11}, mm.toFloatArray());
        }
    }

    @Test
    void detOfKnownMatrices() {
        try (OpHarness h = new OpHarness()) {
            float[] m = {2, 0, 0, 0, 3, 0, 0, 0, 4, /* swap rows: */ 0, 1, 0, 1, 0, 0, 0, 0, 1};
            Tensor d = h.run1(new Det(), Node.builder("Det").inputs("x").outputs("y").build(), 11, Tensor.of(m, 2, 3, 3));
            assertArrayEquals(new float[] {24, -1}, d.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void dftThenInverseGivesTheSignalBack() {
        Random r = new Random(3);
        float[] x = random(r, 2 * 7);
        try (OpHarness h = new OpHarness()) {
            Node forward = Node.builder("DFT").inputs("x").outputs("y").attribute("axis", 1L).build();
            Tensor spectrum = h.run1(new DFT(), forward, 17, Tensor.of(x, 2, 7, 1));
            assertEquals(Shape.of(2, 7, 2), spectrum.shape());
            float[] s = spectrum.toFloatArray();
            float sum = 0;
            for (int j = 0; j < 7; j++) sum += x[j];
            assertEquals(sum, s[0], 1e-5f); // bin 0 is the sum
            Node inverse = Node.builder("DFT").inputs("x").outputs("y").attribute("axis", 1L).attribute("inverse", 1L).build();
            float[] back = h.run1(new DFT(), inverse, 17, spectrum).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], back[2 * i], 1e-5f);
                assertEquals(0f, back[2 * i + 1], 1e-5f);
            }
        }
    }

    @Test
    void nonMaxSuppressionKeepsTheBestOfOverlappingBoxes() {
        float[] boxes = {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11};
        float[] scores = {0.9f, 0.95f, 0.3f};
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("NonMaxSuppression").inputs("b", "s", "m", "iou").outputs("y").build();
            Tensor y = h.run1(new NonMaxSuppression(), n, 11, Tensor.of(boxes, 1, 3, 4), Tensor.of(scores, 1, 1, 3),
                    Tensor.of(new long[] {10}, 1), Tensor.of(new float[] {0.5f}, 1));
            assertEquals(Shape.of(2, 3), y.shape());
            assertArrayEquals(new long[] {0, 0, 1, 0, 0, 2}, y.toLongArray());
        }
    }

    @Test
    void stringSplitFollowsPythonSemantics() {
        assertEquals(List.of("a", "", "b"), StringSplit.split("a,,b", ",", -1));
        assertEquals(List.of("a", "b,c"), StringSplit.split("a,b,c", ",", 1));
        assertEquals(List.of("a", "b"), StringSplit.split("  a \t b ", "", -1));
        assertEquals(List.of(), StringSplit.split("   ", "", -1));
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("StringSplit").inputs("x").outputs("y", "n").attribute("delimiter", "-").build();
            List<Object> out = h.run(new StringSplit(), n, 20, Tensor.ofStrings(new String[] {"a-b-c", "d"}, 2));
            Tensor y = (Tensor) out.get(0);
            assertEquals(Shape.of(2, 3), y.shape());
            assertArrayEquals(new String[] {"a", "b", "c", "d", "", ""}, y.toStringArray());
            assertArrayEquals(new long[] {3, 1}, ((Tensor) out.get(1)).toLongArray());
        }
    }

    @Test
    void seededRandomRepeatsAndStaysInRange() {
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("RandomUniform").outputs("y").attribute("shape", new long[] {1000}).attribute("seed", 3f)
                    .attribute("low", 2f).attribute("high", 5f).build();
            float[] a = h.run1(RandomOps.uniform(), n, 1).toFloatArray();
            float[] b = h.run1(RandomOps.uniform(), n, 1).toFloatArray();
            assertArrayEquals(a, b);
            double mean = 0;
            for (float v : a) {
                if (v < 2 || v >= 5) throw new AssertionError("out of range: " + v);
                mean += v / a.length;
            }
            assertEquals(3.5, mean, 0.15);
            Node bern = Node.builder("Bernoulli").inputs("p").outputs("y").build();
            Tensor ones = h.run1(RandomOps.bernoulli(), bern, 15, Tensor.of(new double[] {0, 1, 0, 1}, 4));
            assertEquals(DType.DOUBLE, ones.dtype());
            assertArrayEquals(new double[] {0, 1, 0, 1}, ones.toDoubleArray());
        }
    }
}
