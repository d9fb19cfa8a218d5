package dev.edgerun.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.io.Npy;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Keras 3 test models (../shared/testdata/keras/keras3-generated), each as {@code .keras} and
 * {@code .h5}, imported and run on each engine against the outputs Keras itself computed
 * (rtol 1e-4, atol 1e-5), and once more after a round trip through ONNX bytes on ONNX Runtime.
 */
class KerasReferenceTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    static Stream<Arguments> cases() throws IOException {
        Path root = sharedKeras3();
        List<Arguments> r = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                for (String file : List.of("model.keras", "model.h5")) {
                    for (String engine : List.of("onnxruntime", "native", "onnxruntime-roundtrip")) {
                        r.add(Arguments.of(d.getFileName() + "/" + file, engine));
                    }
                }
            }
        }
        return r.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void matchesKeras(String modelFile, String engine) {
        Path file = sharedKeras3().resolve(modelFile);
        try (Model imported = Edgerun.load(file)) {
            if (engine.endsWith("-roundtrip")) {
                try (Model reread = OnnxModels.read(OnnxModels.write(imported))) {
                    check(file, reread, "onnxruntime");
                }
            } else {
                check(file, imported, engine);
            }
        }
    }

    private static void check(Path file, Model model, String engineName) {
        Engine engine = engineOrSkip(engineName);
        Session session;
        try {
            session = engine.compile(model, SessionOptions.builder().engine(engineName).threads(1).build());
        } catch (UnsupportedOperatorException e) {
            assumeTrue(!engineName.equals("native"), "native engine lacks operators for " + file + ": " + e.getMessage());
            throw e;
        }
        Path dir = file.getParent();
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        List<Value> declared = model.graph().requiredInputs();
        try (session) {
            for (int i = 0; i < declared.size(); i++) inputs.put(declared.get(i).name(), Npy.read(dir.resolve("input_" + i + ".npy")));
            try (RunResult out = session.run(inputs)) {
                assertEquals(model.graph().outputs().size(), out.size(), "output count");
                for (int i = 0; i < out.size(); i++) {
                    try (Tensor expected = Npy.read(dir.resolve("output_" + i + ".npy"))) {
                        Tensor actual = out.get(model.graph().outputs().get(i).name());
                        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), "shape of output " + i);
                        compare(expected.toFloatArray(), actual.toFloatArray(), file + " output " + i + " on " + engineName);
                    }
                }
            }
        } finally {
            inputs.values().forEach(Tensor::close);
        }
    }

    static void compare(float[] expected, float[] actual, String what) {
        double worst = 0;
        int bad = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            double excess = err - (ATOL + RTOL * Math.abs(expected[i]));
            if (excess > worst || Double.isNaN(actual[i])) {
                worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : excess;
                bad = i;
            }
        }
        if (bad >= 0) {
            fail(what + ": element " + bad + " is " + actual[bad] + ", Keras computed " + expected[bad]
                    + " (tolerance atol " + ATOL + " + rtol " + RTOL + ")");
        }
    }

    private static Engine engineOrSkip(String name) {
        for (Engine e : Edgerun.engines()) {
            if (e.name().equals(name)) {
                assumeTrue(e.availability().available(), "engine " + name + " not available here: " + e.availability().detail());
                return e;
            }
        }
        assumeTrue(false, "engine " + name + " is not on the class path");
        return null;
    }

    static Path sharedKeras3() {
        String s = System.getProperty("EDGERUN_SHARED", System.getenv().getOrDefault("EDGERUN_SHARED", "../shared"));
        Path p = Path.of(s, "testdata", "keras", "keras3-generated");
        assumeTrue(Files.isDirectory(p), "shared Keras test data not found at " + p.toAbsolutePath() + "; skipping");
        return p;
    }
}
