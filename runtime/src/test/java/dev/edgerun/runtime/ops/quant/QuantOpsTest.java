package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The quantization operators against dequantize → float → quantize references. */
class QuantOpsTest {

    private static Node node(String op, int inputs) {
        String[] in = new String[inputs];
        for (int i = 0; i < inputs; i++) in[i] = "i" + i;
        return Node.builder(op).inputs(in).outputs("y").build();
    }

    @Test
    void quantizeRoundsHalfToEvenAndSaturates() {
        float[] x = {0f, 1f, 2.5f, 3.5f, -2.5f, 1000f, -1000f, 0.49f};
        try (OpHarness h = new OpHarness()) {
            Tensor y = h.run1(new QuantizeLinear(), node("QuantizeLinear", 3), 13,
                    Tensor.of(x, 8), Tensor.scalar(1f), Tensor.of(DType.UINT8, new byte[] {10}));
            // 2.5 → 2 and 3.5 → 4 (half to even), then + 10; the extremes saturate at 0 and 255
            assertArrayEquals(new byte[] {10, 11, 12, 14, 8, (byte) 255, 0, 10}, y.toByteArray());
            Tensor s = h.run1(new QuantizeLinear(), node("QuantizeLinear", 3), 13,
                    Tensor.of(x, 8), Tensor.scalar(0.5f), Tensor.of(DType.INT8, new byte[] {-1}));
            assertArrayEquals(new byte[] {-1, 1, 4, 6, -6, 127, -128, -0}, s.toByteArray());
        }
    }

    @Test
    void perAxisAndBlockedQuantizationRoundTrip() {
        Random r = new Random(7);
        float[] x = new float[2 * 4 * 3];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 20 - 10;
        float[] scales = {0.1f, 0.2f, 0.05f, 0.3f};
        byte[] zeros = {0, 5, -3, 1};
        try (OpHarness h = new OpHarness()) {
            Tensor q = h.run1(new QuantizeLinear(), node("QuantizeLinear", 3), 13,
                    Tensor.of(x, 2, 4, 3), Tensor.of(scales, 4), Tensor.of(DType.INT8, zeros, 4));
            Tensor d = h.run1(new DequantizeLinear(), node("DequantizeLinear", 3), 13,
                    q, Tensor.of(scales, 4), Tensor.of(DType.INT8, zeros, 4));
            float[] back = d.toFloatArray();
            byte[] qb = q.toByteArray();
            for (int i = 0; i < x.length; i++) {
                int c = (i / 3) % 4;
                float expected = Math.max(-128, Math.min(127, (float) Math.rint(x[i] / scales[c]) + zeros[c]));
                assertEquals(expected, qb[i], 0, "element " + i);
                assertEquals((qb[i] - zeros[c]) * scales[c], back[i], 1e-6f);
                if (Math.abs(qb[i]) < 127) assertTrue(Math.abs(back[i] - x[i]) <= scales[c] / 2 + 1e-6f);
            }
            // blocked: axis 1 (size 4) in blocks of 3 → 2 scale columns, the second block is partial
            float[] blockScales = {0.1f, 0.2f, 0.3f, 0.4f};
            Node blocked = Node.builder("QuantizeLinear").inputs("x", "s").outputs("y").attribute("axis", 1L)
                    .attribute("block_size", 3L).attribute("output_dtype", (long) DType.INT16.onnxCode()).build();
            Tensor qb2 = h.run1(new QuantizeLinear(), blocked, 21, Tensor.of(java.util.Arrays.copyOf(x, 8), 2, 4), Tensor.of(blockScales, 2, 2));
            assertEquals(DType.INT16, qb2.dtype());
            for (int i = 0; i < 8; i++) {
                float s = blockScales[(i / 4) * 2 + (i % 4) / 3];
                assertEquals(Math.rint(x[i] / s), qb2.getAsLong(i), 0, "element " + i);
            }
        }
    }

