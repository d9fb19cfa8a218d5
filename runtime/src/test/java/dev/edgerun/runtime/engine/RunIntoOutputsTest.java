package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Session#run(Map, Map)}: same results as {@code run(Map)}, checked outputs, no heap allocation. */
class RunIntoOutputsTest {
    private static final SessionOptions OPTIONS = SessionOptions.builder().engine("native").threads(1).build();

    @Test
    void writesTheSameValuesAsRun() {
        for (Model m : List.of(SteadyStateModels.mlp(), SteadyStateModels.dscnn())) {
            try (Session s = Edgerun.session(m, OPTIONS);
                 Tensor x = input(m);
                 Tensor y = Tensor.allocate(DType.FLOAT, s.outputs().get(0).shape());
                 RunResult r = s.run(Map.of("x", x))) {
                s.run(Map.of("x", x), Map.of("y", y));
                assertArrayEquals(r.get("y").toFloatArray(), y.toFloatArray(), 0f, m.graph().name());
            }
        }
    }

    @Test
    void defaultImplementationRunsAndCopies() {
        Model m = SteadyStateModels.mlp();
        try (Session native_ = Edgerun.session(m, OPTIONS);
             Tensor x = input(m);
             Tensor y = Tensor.allocate(DType.FLOAT, 1, 10);
             RunResult r = native_.run(Map.of("x", x))) {
            Session plain = new RunOnly(native_);
            plain.run(Map.of("x", x), Map.of("y", y));
            assertArrayEquals(r.get("y").toFloatArray(), y.toFloatArray(), 0f);
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> plain.run(Map.of("x", x), Map.of("y", Tensor.allocate(DType.FLOAT, 1, 11))));
            assertTrue(e.getMessage().contains("expected shape [1, 10], given [1, 11]"), e.getMessage());
        }
    }

    @Test
    void rejectsWrongOutputsNamingExpectedAndGiven() {
        Model m = SteadyStateModels.mlp();
        try (Session s = Edgerun.session(m, OPTIONS);
             Tensor x = input(m);
             Tensor wrongShape = Tensor.allocate(DType.FLOAT, 10);
             Tensor wrongType = Tensor.allocate(DType.DOUBLE, 1, 10);
             Tensor right = Tensor.allocate(DType.FLOAT, 1, 10)) {
            String shape = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("x", x), Map.of("y", wrongShape))).getMessage();
            assertTrue(shape.contains("'y'") && shape.contains("expected shape [1, 10], given [10]"), shape);
            String type = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("x", x), Map.of("y", wrongType))).getMessage();
            assertTrue(type.contains("expected dtype float, given double"), type);
            String name = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("x", x), Map.of("z", right))).getMessage();
            assertTrue(name.contains("unknown output 'z'") && name.contains("[y]"), name);
            String input = assertThrows(InvalidInputException.class,
                    () -> s.run(Map.of("x", right), Map.of("y", right))).getMessage();
            assertTrue(input.contains("expected shape [1, 64], given [1, 10]"), input);
        }
    }

    @Test
    void plannedRunsAllocateNothingOnTheHeap() throws IOException, InterruptedException {
        assertProbeAllocatesNothing(List.of(), List.of(), List.of("mlp", "dscnn", "mlp2", "dscnn2"));
    }

    /** Java kernels above their threading thresholds at 2 threads: convolutions, GEMV head, attention products, pooling, element-wise, normalization and softmax rows. */
    @Test
    void splitJavaKernelsAllocateNothingOnTheHeap() throws IOException, InterruptedException {
        assertProbeAllocatesNothing(List.of("-Dedgerun.kernels=java"), List.of("split"), List.of("conv2", "attention2", "rows2", "norm2"));
    }

    /** Runs {@link RunIntoOutputsProbe} in a JVM of its own and requires 0 bytes per run for each of {@code cases}. */
    private static void assertProbeAllocatesNothing(List<String> jvmOptions, List<String> probeArgs, List<String> cases)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-modules");
        command.add("jdk.incubator.vector");
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(RunIntoOutputsProbe.class.getName());
        command.addAll(probeArgs);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), output);
        int lines = 0;
        for (String line : output.split("\n")) {
            String[] parts = line.trim().split(" ");
            if (parts.length != 2 || !cases.contains(parts[0])) continue;
            assertEquals("0", parts[1], parts[0] + " allocates " + parts[1] + " bytes per run; probe output:\n" + output);
            lines++;
        }
        assertEquals(cases.size(), lines, output);
    }

    private static Tensor input(Model m) {
        return Tensor.of(SteadyStateModels.values((int) SteadyStateModels.inputShape(m).elementCount(), 3),
                SteadyStateModels.inputShape(m).dims());
    }

    /** A session with only {@code run(Map)}, to exercise the default {@code run(Map, Map)}. */
    private record RunOnly(Session inner) implements Session {
        public String engineName() { return inner.engineName(); }
        public String description() { return inner.description(); }
        public List<Value> inputs() { return inner.inputs(); }
        public List<Value> outputs() { return inner.outputs(); }
        public RunResult run(Map<String, Tensor> inputs) { return inner.run(inputs); }
        public void close() {}
    }
}
