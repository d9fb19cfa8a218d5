package dev.edgerun.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** MatMul and LayerNormalization with the neighbours the transformer rewrites fold into them, against plain loops. */
class FusedNnOpsTest {
    private final Random rnd = new Random(5);

    private float[] random(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextFloat() * 2 - 1;
        return r;
    }

    /** A stored [3,2,4] read as [2,3,4]; B stored [5,4] read as [4,5]; Y [2,3,5] written as [3,2,5]; /2 then softmax. */
    @Test
    void matMulReadsAndWritesThroughFoldedTransposes() {
        float[] a = random(3 * 2 * 4), b = random(5 * 4);
        Node node = Node.builder("MatMul").inputs("a", "b").outputs("y")
                .attribute(MatMul.PERM_A_ATTR, new long[] {1, 0, 2}).attribute(MatMul.PERM_B_ATTR, new long[] {1, 0})
                .attribute(MatMul.PERM_Y_ATTR, new long[] {1, 0, 2}).attribute(MatMul.DIVISOR_ATTR, 2f)
                .attribute(MatMul.SOFTMAX_ATTR, 1L).build();
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(a, 3, 2, 4); Tensor tb = Tensor.of(b, 5, 4)) {
            Tensor y = h.run1(new MatMul(), node, 13, ta, tb);
            assertArrayEquals(new long[] {3, 2, 5}, y.shape().dims());
            for (int t = 0; t < 2; t++) for (int i = 0; i < 3; i++) {
                double[] row = new double[5];
                double total = 0;
                for (int j = 0; j < 5; j++) {
                    float s = 0;
                    for (int k = 0; k < 4; k++) s += a[(i * 2 + t) * 4 + k] * b[j * 4 + k];
                    row[j] = s / 2f;
                    total += Math.exp(row[j]);
                }
                for (int j = 0; j < 5; j++) {
                    assertEquals(Math.exp(row[j]) / total, y.getFloat((i * 2 + t) * 5 + j), 1e-6, "(" + t + "," + i + "," + j + ")");
                }
            }
        }
    }

    @Test
    void matMulAppliesAFoldedGeluAfterTheBias() {
        float[] a = random(6 * 7), w = random(7 * 9), bias = random(9);
        Node node = Node.builder("MatMul").inputs("a", "w", "bias").outputs("y")
                .attribute(MatMul.FUSED_BIAS_ATTR, 1L).attribute(MatMul.GELU_ATTR, 1L).build();
        try (OpHarness h = new OpHarness(); Tensor ta = Tensor.of(a, 2, 3, 7); Tensor tw = Tensor.of(w, 7, 9);
             Tensor tb = Tensor.of(bias, 9)) {
            Tensor y = (Tensor) h.run(new MatMul(), node, 13, true, ta, tw, tb).get(0);
            for (int r = 0; r < 6; r++) for (int j = 0; j < 9; j++) {
                float s = bias[j];
                for (int k = 0; k < 7; k++) s += a[r * 7 + k] * w[k * 9 + j];
                float want = F32UnaryOp.GELU.apply(s, 0f, 0f);
                assertEquals(want, y.getFloat(r * 9 + j), 1e-5f, "(" + r + "," + j + ")");
            }
        }
    }

    /** X = in0 [2,3,8] + in3 [8] (broadcast), normalized over the last axis. */
    @Test
    void layerNormalizationAddsAFoldedResidualFirst() {
        int n = 8;
        float[] x = random(6 * n), skip = random(n), scale = random(n), bias = random(n);
        Node node = Node.builder("LayerNormalization").inputs("x", "scale", "bias", "skip").outputs("y")
                .attribute("axis", -1L).attribute("epsilon", 1e-5f).attribute(LayerNormalization.SKIP_ATTR, 1L).build();
        try (OpHarness h = new OpHarness(); Tensor tx = Tensor.of(x, 2, 3, n); Tensor ts = Tensor.of(scale, n);
             Tensor tb = Tensor.of(bias, n); Tensor tk = Tensor.of(skip, n)) {
            Tensor y = h.run1(new LayerNormalization(), node, 17, tx, ts, tb, tk);
            assertArrayEquals(new long[] {2, 3, n}, y.shape().dims());
            for (int r = 0; r < 6; r++) {
                double mean = 0, var = 0;
                for (int j = 0; j < n; j++) mean += x[r * n + j] + skip[j];
                mean /= n;
                for (int j = 0; j < n; j++) var += Math.pow(x[r * n + j] + skip[j] - mean, 2);
                double inv = 1 / Math.sqrt(var / n + 1e-5);
                for (int j = 0; j < n; j++) {
                    double want = (x[r * n + j] + skip[j] - mean) * inv * scale[j] + bias[j];
                    assertEquals(want, y.getFloat(r * n + j), 1e-5, "(" + r + "," + j + ")");
                }
            }
        }
    }
}
