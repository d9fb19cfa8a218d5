package dev.edgerun.runtime.ops.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.DnnlLstmKernel;
import dev.edgerun.runtime.ops.misc.OpHarness;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LSTMs whose hidden size is a whole number of vectors, the ones that run as fused steps
 * ({@code LstmCell.step}): against a double-precision reference of the ONNX formulas, and against
 * the same node with a clip too wide to cut anything, which takes the general per-element cell,
 * for the variants (reverse, bidirectional, sequence_lens, initial states, layout 1).
 */
class LstmFusedStepsTest {
    @BeforeEach
    void javaLstm() {
        System.setProperty(DnnlLstmKernel.PROPERTY, "off"); // the nodes oneDNN could run stay on the Java kernel
    }

    @AfterEach
    void restore() {
        System.clearProperty(DnnlLstmKernel.PROPERTY);
    }

    private static final int SEQ = 7, BATCH = 2, IN = 5;
    /** A clip no gate reaches: the general cell, same results. */
    private static final String WIDE_CLIP = "1e30";

    private static int hidden(int vectors) {
        return vectors * (Vectors.F32 == null ? 4 : Vectors.F32.length());
    }

    private static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextFloat() * 2 - 1) * scale;
        return v;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Y[t][b][j] of one forward direction from zero states (x[t][b][k], w[4H][IN], r[4H][H], bias[8H]). */
    private static float[] reference(float[] x, float[] w, float[] r, float[] bias, int hs) {
        float[] y = new float[SEQ * BATCH * hs];
        for (int b = 0; b < BATCH; b++) {
            double[] h = new double[hs], c = new double[hs];
            for (int t = 0; t < SEQ; t++) {
                double[] a = new double[4 * hs];
                for (int row = 0; row < 4 * hs; row++) {
                    double s = bias[row] + bias[4 * hs + row];
                    for (int k = 0; k < IN; k++) s += x[(t * BATCH + b) * IN + k] * w[row * IN + k];
                    for (int k = 0; k < hs; k++) s += h[k] * r[row * hs + k];
                    a[row] = s;
                }
                for (int j = 0; j < hs; j++) {
                    c[j] = sigmoid(a[2 * hs + j]) * c[j] + sigmoid(a[j]) * Math.tanh(a[3 * hs + j]);
                    h[j] = sigmoid(a[hs + j]) * Math.tanh(c[j]);
                    y[(t * BATCH + b) * hs + j] = (float) h[j];
                }
            }
        }
        return y;
    }

    private static Node node(int hs, String... attrs) {
        Node.Builder b = Node.builder("LSTM").inputs("X", "W", "R", "B", "L", "H0", "C0").outputs("Y", "Y_h", "Y_c")
                .attribute("hidden_size", (long) hs);
        for (int i = 0; i < attrs.length; i += 2) {
            switch (attrs[i]) {
                case "layout" -> b.attribute("layout", Long.parseLong(attrs[i + 1]));
                case "clip" -> b.attribute("clip", Float.parseFloat(attrs[i + 1]));
                default -> b.attribute(attrs[i], attrs[i + 1]);
            }
        }
        return b.build();
    }

    /** One, two, three (a block of two and one of one), four and five vectors per gate; weights constant and not. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5})
    void forwardMatchesTheFormulas(int vectors) {
        int hs = hidden(vectors);
        Random rnd = new Random(vectors);
        float scale = (float) (2 / Math.sqrt(hs));
        float[] x = random(rnd, SEQ * BATCH * IN, 1), w = random(rnd, 4 * hs * IN, 1), r = random(rnd, 4 * hs * hs, scale);
        float[] bias = random(rnd, 8 * hs, 0.5f);
        float[] expected = reference(x, w, r, bias, hs);
        for (boolean constant : new boolean[] {true, false}) {
            try (OpHarness h = new OpHarness()) {
                List<Object> out = h.run(new LSTM(), node(hs), 14, constant, Tensor.of(x, SEQ, BATCH, IN),
                        Tensor.of(w, 1, 4 * hs, IN), Tensor.of(r, 1, 4 * hs, hs), Tensor.of(bias, 1, 8 * hs));
                assertArrayEquals(expected, ((Tensor) out.get(0)).toFloatArray(), 2e-5f, "Y, constant weights " + constant);
                float[] yh = ((Tensor) out.get(1)).toFloatArray();
                for (int b = 0; b < BATCH; b++) {
                    for (int j = 0; j < hs; j++) {
                        assertEquals(expected[((SEQ - 1) * BATCH + b) * hs + j], yh[b * hs + j], 2e-5f, "Y_h");
                    }
                }
            }
        }
    }

    /**
     * W and R constant, B given at run time: the row-bias projection takes Wb + Rb summed into scratch
     * per run, where a constant B has them summed once when the node is prepared.
     */
    @Test
    void biasGivenAtRunTimeMatchesTheFormulas() {
        int hs = hidden(4);
        Random rnd = new Random(41);
        float scale = (float) (2 / Math.sqrt(hs));
        float[] x = random(rnd, SEQ * BATCH * IN, 1), w = random(rnd, 4 * hs * IN, 1), r = random(rnd, 4 * hs * hs, scale);
        float[] bias = random(rnd, 8 * hs, 0.5f);
        float[] expected = reference(x, w, r, bias, hs);
        try (OpHarness h = new OpHarness()) {
            List<Object> out = h.run(new LSTM(), node(hs), 14, new boolean[] {false, true, true, false},
                    Tensor.of(x, SEQ, BATCH, IN), Tensor.of(w, 1, 4 * hs, IN), Tensor.of(r, 1, 4 * hs, hs),
                    Tensor.of(bias, 1, 8 * hs));
            assertArrayEquals(expected, ((Tensor) out.get(0)).toFloatArray(), 2e-5f, "Y");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"forward", "reverse", "bidirectional"})
    void directionsWithStatesAndSequenceLensMatchTheGeneralCell(String direction) {
        int hs = hidden(2);
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        Random rnd = new Random(direction.hashCode());
        float scale = (float) (2 / Math.sqrt(hs));
        Object[] inputs = {
            Tensor.of(random(rnd, SEQ * BATCH * IN, 1), SEQ, BATCH, IN),
            Tensor.of(random(rnd, dirs * 4 * hs * IN, 1), dirs, 4 * hs, IN),
            Tensor.of(random(rnd, dirs * 4 * hs * hs, scale), dirs, 4 * hs, hs),
            Tensor.of(random(rnd, dirs * 8 * hs, 0.5f), dirs, 8 * hs),
            Tensor.of(new int[] {SEQ, 3}, BATCH),
            Tensor.of(random(rnd, dirs * BATCH * hs, 1), dirs, BATCH, hs),
            Tensor.of(random(rnd, dirs * BATCH * hs, 1), dirs, BATCH, hs)};
        try (OpHarness h = new OpHarness()) {
            for (boolean constant : new boolean[] {true, false}) {
                List<Object> fused = h.run(new LSTM(), node(hs, "direction", direction), 14, constant, inputs);
                List<Object> general = h.run(new LSTM(), node(hs, "direction", direction, "clip", WIDE_CLIP), 14, constant,
                        inputs);
                for (int o = 0; o < 3; o++) {
                    assertArrayEquals(((Tensor) general.get(o)).toFloatArray(), ((Tensor) fused.get(o)).toFloatArray(), 2e-5f,
                            direction + ", output " + o + ", constant weights " + constant);
                }
            }
        }
    }

    @Test
    void layoutOneMatchesTheGeneralCell() {
        int hs = hidden(1);
        Random rnd = new Random(11);
        Object[] inputs = {
            Tensor.of(random(rnd, BATCH * SEQ * IN, 1), BATCH, SEQ, IN),
            Tensor.of(random(rnd, 4 * hs * IN, 1), 1, 4 * hs, IN),
            Tensor.of(random(rnd, 4 * hs * hs, 0.5f), 1, 4 * hs, hs)};
        try (OpHarness h = new OpHarness()) {
            float[] fused = ((Tensor) h.run(new LSTM(), node(hs, "layout", "1"), 14, true, inputs).get(0)).toFloatArray();
            float[] general = ((Tensor) h.run(new LSTM(), node(hs, "layout", "1", "clip", WIDE_CLIP), 14, true, inputs)
                    .get(0)).toFloatArray();
            assertArrayEquals(general, fused, 2e-5f);
        }
    }
}
