package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.misc.OpHarness;
import dev.edgerun.runtime.ops.rnn.LSTM;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ONNX LSTM nodes on oneDNN's LSTM primitive ({@link DnnlLstmKernel}, forced with
 * {@code edgerun.kernels=onednn}) against the same nodes on the Java LSTM ({@code edgerun.onednn.lstm=off}):
 * directions, batch sizes (Y copied from oneDNN's rows when both D and N exceed 1), initial states
 * given both, one or neither, with and without bias, weights constant and not, outputs wanted or not;
 * and the nodes oneDNN must leave to Java (partial sequence_lens, clip, layout 1).
 */
class DnnlLstmKernelTest {
    private String previousKernels;

    @BeforeEach
    void forceOneDnn() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previousKernels = System.getProperty(KernelSelection.PROPERTY);
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
    }

    @AfterEach
    void restore() {
        if (previousKernels == null) System.clearProperty(KernelSelection.PROPERTY);
        else System.setProperty(KernelSelection.PROPERTY, previousKernels);
        System.clearProperty(DnnlLstmKernel.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @ParameterizedTest(name = "{0} T={1} N={2} I={3} H={4} states {5} bias {6} constant {7}")
    @CsvSource({
            "forward,       49, 1, 40, 64, none, true,  true",  // kws_lstm's node
            "forward,       5,  3, 7,  5,  hc,   true,  false",
            "reverse,       6,  2, 4,  8,  hc,   true,  true",
            "reverse,       4,  1, 3,  16, h,    false, false",
            "bidirectional, 5,  2, 6,  8,  h,    true,  true",  // Y through oneDNN's rows
            "bidirectional, 3,  3, 5,  5,  c,    true,  false",
            "bidirectional, 7,  1, 4,  12, hc,   false, true",  // Y in place
            "forward,       1,  4, 9,  32, c,    true,  true"})
    void matchesTheJavaLstm(String direction, int seq, int batch, int in, int hidden, String states, boolean bias,
                            boolean constant) {
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        Random rnd = new Random(seq * 31 + batch * 7 + hidden);
        float scale = (float) (2 / Math.sqrt(hidden));
        Object[] inputs = {
            Tensor.of(random(rnd, seq * batch * in, 1), seq, batch, in),
            Tensor.of(random(rnd, dirs * 4 * hidden * in, 1), dirs, 4 * hidden, in),
            Tensor.of(random(rnd, dirs * 4 * hidden * hidden, scale), dirs, 4 * hidden, hidden),
            bias ? Tensor.of(random(rnd, dirs * 8 * hidden, 0.5f), dirs, 8 * hidden) : null,
            null,
            states.contains("h") ? Tensor.of(random(rnd, dirs * batch * hidden, 1), dirs, batch, hidden) : null,
            states.contains("c") ? Tensor.of(random(rnd, dirs * batch * hidden, 1), dirs, batch, hidden) : null};
        Node node = node(hidden, direction, "Y", "Y_h", "Y_c");
        List<Object> expected = runJava(node, constant, inputs);
        List<Object> actual = runOneDnn(node, constant, inputs);
        for (int o = 0; o < 3; o++) {
            assertArrayEquals(((Tensor) expected.get(o)).toFloatArray(), ((Tensor) actual.get(o)).toFloatArray(), 2e-5f,
                    "output " + o);
        }
    }

    /** Outputs not wanted: Y alone, Y_h alone (Y and Y_c to scratch), Y_c alone. */
    @ParameterizedTest
    @CsvSource({"Y, '', ''", "'', Y_h, ''", "'', '', Y_c"})
    void someOutputs(String y, String yh, String yc) {
        int hidden = 8, seq = 4, batch = 2, in = 3;
        Random rnd = new Random(5);
        Object[] inputs = {
            Tensor.of(random(rnd, seq * batch * in, 1), seq, batch, in),
            Tensor.of(random(rnd, 2 * 4 * hidden * in, 1), 2, 4 * hidden, in),
            Tensor.of(random(rnd, 2 * 4 * hidden * hidden, 0.5f), 2, 4 * hidden, hidden),
            Tensor.of(random(rnd, 2 * 8 * hidden, 0.5f), 2, 8 * hidden)};
        Node node = node(hidden, "bidirectional", y, yh, yc);
        List<Object> expected = runJava(node, true, inputs);
        List<Object> actual = runOneDnn(node, true, inputs);
        for (int o = 0; o < 3; o++) {
            if (expected.get(o) == null) {
                assertNull(actual.get(o), "output " + o);
                continue;
            }
            assertArrayEquals(((Tensor) expected.get(o)).toFloatArray(), ((Tensor) actual.get(o)).toFloatArray(), 2e-5f,
                    "output " + o);
        }
    }

    /** A caller's X in heap memory: the first run, oneDNN's otherwise, goes to the Java LSTM instead of failing. */
    @Test
    void heapInputRunsTheJavaLstm() {
        int hidden = 8, seq = 4, batch = 2, in = 3;
        Random rnd = new Random(11);
        float[] x = random(rnd, seq * batch * in, 1);
        Tensor w = Tensor.of(random(rnd, 4 * hidden * in, 1), 1, 4 * hidden, in);
        Tensor r = Tensor.of(random(rnd, 4 * hidden * hidden, 0.5f), 1, 4 * hidden, hidden);
        Tensor b = Tensor.of(random(rnd, 8 * hidden, 0.5f), 1, 8 * hidden);
        Tensor heapX = Tensor.wrap(DType.FLOAT, Shape.of(seq, batch, in), MemorySegment.ofArray(x.clone()));
        Node node = node(hidden, "forward", "Y", "Y_h", "Y_c");
        List<Object> expected = runJava(node, true, new Object[] {Tensor.of(x, seq, batch, in), w, r, b});
        List<Object> actual = runOneDnn(node, true, new Object[] {heapX, w, r, b});
        for (int o = 0; o < 3; o++) {
            assertArrayEquals(((Tensor) expected.get(o)).toFloatArray(), ((Tensor) actual.get(o)).toFloatArray(), 0f,
                    "output " + o);
        }
    }

    /** sequence_lens of T for every item runs on oneDNN; a shorter one, a clip or layout 1 on Java. */
    @Test
    void whatOneDnnLeavesToJava() {
        int hidden = 8, seq = 5, batch = 2, in = 3;
        Random rnd = new Random(9);
        Tensor x = Tensor.of(random(rnd, seq * batch * in, 1), seq, batch, in);
        Tensor w = Tensor.of(random(rnd, 4 * hidden * in, 1), 1, 4 * hidden, in);
        Tensor r = Tensor.of(random(rnd, 4 * hidden * hidden, 0.5f), 1, 4 * hidden, hidden);
        Tensor b = Tensor.of(random(rnd, 8 * hidden, 0.5f), 1, 8 * hidden);
        Node plain = node(hidden, "forward", "Y", "Y_h", "Y_c");
        assertTrue(kernelOf(plain, x, w, r, b, Tensor.of(new int[] {seq, seq}, batch)).startsWith("oneDNN LSTM"));
        assertTrue(kernelOf(plain, x, w, r, b, Tensor.of(new int[] {seq, 3}, batch)).equals("LstmKernel"),
                "partial sequence_lens");
        Node clipped = Node.builder("LSTM").inputs("X", "W", "R", "B").outputs("Y").attribute("hidden_size", (long) hidden)
                .attribute("clip", 3f).build();
        assertTrue(kernelOf(clipped, x, w, r, b).equals("LstmKernel"), "clip");
    }

    /** What the LSTM operator prepared for {@code node}: "oneDNN LSTM ..." or the Java kernel's class. */
    private static String kernelOf(Node node, Object... inputs) {
        List<String> seen = new ArrayList<>();
        Operator probe = ctx -> {
            Kernel k = new LSTM().prepare(ctx);
            seen.add(k.toString().startsWith("oneDNN") ? k.toString() : k.getClass().getSimpleName());
            return k;
        };
        try (OpHarness h = new OpHarness()) {
            h.run(probe, node, 14, true, inputs);
        }
        return seen.get(0);
    }

    private static List<Object> runJava(Node node, boolean constant, Object[] inputs) {
        System.setProperty(DnnlLstmKernel.PROPERTY, "off");
        try {
            return copies(node, constant, inputs, false);
        } finally {
            System.clearProperty(DnnlLstmKernel.PROPERTY);
        }
    }

    private static List<Object> runOneDnn(Node node, boolean constant, Object[] inputs) {
        return copies(node, constant, inputs, true);
    }

    /** Runs the node and returns its outputs as new tensors (the harness closes its own). */
    private static List<Object> copies(Node node, boolean constant, Object[] inputs, boolean wantOneDnn) {
        List<String> kinds = new ArrayList<>();
        Operator probe = ctx -> {
            Kernel k = new LSTM().prepare(ctx);
            kinds.add(k.toString());
            return k;
        };
        List<Object> out = new ArrayList<>();
        try (OpHarness h = new OpHarness()) {
            for (Object o : h.run(probe, node, 14, constant, inputs)) {
                out.add(o == null ? null : Tensor.of(((Tensor) o).toFloatArray(), ((Tensor) o).shape().dims()));
            }
        }
        assertEquals(wantOneDnn, kinds.get(0).startsWith("oneDNN LSTM"), kinds.get(0));
        return out;
    }

    private static Node node(int hidden, String direction, String y, String yh, String yc) {
        Node.Builder b = Node.builder("LSTM").inputs("X", "W", "R", "B", "L", "H0", "C0").outputs(y, yh, yc)
                .attribute("hidden_size", (long) hidden);
        return b.attribute("direction", direction).build();
    }

    private static float[] random(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (r.nextFloat() * 2 - 1) * scale;
        return v;
    }
}
