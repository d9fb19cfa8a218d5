package dev.edgerun.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.kernels.F32Gemm;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * LayerNormalization and Softmax split rows over threads only from {@link F32Gemm#PARALLEL_MIN_MACS}
 * elements; below and above it a two-thread session gives the one-thread results exactly (rows are
 * computed alike whichever thread runs them).
 */
class RowThreadsTest {

    @Test
    void splitsRowsOnlyFromTheGemmThreshold() {
        long min = F32Gemm.PARALLEL_MIN_MACS;
        assertEquals(1, LayerNormalization.rowThreads(2, 32 * 256, min), "tiny_transformer's 32x256 stays on one thread");
        assertEquals(1, LayerNormalization.rowThreads(2, min - 1, min));
        assertEquals(2, LayerNormalization.rowThreads(2, min, min));
        assertEquals(1, LayerNormalization.rowThreads(1, 4 * min, min));
    }

    @Test
    void twoThreadsMatchOneBelowTheThreshold() {
        compareThreads(32, 256);
    }

    @Test
    void twoThreadsMatchOneAboveTheThreshold() {
        compareThreads(1024, 1024); // exactly PARALLEL_MIN_MACS elements: the threaded path
    }

    private static void compareThreads(int rows, int n) {
        Random rnd = new Random(rows * 31L + n);
        float[] x = new float[rows * n], scale = new float[n], bias = new float[n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 8 - 4;
        for (int i = 0; i < n; i++) {
            scale[i] = 0.5f + rnd.nextFloat();
            bias[i] = rnd.nextFloat() - 0.5f;
        }
        Model model = model(rows, n);
        try (Tensor tx = Tensor.of(x, rows, n); Tensor ts = Tensor.of(scale, n); Tensor tb = Tensor.of(bias, n);
             Session one = Edgerun.session(model, SessionOptions.builder().threads(1).build());
             Session two = Edgerun.session(model, SessionOptions.builder().threads(2).build());
             RunResult r1 = one.run(Map.of("x", tx, "scale", ts, "bias", tb));
             RunResult r2 = two.run(Map.of("x", tx, "scale", ts, "bias", tb))) {
            float[] norm = r1.get("norm").toFloatArray(), soft = r1.get("soft").toFloatArray();
            assertClose(norm, r2.get("norm").toFloatArray(), "LayerNormalization, 2 threads against 1");
            assertClose(soft, r2.get("soft").toFloatArray(), "Softmax, 2 threads against 1");
            for (int r = 0; r < rows; r += Math.max(1, rows / 7)) {
                double sum = 0, mean = 0;
                for (int j = 0; j < n; j++) {
                    sum += soft[r * n + j];
                    mean += (norm[r * n + j] - bias[j]) / scale[j];
                }
                assertEquals(1.0, sum, 1e-4, "softmax row " + r + " sums to 1");
                assertEquals(0.0, mean / n, 1e-4, "normalized row " + r + " has zero mean");
            }
        }
    }

    /**
     * Equal within 1e-5 relative: a worker thread may still run a row's vector reduction interpreted
     * while the caller's is compiled, and the two sum the lanes in a different order (bit equality
     * held or failed with the order the test classes ran in). A row the split skipped or wrote twice
     * is off by far more.
     */
    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    private static Model model(int rows, int n) {
        Graph g = Graph.builder("rows")
                .input(Value.tensor("x", DType.FLOAT, Shape.of(rows, n)))
                .input(Value.tensor("scale", DType.FLOAT, Shape.of(n)))
                .input(Value.tensor("bias", DType.FLOAT, Shape.of(n)))
                .node(Node.builder("LayerNormalization").name("ln").inputs("x", "scale", "bias").outputs("norm").build())
                .node(Node.builder("Softmax").name("sm").inputs("x").outputs("soft").build())
                .output(new Value("norm", null, ""))
                .output(new Value("soft", null, ""))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }
}
