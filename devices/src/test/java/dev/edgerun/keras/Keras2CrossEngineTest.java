package dev.edgerun.keras;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.InvalidInputException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The 451 real tf.keras 2 files of ../shared/testdata/keras/keras2-tfkeras (no saved predictions):
 * each imports or fails with an unsupported-layer error naming the class; each imported model runs
 * on ONNX Runtime, and where the native engine has the operators, both engines agree on the same
 * random inputs.
 */
class Keras2CrossEngineTest {
    private static final double RTOL = 1e-4;
    private static final double ATOL = 1e-5;

    @Test
    void everyFileImportsOrNamesItsUnsupportedLayerAndEnginesAgree() throws IOException {
        Path dir = Path.of(System.getProperty("EDGERUN_SHARED", System.getenv().getOrDefault("EDGERUN_SHARED", "../shared")),
                "testdata", "keras", "keras2-tfkeras");
        assumeTrue(Files.isDirectory(dir), "shared Keras 2 test data not found at " + dir.toAbsolutePath() + "; skipping");
        Engine ort = engine("onnxruntime");
        Engine nat = engine("native");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".h5") || p.toString().endsWith(".hdf5")).sorted().toList();
        }
        int imported = 0, unsupported = 0, ranOrt = 0, agreed = 0, nativeMissing = 0, ortCannotFeed = 0;
        List<String> problems = new ArrayList<>();
        Map<String, Integer> missingOps = new TreeMap<>();
        for (Path f : files) {
            Model m;
            try {
                m = Edgerun.load(f);
            } catch (UnsupportedOperatorException e) {
                unsupported++;
                if (!e.getMessage().contains("keras opset")) problems.add(f.getFileName() + ": " + e.getMessage());
                continue;
            } catch (RuntimeException e) {
                problems.add(f.getFileName() + ": import failed: " + e);
                continue;
            }
            imported++;
            try (m) {
                Map<String, Tensor> inputs = randomInputs(m, new Random(f.getFileName().toString().hashCode()));
                try {
                    Map<String, float[]> a = run(ort, m, inputs);
                    ranOrt++;
                    Map<String, float[]> b;
                    try {
                        b = run(nat, m, inputs);
                    } catch (UnsupportedOperatorException e) {
                        nativeMissing++;
                        for (UnsupportedOperatorException.Miss miss : e.misses()) missingOps.merge(miss.opType(), 1, Integer::sum);
                        continue;
                    }
                    String diff = compare(a, b);
                    if (diff == null) agreed++; else problems.add(f.getFileName() + ": engines disagree: " + diff);
                } catch (InvalidInputException e) {
                    // ONNX Runtime's Java API cannot make tensors of some types (uint16) the Keras input declares
                    if (!e.getMessage().contains("ONNX Runtime's Java API cannot create")) problems.add(f.getFileName() + ": " + e);
                    ortCannotFeed++;
                    System.out.println(f.getFileName() + ": not run: " + e.getMessage());
                } catch (RuntimeException e) {
                    problems.add(f.getFileName() + ": run failed: " + e);
                } finally {
                    inputs.values().forEach(Tensor::close);
                }
            }
        }
        System.out.printf("keras2-tfkeras: %d files, %d imported, %d unsupported layer, %d ran on onnxruntime, %d agree with native,"
                + " %d need operators the native engine lacks %s, %d have inputs ONNX Runtime's Java API cannot take%n",
                files.size(), imported, unsupported, ranOrt, agreed, nativeMissing, missingOps, ortCannotFeed);
        problems.forEach(System.out::println);
        assertEquals(List.of(), problems, problems.size() + " problem(s)");
        assertTrue(imported >= 0.95 * files.size(), imported + " of " + files.size() + " imported, below 95%");
    }

    private static Map<String, float[]> run(Engine engine, Model m, Map<String, Tensor> inputs) {
        try (Session s = engine.compile(m, SessionOptions.builder().engine(engine.name()).threads(1).build());
             RunResult r = s.run(inputs)) {
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String n : r.names()) out.put(n, r.get(n).toFloatArray());
            return out;
        }
    }

    static Map<String, Tensor> randomInputs(Model m, Random rnd) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Value v : m.graph().requiredInputs()) {
            long[] dims = v.shape().dims();
            for (int i = 0; i < dims.length; i++) if (dims[i] < 0) dims[i] = i == 0 ? 2 : 5;
            int n = (int) Shape.of(dims).elementCount();
            Tensor t = Tensor.allocate(v.dtype(), Shape.of(dims));
            for (int i = 0; i < n; i++) {
                if (v.dtype() == DType.FLOAT) t.setFloat(i, rnd.nextFloat() * 2 - 1);
                else if (v.dtype() == DType.INT32) t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, i, rnd.nextInt(3));
                else if (v.dtype() == DType.INT64) t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextInt(3));
                else if (v.dtype() == DType.UINT16) t.data().setAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) rnd.nextInt(3));
            }
            r.put(v.name(), t);
        }
        return r;
    }

    private static String compare(Map<String, float[]> a, Map<String, float[]> b) {
        for (var e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            if (y == null || y.length != x.length) return e.getKey() + ": sizes differ";
            for (int i = 0; i < x.length; i++) {
                if (!(Math.abs(x[i] - y[i]) <= ATOL + RTOL * Math.abs(x[i]))) {
                    return e.getKey() + "[" + i + "]: onnxruntime " + x[i] + ", native " + y[i];
                }
            }
        }
        return null;
    }

    private static Engine engine(String name) {
        Engine e = Edgerun.engine(name);
        assumeTrue(e.availability().available(), name + " not available: " + e.availability().detail());
        return e;
    }
}
