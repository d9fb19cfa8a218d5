package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.JavaKernelsOnly;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast paths of the 8-bit operators through the operator classes: QuantizeLinear and
 * DequantizeLinear per tensor (several thread chunks) and per axis against the element formula of
 * the ONNX spec; QLinearConv with constant parameters (a kernel provider's 8-bit convolution)
 * on the Java kernels against the same node with run-time parameters (the direct integer
 * reference loops).
 */
class Q8FastPathsTest {

    private static Node node(String op, int inputs, long axis) {
        String[] in = new String[inputs];
        for (int i = 0; i < inputs; i++) in[i] = "i" + i;
        return Node.builder(op).inputs(in).outputs("y").attribute("axis", axis).build();
    }

    /** shape [2, 5, 37], quantized along axis 0, 1 or 2 (inner runs of 185, 37 and 1 elements). */
    @ParameterizedTest(name = "axis {0}")
    @ValueSource(ints = {0, 1, 2})
    void perAxisQuantizeAndDequantizeFollowTheFormula(int axis) {
        long[] shape = {2, 5, 37};
        int n = 2 * 5 * 37;
        int axisDim = (int) shape[axis];
        int inner = axis == 0 ? 185 : axis == 1 ? 37 : 1;
        Random rnd = new Random(axis);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (rnd.nextFloat() - 0.5f) * 30;
        x[3] = 0.25f; // a tie for scale 0.5
        float[] scales = new float[axisDim];
        byte[] zeros = new byte[axisDim];
        for (int a = 0; a < axisDim; a++) {
            scales[a] = 0.05f + 0.1f * a;
            zeros[a] = (byte) (120 + a);
        }
        scales[0] = 0.5f;
        try (OpHarness h = new OpHarness()) {
            Tensor q = h.run1(new QuantizeLinear(), node("QuantizeLinear", 3, axis), 13,
                    Tensor.of(x, shape), Tensor.of(scales, axisDim), Tensor.of(DType.UINT8, zeros, axisDim));
            Tensor d = h.run1(new DequantizeLinear(), node("DequantizeLinear", 3, axis), 13,
                    q, Tensor.of(scales, axisDim), Tensor.of(DType.UINT8, zeros, axisDim));
            byte[] qb = q.toByteArray();
            float[] back = d.toFloatArray();
            for (int i = 0; i < n; i++) {
                int a = (i / inner) % axisDim;
                int zp = zeros[a] & 0xFF;
                int expected = (int) Math.max(0, Math.min(255, Math.rint(x[i] / scales[a]) + zp));
                assertEquals(expected, qb[i] & 0xFF, "quantized element " + i);
                assertEquals((float) (expected - zp) * scales[a], back[i], 0f, "dequantized element " + i);
            }
        }
    }

    /** More elements than one thread chunk, so the per-tensor path cuts them into several runs. */
    @Test
    void perTensorQuantizeAndDequantizeOverSeveralChunks() {
        int n = (int) Q8Runs.CHUNK * 2 + 1001;
        float[] x = new float[n];
        Random rnd = new Random(5);
        for (int i = 0; i < n; i++) x[i] = (rnd.nextFloat() - 0.5f) * 40;
        try (OpHarness h = new OpHarness()) {
            Tensor q = h.run1(new QuantizeLinear(), node("QuantizeLinear", 3, 1), 13,
                    Tensor.of(x, n), Tensor.scalar(0.1f), Tensor.of(DType.INT8, new byte[] {-3}));
            Tensor d = h.run1(new DequantizeLinear(), node("DequantizeLinear", 3, 1), 13,
                    q, Tensor.scalar(0.1f), Tensor.of(DType.INT8, new byte[] {-3}));
            byte[] qb = q.toByteArray();
            float[] back = d.toFloatArray();
            for (int i = 0; i < n; i++) {
                int expected = (int) Math.max(-128, Math.min(127, Math.rint(x[i] / 0.1f) - 3));
                assertEquals(expected, qb[i], "quantized element " + i);
                assertEquals((float) (expected + 3) * 0.1f, back[i], 0f, "dequantized element " + i);
            }
        }
    }

    @ParameterizedTest(name = "x signed {0}")
    @ValueSource(booleans = {true, false})
    void qlinearConvWithConstantParametersMatchesTheReferenceLoops(boolean xSigned) {
        Random r = new Random(xSigned ? 1 : 2);
        int c = 8, hgt = 9, wid = 11, outC = 6;
        byte[] x = new byte[2 * c * hgt * wid], w = new byte[outC * c * 9];
        r.nextBytes(x);
        for (int i = 0; i < w.length; i++) w[i] = (byte) (r.nextInt(255) - 127);
        float[] ws = {0.01f, 0.02f, 0.013f, 0.007f, 0.03f, 0.011f};
        int[] bias = {100, -50, 7, 3000, -2000, 0};
        DType xType = xSigned ? DType.INT8 : DType.UINT8;
        Node n = Node.builder("QLinearConv").inputs("x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b").outputs("y")
                .attribute("pads", new long[] {1, 1, 1, 1}).attribute("strides", new long[] {2, 1})
                .attribute(QLinearConv.OUTPUT_MIN_ATTR, 7L).build();
        try (OpHarness h = new OpHarness()) {
            Object[] inputs = {Tensor.of(xType, x, 2, c, hgt, wid), Tensor.scalar(0.05f),
                    Tensor.of(xType, new byte[] {(byte) (xSigned ? 3 : 130)}), Tensor.of(DType.INT8, w, outC, c, 3, 3),
                    Tensor.of(ws, outC), Tensor.of(DType.INT8, new byte[outC], outC), Tensor.scalar(0.37f),
                    Tensor.of(DType.UINT8, new byte[] {5}), Tensor.of(bias, outC)};
            Tensor fast = JavaKernelsOnly.call(() -> (Tensor) h.run(new QLinearConv(), n, 10, true, inputs).get(0));
            Tensor reference = (Tensor) h.run(new QLinearConv(), n, 10, false, inputs).get(0);
            assertEquals(reference.shape(), fast.shape());
            byte[] got = fast.toByteArray();
            assertArrayEquals(reference.toByteArray(), got);
            int above = 0;
            for (byte b : got) if ((b & 0xFF) > 7) above++;
            assertEquals(true, above > got.length / 4, "outputs spread above the fused clamp: " + above);
        }
    }
}
