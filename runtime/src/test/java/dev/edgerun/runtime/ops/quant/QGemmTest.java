package dev.edgerun.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.kernels.Q8Quantize;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * QGemm against its definition computed here in long integers: {@code float(acc + C) * (sa * sb[j])}
 * for float output, that requantized for 8-bit output; transB 1 and 0, uint8 and int8 weights with
 * zero points per column, per-column and per-tensor scales, with and without C, at 1 and 2 threads
 * (the product large enough to split its columns), several runs (the first on the scalar loop);
 * symmetric weights (zero points 0, or 128 for uint8) take the path that scales in the kernel's loop.
 */
class QGemmTest {

    @ParameterizedTest
    @CsvSource({"true,true,true,false,1,false", "true,false,false,true,2,false", "false,true,true,true,2,false",
                "false,false,true,false,1,false", "true,true,false,false,2,false", "false,true,false,true,1,false",
                "true,true,true,false,1,true", "true,false,true,false,2,true", "false,true,false,false,2,true"})
    void matchesTheIntegerDefinition(boolean transB, boolean wSigned, boolean perColumn, boolean quantizedOutput, int threads,
                                     boolean symmetric) {
        int m = 2, k = 520, n = 300;
        Random random = new Random(transB ? 3 : 4);
        byte[] a = bytes(random, m * k), w = bytes(random, k * n);
        int za = 7;
        int[] zw = new int[n];
        // symmetric: int8 zero points 0, uint8 128 (the scaled sums in the kernel's loop)
        for (int j = 0; j < n; j++) zw[j] = symmetric ? (wSigned ? 0 : 128) : wSigned ? random.nextInt(21) - 10 : 120 + random.nextInt(16);
        float sa = 0.02f, sy = 40f;
        float[] sb = new float[perColumn ? n : 1];
        for (int j = 0; j < sb.length; j++) sb[j] = 0.001f * (1 + random.nextFloat());
        int[] c = new int[n];
        for (int j = 0; j < n; j++) c[j] = random.nextInt(20001) - 10000;
        DType wType = wSigned ? DType.INT8 : DType.UINT8;
        List<Tensor> owned = new ArrayList<>();
        Graph.Builder g = Graph.builder("qgemm");
        g.input(Value.tensor("a", DType.UINT8, m, k));
        g.initializer("a_s", own(owned, Tensor.of(new float[] {sa})));
        g.initializer("a_z", own(owned, Tensor.of(DType.UINT8, new byte[] {(byte) za})));
        g.initializer("b", own(owned, Tensor.of(wType, transposeIf(transB, w, k, n), transB ? new long[] {n, k} : new long[] {k, n})));
        g.initializer("b_s", own(owned, perColumn ? Tensor.of(sb, n) : Tensor.of(sb)));
        byte[] zwBytes = new byte[n];
        for (int j = 0; j < n; j++) zwBytes[j] = (byte) zw[j];
        g.initializer("b_z", own(owned, Tensor.of(wType, zwBytes, n)));
        g.initializer("c", own(owned, Tensor.of(c, n)));
        List<String> inputs = new ArrayList<>(List.of("a", "a_s", "a_z", "b", "b_s", "b_z", "c"));
        if (quantizedOutput) {
            g.initializer("y_s", own(owned, Tensor.of(new float[] {sy})));
            g.initializer("y_z", own(owned, Tensor.of(DType.INT8, new byte[] {(byte) -5})));
            inputs.addAll(List.of("y_s", "y_z"));
        }
        g.node(Node.builder("QGemm").domain(QLinearAdd.DOMAIN).name("q").inputs(inputs).outputs("y")
                .attribute("transB", transB ? 1L : 0L).build());
        g.output(Value.tensor("y", quantizedOutput ? DType.INT8 : DType.FLOAT, m, n));
        try (Model model = Model.builder().graph(g.build()).opset(17).owner(() -> owned.forEach(Tensor::close)).build();
             Session s = Edgerun.session(model, SessionOptions.builder().engine("native").threads(threads).build());
             Tensor input = Tensor.of(DType.UINT8, a, m, k)) {
            for (int run = 0; run < 3; run++) {
                try (RunResult r = s.run(Map.of("a", input))) {
                    Tensor y = r.get("y");
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            long acc = c[j];
                            for (int p = 0; p < k; p++) {
                                int wv = wSigned ? w[p * n + j] : w[p * n + j] & 0xFF;
                                acc += (long) ((a[i * k + p] & 0xFF) - za) * (wv - zw[j]);
                            }
                            float scale = sa * sb[perColumn ? j : 0];
                            String at = "run " + run + " y[" + i + "," + j + "]";
                            if (quantizedOutput) {
                                assertEquals(Q8Quantize.requantize((int) acc, scale / sy, -5, -128, 127), y.getAsLong(i * n + j), at);
                            } else {
                                assertEquals((float) acc * scale, y.getFloat(i * n + j), at);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@code w} given as [k][n]: itself, or [n][k] when {@code transB}. */
    private static byte[] transposeIf(boolean transB, byte[] w, int k, int n) {
        if (!transB) return w;
        byte[] t = new byte[w.length];
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) t[j * k + p] = w[p * n + j];
        return t;
    }

    private static byte[] bytes(Random random, int count) {
        byte[] b = new byte[count];
        random.nextBytes(b);
        return b;
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }
}
