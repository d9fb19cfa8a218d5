package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.engine.NativeSession;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The planner builds the oneDNN convolutions of a chain whose values stay blocked on a helper
 * thread as well as on its own (edgerun.parallelPlanning): the plan and the outputs are the same as
 * with every kernel built on the planning thread.
 */
class ParallelPlanningTest {
    private static final String PARALLEL = "edgerun.parallelPlanning";
    private String previousKernels;
    private String previousParallel;

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previousKernels = System.getProperty(KernelSelection.PROPERTY);
        previousParallel = System.getProperty(PARALLEL);
    }

    @AfterEach
    void restoreProperties() {
        restore(KernelSelection.PROPERTY, previousKernels);
        restore(PARALLEL, previousParallel);
        KernelSelection.resetDefaults();
    }

    /** x[1,16,12,12] -> eight 3x3 convolutions 16->16 with ReLU, each value between them read by the next one only. */
    private static Model chain() {
        Random rnd = new Random(13);
        Graph.Builder g = Graph.builder("chain").input(Value.tensor("x", DType.FLOAT, 1, 16, 12, 12));
        String in = "x";
        for (int layer = 0; layer < 8; layer++) {
            float[] w = new float[16 * 16 * 9];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() / 12);
            g.initializer("w" + layer, Tensor.of(w, 16, 16, 3, 3));
            g.node("Conv", List.of(in, "w" + layer), List.of("c" + layer),
                    Attribute.of("pads", new long[] {1, 1, 1, 1}));
            String out = layer == 7 ? "y" : "r" + layer;
            g.node("Relu", List.of("c" + layer), List.of(out));
            in = out;
        }
        g.output(Value.tensor("y", DType.FLOAT, 1, 16, 12, 12));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void helperBuildsTheSamePlanAndOutputs(int threads) {
        float[] x = new float[16 * 12 * 12];
        Random rnd = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

        Outcome parallel = run(x, threads, "on");
        Outcome sequential = run(x, threads, "off");

        assertTrue(parallel.plan.contains("[internal layout"), "the chain should stay blocked:\n" + parallel.plan);
        assertEquals(sequential.plan, parallel.plan);
        assertArrayEquals(sequential.y, parallel.y);
    }

    private record Outcome(float[] y, String plan) { }

    private static Outcome run(float[] x, int threads, String parallel) {
        System.setProperty(KernelSelection.PROPERTY, "onednn");
        System.setProperty(PARALLEL, parallel);
        KernelSelection.resetDefaults();
        Model model = chain();
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (NativeSession s = (NativeSession) Edgerun.session(model, options); Tensor in = Tensor.of(x, 1, 16, 12, 12)) {
            float[] y = null;
            for (int run = 0; run < 2; run++) {
                try (RunResult r = s.run(Map.of("x", in))) {
                    y = r.get("y").toFloatArray();
                }
            }
            return new Outcome(y, s.explainPlan());
        }
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
