package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A nearest Resize between two oneDNN convolutions (conv_autoencoder's decoder) runs as oneDNN's
 * resampling on values kept in 16-channel blocks, and gives the outputs of the same model on the
 * Java kernels; a Resize whose picks differ from oneDNN's (3x with round_prefer_floor) or whose
 * channels do not fill blocks stays NCHW and still gives them.
 */
class OneDnnBlockedResizeTest {
    private String previousKernels;

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previousKernels = System.getProperty(KernelSelection.PROPERTY);
    }

    @AfterEach
    void restoreProperties() {
        if (previousKernels == null) System.clearProperty(KernelSelection.PROPERTY);
        else System.setProperty(KernelSelection.PROPERTY, previousKernels);
        KernelSelection.resetDefaults();
    }

    @ParameterizedTest(name = "{0} ch, x{1}, {2}/{3}, {4} threads: blocked {5}")
    @CsvSource({
            "32, 2, asymmetric, floor, 1, true",
            "32, 2, half_pixel, round_prefer_floor, 2, true",
            "16, 3, asymmetric, floor, 1, true",
            "16, 3, asymmetric, round_prefer_floor, 1, false", // picks round(o / 3): not oneDNN's floor
            "24, 2, asymmetric, floor, 2, false"})             // 24 channels: padded blocks
    void resizeBetweenConvolutions(int channels, int factor, String coordinates, String nearest, int threads,
                                   boolean blocked) {
        Model model = decoder(channels, factor, coordinates, nearest);
        Random rnd = new Random(13);
        float[] x = new float[8 * 6 * 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();

        Outputs onednn = run(model, x, threads, "onednn");
        Outputs java = run(model, x, threads, "java");

        assertEquals(blocked, internal(onednn.plan, "a") && internal(onednn.plan, "r"), onednn.plan);
        assertFalse(java.plan.contains("[internal layout"), java.plan);
        assertEquals(java.y.length, onednn.y.length);
        for (int i = 0; i < java.y.length; i++) {
            float tol = 1e-4f + 1e-4f * Math.abs(java.y[i]);
            assertTrue(Math.abs(java.y[i] - onednn.y[i]) <= tol, "y[" + i + "]: Java " + java.y[i] + ", oneDNN " + onednn.y[i]);
        }
    }

    /** x[1,8,6,5] -> A (3x3 8->C) Relu -> a -> Resize (nearest, factor along H and W) -> r -> B (3x3 C->16) -> y. */
    private static Model decoder(int channels, int factor, String coordinates, String nearest) {
        Random rnd = new Random(5);
        Graph.Builder g = Graph.builder("decoder").input(Value.tensor("x", DType.FLOAT, 1, 8, 6, 5));
        conv(g, rnd, "A", "x", "a0", channels, 8);
        g.node("Relu", List.of("a0"), List.of("a"));
        g.initializer("scales", Tensor.of(new float[] {1, 1, factor, factor}, 4));
        g.node("Resize", List.of("a", "", "scales"), List.of("r"), Attribute.of("mode", "nearest"),
                Attribute.of("coordinate_transformation_mode", coordinates), Attribute.of("nearest_mode", nearest));
        conv(g, rnd, "B", "r", "y", 16, channels);
        g.output(Value.tensor("y", DType.FLOAT, 1, 16, 6 * factor, 5 * factor));
        return Model.builder().graph(g.build()).opset(17).build();
    }

    private static void conv(Graph.Builder g, Random rnd, String name, String in, String out, int m, int c) {
        float[] w = new float[m * c * 9];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() / Math.sqrt(c * 9));
        float[] b = new float[m];
        for (int i = 0; i < m; i++) b[i] = (float) rnd.nextGaussian() * 0.1f;
        g.initializer(name + ".w", Tensor.of(w, m, c, 3, 3));
        g.initializer(name + ".b", Tensor.of(b, m));
        g.node("Conv", List.of(in, name + ".w", name + ".b"), List.of(out),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
    }

    private record Outputs(float[] y, String plan) { }

    private static Outputs run(Model model, float[] x, int threads, String kernels) {
        System.setProperty(KernelSelection.PROPERTY, kernels);
        KernelSelection.resetDefaults();
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (NativeSession s = (NativeSession) Edgerun.session(model, options); Tensor in = Tensor.of(x, 1, 8, 6, 5)) {
            float[] y = null;
            for (int run = 0; run < 2; run++) { // the second run reuses the frame, with stale blocked buffers
                try (RunResult r = s.run(Map.of("x", in))) {
                    y = r.get("y").toFloatArray();
                }
            }
            return new Outputs(y, s.explainPlan());
        }
    }

    /** Whether the plan keeps value {@code name} in an internal layout. */
    private static boolean internal(String plan, String name) {
        for (String line : plan.lines().toList()) {
            int at = line.indexOf("-> " + name + ":");
            if (at >= 0) return line.indexOf("[internal layout", at) >= 0;
        }
        throw new AssertionError("no step writes " + name + ":\n" + plan);
    }
}
