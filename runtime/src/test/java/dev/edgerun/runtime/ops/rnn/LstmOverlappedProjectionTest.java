package dev.edgerun.runtime.ops.rnn;

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
import dev.edgerun.runtime.kernels.Vectors;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A forward batch-1 LSTM with constant weights in a 2-thread session, where its input projection
 * runs in chunks beside the steps ({@link ChunkedProjection}), against the same session with
 * {@value LSTM#OVERLAP_PROPERTY} off (the projection whole first) and against a 1-thread session:
 * Y, Y_h and Y_c agree within float rounding (the chunks' GEMM kernels are not the whole one's)
 * over repeated runs, the first runs (oneDNN's LSTM, see {@code ColdStartLstm}) included.
 */
class LstmOverlappedProjectionTest {
    private static final int SEQ = 40, IN = 12;

    @Test
    void twoThreadsWithTheProjectionBesideTheStepsMatchTheWholeProjection() {
        int hs = 2 * (Vectors.F32 == null ? 4 : Vectors.F32.length());
        Random rnd = new Random(5);
        float[] x = random(rnd, SEQ * IN, 1);
        Model model = model(hs, rnd);
        float[][] overlapped = run(model, x, 2, "on"), whole = run(model, x, 2, "off"), one = run(model, x, 1, "on");
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < whole[o].length; i++) {
                assertEquals(whole[o][i], overlapped[o][i], 1e-5f, "output " + o + " [" + i + "], overlapped against whole");
                assertEquals(one[o][i], overlapped[o][i], 1e-5f, "output " + o + " [" + i + "], 2 threads against 1");
            }
        }
    }

    /** Every output of the last of 200 runs, each run's checked against the first steady one. */
    private static float[][] run(Model model, float[] x, int threads, String overlap) {
        String previous = System.getProperty(LSTM.OVERLAP_PROPERTY);
        System.setProperty(LSTM.OVERLAP_PROPERTY, overlap);
        try (Session s = Edgerun.session(model, SessionOptions.builder().engine("native").threads(threads).build());
             Tensor tx = Tensor.of(x, SEQ, 1, IN)) {
            float[][] last = null;
            for (int i = 0; i < 200; i++) {
                try (RunResult r = s.run(Map.of("x", tx))) {
                    float[][] now = {r.get("y").toFloatArray(), r.get("yh").toFloatArray(), r.get("yc").toFloatArray()};
                    if (last != null) {
                        for (int o = 0; o < 3; o++) {
                            for (int j = 0; j < now[o].length; j++) {
                                assertEquals(last[o][j], now[o][j], 1e-5f, "run " + i + ", output " + o + " [" + j + "]");
                            }
                        }
                    }
                    last = now;
                }
            }
            return last;
        } finally {
            if (previous == null) System.clearProperty(LSTM.OVERLAP_PROPERTY);
            else System.setProperty(LSTM.OVERLAP_PROPERTY, previous);
        }
    }

    private static Model model(int hs, Random rnd) {
        float scale = (float) (2 / Math.sqrt(hs));
        Graph g = Graph.builder("lstm")
                .input(Value.tensor("x", DType.FLOAT, Shape.of(SEQ, 1, IN)))
                .initializer("w", Tensor.of(random(rnd, 4 * hs * IN, 1), 1, 4 * hs, IN))
                .initializer("r", Tensor.of(random(rnd, 4 * hs * hs, scale), 1, 4 * hs, hs))
                .initializer("b", Tensor.of(random(rnd, 8 * hs, 0.5f), 1, 8 * hs))
                .node(Node.builder("LSTM").name("lstm").inputs("x", "w", "r", "b").outputs("y", "yh", "yc")
                        .attribute("hidden_size", (long) hs).build())
                .output(new Value("y", null, ""))
                .output(new Value("yh", null, ""))
                .output(new Value("yc", null, ""))
                .build();
        return Model.builder().graph(g).opset(14).build();
    }

    private static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextFloat() * 2 - 1) * scale;
        return v;
    }
}
