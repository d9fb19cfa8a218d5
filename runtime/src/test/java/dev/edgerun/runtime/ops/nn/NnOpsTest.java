package dev.edgerun.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Operator cases the ONNX node tests leave out: batch broadcasting, constant weights, grouped transposed convolution. */
class NnOpsTest {
    private final Random rnd = new Random(11);

    private float[] random(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextFloat() * 2 - 1;
        return r;
    }

    private static Node node(String op, int inputs, Object... attrs) {
        Node.Builder b = Node.builder(op).outputs("y");
        for (int i = 0; i < inputs; i++) b.inputs("in" + i);
        for (int i = 0; i < attrs.length; i += 2) {
            Object v = attrs[i + 1];
            if (v instanceof long[] l) b.attribute((String) attrs[i], l);
            else if (v instanceof Long l) b.attribute((String) attrs[i], l);
            else if (v instanceof Float f) b.attribute((String) attrs[i], f);
            else b.attribute((String) attrs[i], (String) v);
        }
        return b.build();
    }

    @Test
    void matMulBroadcastsBatchesBothWays() {
        float[] a = random(2 * 1 * 3 * 4), b = random(3 * 4 * 5);
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(a, 2, 1, 3, 4); Tensor tb = Tensor.of(b, 3, 4, 5)) {
            Tensor y = h.run1(new MatMul(), node("MatMul", 2), 13, ta, tb);
            assertArrayEquals(new long[] {2, 3, 3, 5}, y.shape().dims());
            for (int p = 0; p < 2; p++) for (int q = 0; q < 3; q++) for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) {
                float s = 0;
                for (int k = 0; k < 4; k++) s += a[(p * 3 + i) * 4 + k] * b[(q * 4 + k) * 5 + j];
                assertEquals(s, y.getFloat(((p * 3 + q) * 3 + i) * 5 + j), 1e-5f);
            }
        }
    }

    @Test
    void matMulWithConstantMatrixFoldsBatchesAndHandlesVectors() {
        float[] a = random(2 * 3 * 7), b = random(7 * 9), v = random(7);
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(a, 2, 3, 7); Tensor tb = Tensor.of(b, 7, 9);
             Tensor tv = Tensor.of(v, 7)) {
            Tensor y = (Tensor) h.run(new MatMul(), node("MatMul", 2), 13, true, ta, tb).get(0);
            assertArrayEquals(new long[] {2, 3, 9}, y.shape().dims());
            for (int r = 0; r < 6; r++) for (int j = 0; j < 9; j++) {
                float s = 0;
                for (int k = 0; k < 7; k++) s += a[r * 7 + k] * b[k * 9 + j];
                assertEquals(s, y.getFloat(r * 9 + j), 1e-5f);
            }
            Tensor yv = h.run1(new MatMul(), node("MatMul", 2), 13, ta, tv);
            assertArrayEquals(new long[] {2, 3}, yv.shape().dims());
            float s = 0;
            for (int k = 0; k < 7; k++) s += a[7 + k] * v[k];
            assertEquals(s, yv.getFloat(1), 1e-5f);
        }
    }

    @Test
    void gemmTransposesAndBroadcastsAColumnBias() {
        int m = 4, n = 5, k = 3;
        float[] a = random(k * m), b = random(n * k), c = random(m);
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(a, k, m); Tensor tb = Tensor.of(b, n, k); Tensor tc = Tensor.of(c, m, 1)) {
            Node gemm = node("Gemm", 3, "transA", 1L, "transB", 1L, "alpha", 0.5f, "beta", 2f);
            Tensor y = (Tensor) h.run(new Gemm(), gemm, 13, true, ta, tb, tc).get(0);
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[p * m + i] * b[j * k + p];
                assertEquals(0.5f * s + 2f * c[i], y.getFloat(i * n + j), 1e-5f);
            }
        }
    }

    @Test
    void gemmRejectsMismatchedInnerDimensions() {
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(random(6), 2, 3); Tensor tb = Tensor.of(random(8), 4, 2)) {
            var e = assertThrows(ModelFormatException.class, () -> h.run1(new Gemm(), node("Gemm", 2), 13, ta, tb));
            assertEquals(true, e.getMessage().contains("inner dimensions differ"), e.getMessage());
        }
    }

    @Test
    void convTransposeGroupedStridedWithOutputPaddingMatchesNaive() {
        int n = 1, c = 4, group = 2, mg = 3, h = 3, w = 4, kh = 3, kw = 2, s = 2, pad = 1, op = 1;
        float[] x = random(n * c * h * w), wt = random(c * mg * kh * kw), bias = random(group * mg);
        int oh = s * (h - 1) + op + kh - 2 * pad, ow = s * (w - 1) + op + kw - 2 * pad;
        float[] expected = new float[group * mg * oh * ow];
        for (int i = 0; i < expected.length; i++) expected[i] = bias[i / (oh * ow)];
        int cg = c / group;
        for (int g = 0; g < group; g++) for (int ci = 0; ci < cg; ci++) for (int m = 0; m < mg; m++)
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++) for (int a = 0; a < kh; a++) for (int b = 0; b < kw; b++) {
                int y = i * s - pad + a, z = j * s - pad + b;
                if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
                expected[((g * mg + m) * oh + y) * ow + z] += x[((g * cg + ci) * h + i) * w + j]
                        * wt[(((g * cg + ci) * mg + m) * kh + a) * kw + b];
            }
        try (OpHarness hs = new OpHarness(); Tensor tx = Tensor.of(x, n, c, h, w); Tensor tw = Tensor.of(wt, c, mg, kh, kw);
             Tensor tb = Tensor.of(bias, group * mg)) {
            Node ct = node("ConvTranspose", 3, "group", (long) group, "strides", new long[] {s, s},
                    "pads", new long[] {pad, pad, pad, pad}, "output_padding", new long[] {op, op});
            for (boolean constant : new boolean[] {false, true}) {
                Tensor y = (Tensor) hs.run(new ConvTranspose(), ct, 11, constant, tx, tw, tb).get(0);
                assertArrayEquals(new long[] {n, group * mg, oh, ow}, y.shape().dims());
                for (int i = 0; i < expected.length; i++) assertEquals(expected[i], y.getFloat(i), 1e-5f, "element " + i);
            }
        }
    }

    @Test
    void convSameLowerPadsTheFrontMore() {
        // kernel 3, stride 2 on 6 -> total pad 1: SAME_UPPER pads after, SAME_LOWER before
        float[] x = {1, 2, 3, 4, 5, 6}, w = {1, 10, 100};
        try (OpHarness h = new OpHarness(); Tensor tx = Tensor.of(x, 1, 1, 6); Tensor tw = Tensor.of(w, 1, 1, 3)) {
            Tensor lower = h.run1(new Conv(), node("Conv", 2, "auto_pad", "SAME_LOWER", "strides", new long[] {2}), 11, tx, tw);
            Tensor upper = h.run1(new Conv(), node("Conv", 2, "auto_pad", "SAME_UPPER", "strides", new long[] {2}), 11, tx, tw);
            assertArrayEquals(new float[] {0 * 1 + 1 * 10 + 2 * 100, 2 + 30 + 400, 4 + 50 + 600}, lower.toFloatArray());
            assertArrayEquals(new float[] {1 + 20 + 300, 3 + 40 + 500, 5 + 60 + 0}, upper.toFloatArray());
        }
    }

    @Test
    void doubleAndFloat16RunThroughFloat32() {
        float[] x = random(2 * 3 * 5 * 5), w = random(4 * 3 * 3 * 3), b = random(4);
        try (OpHarness h = new OpHarness(); Tensor fx = Tensor.of(x, 2, 3, 5, 5); Tensor fw = Tensor.of(w, 4, 3, 3, 3);
             Tensor fb = Tensor.of(b, 4)) {
            Node conv = node("Conv", 3, "pads", new long[] {1, 1, 1, 1});
            float[] expected = h.run1(new Conv(), conv, 11, fx, fw, fb).toFloatArray();
            for (DType t : new DType[] {DType.DOUBLE, DType.FLOAT16}) {
                for (boolean constant : new boolean[] {false, true}) {
                    Tensor y = (Tensor) h.run(new Conv(), conv, 11, constant, as(fx, t), as(fw, t), as(fb, t)).get(0);
                    assertEquals(t, y.dtype());
                    float tol = t == DType.DOUBLE ? 1e-5f : 2e-2f;
                    for (int i = 0; i < expected.length; i++) assertEquals(expected[i], (float) y.getAsDouble(i), tol, t + " element " + i);
                }
            }
            Tensor soft = h.run1(new Softmax(), node("Softmax", 1), 13, as(fx, DType.DOUBLE));
            assertEquals(1.0, soft.getAsDouble(0) + soft.getAsDouble(1) + soft.getAsDouble(2) + soft.getAsDouble(3) + soft.getAsDouble(4), 1e-6);
        }
    }

    private final java.util.List<Tensor> converted = new java.util.ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeConverted() {
        converted.forEach(Tensor::close);
    }

    /** A copy of float tensor {@code f} as {@code t}, closed after the test. */
    private Tensor as(Tensor f, DType t) {
        Tensor r = Tensor.allocate(t, f.shape());
        converted.add(r);
        for (int i = 0; i < f.elementCount(); i++) {
            float v = f.getFloat(i);
            if (t == DType.DOUBLE) r.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED, i, v);
            else r.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
        }
        return r;
    }
}