    @Test
    void int4PacksTwoPerByteLowNibbleFirst() {
        try (OpHarness h = new OpHarness()) {
            Node n = Node.builder("QuantizeLinear").inputs("x", "s").outputs("y").attribute("output_dtype", (long) DType.INT4.onnxCode()).build();
            Tensor q = h.run1(new QuantizeLinear(), n, 21, Tensor.of(new float[] {1, -2, 7, 100, -100}, 5), Tensor.scalar(1f));
            assertArrayEquals(new byte[] {(byte) 0xE1, (byte) 0x77, (byte) 0x08}, q.toByteArray());
            Tensor d = h.run1(new DequantizeLinear(), node("DequantizeLinear", 2), 21, q, Tensor.scalar(2f));
            assertArrayEquals(new float[] {2, -4, 14, 14, -16}, d.toFloatArray());
        }
    }

    @Test
    void float8EncodingMatchesKnownCodes() {
        assertEquals(0x7E, MiniFloat.E4M3FN.encode(448f, true));
        assertEquals(0x7E, MiniFloat.E4M3FN.encode(1e6f, true));
        assertEquals(0x7F, MiniFloat.E4M3FN.encode(1e6f, false));
        assertEquals(0x38, MiniFloat.E4M3FN.encode(1f, true));
        assertEquals(0xB8, MiniFloat.E4M3FN.encode(-1f, true));
        assertEquals(0x01, MiniFloat.E4M3FN.encode(0.001953125f, true)); // smallest subnormal 2^-9
        assertEquals(0x7B, MiniFloat.E5M2.encode(57344f, true));
        assertEquals(0x7C, MiniFloat.E5M2.encode(Float.POSITIVE_INFINITY, false));
        assertEquals(0x3C, MiniFloat.E5M2.encode(1f, true));
        assertEquals(0x80, MiniFloat.E4M3FNUZ.encode(Float.NaN, true));
        assertEquals(0x7, MiniFloat.E2M1.encode(100f, true));
        assertEquals(0x5, MiniFloat.E2M1.encode(3f, true));
        for (MiniFloat f : MiniFloat.values()) {
            int codes = f == MiniFloat.E2M1 ? 16 : 256;
            for (int c = 0; c < codes; c++) {
                float v = f.decode(c);
                if (Float.isNaN(v) || Float.isInfinite(v)) continue;
                int back = f.encode(v, true);
                assertEquals(v, f.decode(back), 0f, f + " code " + c);
            }
        }
    }

