package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pooling operators planned with oneDNN in use ({@code edgerun.kernels=auto}) give the Java
 * kernels' results, on a native input (oneDNN runs) and on a heap input (the Java kernel runs).
 */
class OneDnnPoolingOperatorsTest {
    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
    }

    @AfterEach
    void restoreDefaults() {
        System.clearProperty(KernelSelection.PROPERTY);
        KernelSelection.resetDefaults();
    }

    @Test
    void maxPoolWithCeilModeAndPads() {
        check("MaxPool", new long[] {1, 3, 9, 9}, new long[] {1, 3, 5, 5}, Attribute.of("kernel_shape", new long[] {3, 3}),
                Attribute.of("strides", new long[] {2, 2}), Attribute.of("pads", new long[] {1, 1, 0, 0}),
                Attribute.of("ceil_mode", 1L));
    }

    @Test
    void averagePoolCountingPads() {
        check("AveragePool", new long[] {2, 5, 8, 8}, new long[] {2, 5, 4, 4}, Attribute.of("kernel_shape", new long[] {3, 3}),
                Attribute.of("strides", new long[] {2, 2}), Attribute.of("pads", new long[] {1, 1, 1, 1}),
                Attribute.of("count_include_pad", 1L));
    }

    @Test
    void globalPools() {
        check("GlobalAveragePool", new long[] {1, 20, 6, 6}, new long[] {1, 20, 1, 1});
        check("GlobalMaxPool", new long[] {1, 20, 6, 6}, new long[] {1, 20, 1, 1});
    }

    private static void check(String op, long[] x, long[] y, Attribute... attributes) {
        Graph.Builder g = Graph.builder(op).input(Value.tensor("x", DType.FLOAT, x));
        g.node(op, List.of("x"), List.of("y"), attributes);
        Model model = Model.builder().graph(g.output(Value.tensor("y", DType.FLOAT, y)).build()).opset(17).build();
        float[] input = new float[(int) Shape.of(x).elementCount()];
        Random r = new Random(7);
        for (int i = 0; i < input.length; i++) input[i] = (float) r.nextGaussian();
        float[] java = run(model, "java", Tensor.of(input, x));
        float[] native_ = run(model, "auto", Tensor.of(input, x));
        float[] heap = run(model, "auto", Tensor.wrap(DType.FLOAT, Shape.of(x), MemorySegment.ofArray(input.clone())));
        for (int i = 0; i < java.length; i++) {
            assertEquals(java[i], native_[i], 1e-5f, op + " on native memory, element " + i);
            assertEquals(java[i], heap[i], 1e-5f, op + " on heap memory, element " + i);
        }
    }

    private static float[] run(Model model, String kernels, Tensor input) {
        System.setProperty(KernelSelection.PROPERTY, kernels);
        KernelSelection.resetDefaults();
        SessionOptions options = SessionOptions.builder().engine("native").threads(1).build();
        try (Session s = Edgerun.session(model, options); input; RunResult result = s.run(Map.of("x", input))) {
            return result.get("y").toFloatArray();
        }
    }
}