    @Test
    void dynamicQuantizeLinearCoversTheRangeAndZero() {
        float[] x = {0f, 2f, -0.5f, 1.3f, 4.5f};
        try (OpHarness h = new OpHarness()) {
            List<Object> out = h.run(new DynamicQuantizeLinear(), Node.builder("DynamicQuantizeLinear").inputs("x")
                    .outputs("y", "s", "z").build(), 11, Tensor.of(x, 5));
            float scale = ((Tensor) out.get(1)).getFloat(0);
            int zero = Byte.toUnsignedInt(((Tensor) out.get(2)).toByteArray()[0]);
            assertEquals(5f / 255f, scale, 1e-7f);
            assertEquals(Math.rint(0.5f / scale), zero, 0);
            byte[] y = ((Tensor) out.get(0)).toByteArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Math.max(0, Math.min(255, Math.rint(x[i] / scale) + zero)), Byte.toUnsignedInt(y[i]), 0);
            }
        }
    }

    @Test
    void matMulIntegerWithPerRowAndPerColumnZeroPointsAndBroadcastBatch() {
        Random r = new Random(9);
        int b = 2, m = 3, k = 5, n = 4;
        byte[] a = new byte[b * m * k], bb = new byte[k * n];
        r.nextBytes(a);
        r.nextBytes(bb);
        byte[] za = {1, 2, 3}, zb = {(byte) 200, 0, 17, (byte) 128};
        try (OpHarness h = new OpHarness()) {
            Tensor c = h.run1(new MatMulInteger(), node("MatMulInteger", 4), 10, Tensor.of(DType.INT8, a, b, m, k),
                    Tensor.of(DType.UINT8, bb, k, n), Tensor.of(DType.INT8, za, m), Tensor.of(DType.UINT8, zb, n));
            assertEquals(List.of(2L, 3L, 4L), java.util.Arrays.stream(c.shape().dims()).boxed().toList());
            int[] got = c.toIntArray();
            for (int t = 0; t < b; t++) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                int s = 0;
                for (int kk = 0; kk < k; kk++) s += (a[(t * m + i) * k + kk] - za[i]) * ((bb[kk * n + j] & 0xFF) - (zb[j] & 0xFF));
                assertEquals(s, got[(t * m + i) * n + j]);
            }
        }
    }

    @Test
    void qlinearMatMulMatchesDequantizeFloatQuantize() {
        Random r = new Random(11);
        int m = 4, k = 7, n = 3;
        byte[] a = new byte[m * k], b = new byte[k * n];
        r.nextBytes(a);
        r.nextBytes(b);
        float as = 0.02f, bs = 0.03f, ys = 0.5f;
        int za = 130, zb = 120, zy = 128;
        try (OpHarness h = new OpHarness()) {
            Tensor y = h.run1(new QLinearMatMul(), node("QLinearMatMul", 8), 10,
                    Tensor.of(DType.UINT8, a, m, k), Tensor.scalar(as), Tensor.of(DType.UINT8, new byte[] {(byte) za}),
                    Tensor.of(DType.UINT8, b, k, n), Tensor.scalar(bs), Tensor.of(DType.UINT8, new byte[] {(byte) zb}),
                    Tensor.scalar(ys), Tensor.of(DType.UINT8, new byte[] {(byte) zy}));
            byte[] got = y.toByteArray();
            int exact = 0;
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double real = 0;
                for (int kk = 0; kk < k; kk++) real += ((a[i * k + kk] & 0xFF) - za) * as * (double) (((b[kk * n + j] & 0xFF) - zb) * bs);
                long expected = Math.max(0, Math.min(255, Math.round(Math.rint(real / ys)) + zy));
                long actual = got[i * n + j] & 0xFF;
                assertTrue(Math.abs(expected - actual) <= 1, "(" + i + "," + j + ") expected " + expected + " got " + actual);
                if (expected == actual) exact++;
            }
            assertTrue(exact >= m * n - 1, "exact matches " + exact + " of " + m * n);
        }
    }

    @Test
    void qlinearConvMatchesDequantizeFloatQuantize() {
        Random r = new Random(12);
        int c = 2, hgt = 5, wid = 6, outC = 3;
        byte[] x = new byte[c * hgt * wid], w = new byte[outC * c * 9];
        r.nextBytes(x);
        r.nextBytes(w);
        float xs = 0.05f, ys = 0.7f;
        float[] ws = {0.01f, 0.02f, 0.03f};
        byte[] zw = {0, 0, 0};
        int[] bias = {100, -50, 7};
        Node n = Node.builder("QLinearConv").inputs("x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b").outputs("y")
                .attribute("pads", new long[] {1, 1, 1, 1}).attribute("strides", new long[] {2, 1}).build();
        try (OpHarness h = new OpHarness()) {
            Tensor y = h.run1(new QLinearConv(), n, 10, Tensor.of(DType.INT8, x, 1, c, hgt, wid), Tensor.scalar(xs),
                    Tensor.of(DType.INT8, new byte[] {3}), Tensor.of(DType.INT8, w, outC, c, 3, 3), Tensor.of(ws, 3),
                    Tensor.of(DType.INT8, zw, 3), Tensor.scalar(ys), Tensor.of(DType.INT8, new byte[] {-5}), Tensor.of(bias, 3));
            assertEquals(List.of(1L, 3L, 3L, 6L), java.util.Arrays.stream(y.shape().dims()).boxed().toList());
            byte[] got = y.toByteArray();
            for (int m = 0; m < outC; m++) for (int oh = 0; oh < 3; oh++) for (int ow = 0; ow < 6; ow++) {
                double real = bias[m] * (double) xs * ws[m];
                for (int ch = 0; ch < c; ch++) for (int kh = 0; kh < 3; kh++) for (int kw = 0; kw < 3; kw++) {
                    int ih = oh * 2 - 1 + kh, iw = ow - 1 + kw;
                    if (ih < 0 || ih >= hgt || iw < 0 || iw >= wid) continue;
                    real += (x[(ch * hgt + ih) * wid + iw] - 3) * (double) xs * (w[((m * c + ch) * 3 + kh) * 3 + kw] * (double) ws[m]);
                }
                long expected = Math.max(-128, Math.min(127, (long) Math.rint(real / ys) - 5));
                assertTrue(Math.abs(expected - got[(m * 3 + oh) * 6 + ow]) <= 1, "m" + m + " " + oh + "," + ow);
            }
        }
    }
}
