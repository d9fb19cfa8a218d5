package dev.edgerun.devices;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.onnx.TensorProtos;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * ONNX's backend node conformance tests ({@code $EDGERUN_SHARED/testdata/onnx-node}) through the
 * ONNX Runtime engine. Failures that are ONNX Runtime's own (opsets newer than it implements,
 * kernels it lacks, types its Java API cannot create) are listed, grouped by reason, in
 * {@code ort-node-expected-failures.txt}; any other failure fails this test, and so does a listed
 * test that passes (the list must stay true). Tests whose inputs or outputs are sequences, maps or
 * optionals are skipped: an Edgerun run takes and returns tensors only.
 */
class OnnxNodeSuiteOnOrtTest {
    private static final String EXPECTED_FAILURES = "/ort-node-expected-failures.txt";
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-5;
    private static final SessionOptions ORT = SessionOptions.builder().engine("onnxruntime").threads(1).build();

    /** Marks a listed failure that depends on the machine (a locale, say): passing is no error. */
    private static final String MAY_PASS = "[may pass]";

    private static final Set<String> EXPECTED = new LinkedHashSet<>();
    private static final Set<String> EXPECTED_MAY_PASS = new LinkedHashSet<>();

    static {
        loadExpectedFailures();
    }

    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final AtomicInteger FAILED_AS_EXPECTED = new AtomicInteger();
    private static final AtomicInteger FAILED_UNEXPECTEDLY = new AtomicInteger();
    private static final AtomicInteger SKIPPED = new AtomicInteger();

    private sealed interface Outcome {
        record Pass() implements Outcome {}
        record Fail(String reason) implements Outcome {}
        record Skip(String reason) implements Outcome {}
    }

    @TestFactory
    Stream<DynamicTest> nodeSuite() {
        List<Path> tests = SharedData.modelFolders(SharedData.folder("testdata/onnx-node"));
        assertFalse(tests.isEmpty(), "no tests in the onnx-node folder");
        return tests.stream().map(t -> DynamicTest.dynamicTest(t.getFileName().toString(), () -> judge(t)));
    }

    private static void judge(Path test) {
        String name = test.getFileName().toString();
        boolean listed = EXPECTED.contains(name);
        switch (attempt(test)) {
            case Outcome.Skip s -> {
                SKIPPED.incrementAndGet();
                Assumptions.abort(s.reason());
            }
            case Outcome.Pass p -> {
                PASSED.incrementAndGet();
                if (listed && !EXPECTED_MAY_PASS.contains(name)) {
                    fail(name + " passes now: remove it from " + EXPECTED_FAILURES);
                }
            }
            case Outcome.Fail f -> {
                if (listed) {
                    FAILED_AS_EXPECTED.incrementAndGet();
                } else {
                    FAILED_UNEXPECTEDLY.incrementAndGet();
                    fail(name + ": " + f.reason());
                }
            }
        }
    }

    private static Outcome attempt(Path test) {
        try (Model model = OnnxModels.read(test.resolve("model.onnx"))) {
            String nonTensor = nonTensorValue(model);
            if (nonTensor != null) return new Outcome.Skip(nonTensor);
            try (Session session = Edgerun.session(model, ORT)) {
                for (Path set : SharedData.dataSets(test)) {
                    String mismatch = runDataSet(session, set);
                    if (mismatch != null) return new Outcome.Fail(set.getFileName() + ": " + mismatch);
                }
            }
            return new Outcome.Pass();
        } catch (EdgerunException e) {
            return new Outcome.Fail(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static String nonTensorValue(Model model) {
        for (List<Value> vs : List.of(model.graph().inputs(), model.graph().outputs())) {
            for (Value v : vs) {
                if (!v.isTensor()) return "'" + v.name() + "' is " + v.type() + "; Edgerun runs take and return tensors";
            }
        }
        return null;
    }

    /** Null when every output matches; else what differs. */
    private static String runDataSet(Session session, Path set) {
        List<Value> inputs = session.inputs();
        List<Path> inputFiles = SharedData.valueFiles(set, "input");
        List<Path> outputFiles = SharedData.valueFiles(set, "output");
        Map<String, Tensor> feed = new LinkedHashMap<>();
        try {
            for (int i = 0; i < inputFiles.size() && i < inputs.size(); i++) {
                feed.put(inputs.get(i).name(), TensorProtos.read(inputFiles.get(i)));
            }
            try (RunResult result = session.run(feed)) {
                if (result.size() != outputFiles.size()) {
                    return result.size() + " outputs, expected " + outputFiles.size();
                }
                for (int i = 0; i < outputFiles.size(); i++) {
                    try (Tensor expected = TensorProtos.read(outputFiles.get(i))) {
                        String m = Closeness.mismatch(expected, result.get(i), RTOL, ATOL);
                        if (m != null) return "output " + result.names().get(i) + ": " + m;
                    }
                }
            }
            return null;
        } finally {
            feed.values().forEach(Tensor::close);
        }
    }

    private static void loadExpectedFailures() {
        var in = OnnxNodeSuiteOnOrtTest.class.getResourceAsStream(EXPECTED_FAILURES);
        if (in == null) throw new IllegalStateException(EXPECTED_FAILURES + " is missing from the test resources");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                int hash = line.indexOf('#');
                String name = (hash >= 0 ? line.substring(0, hash) : line).strip();
                if (name.isEmpty()) continue;
                EXPECTED.add(name);
                if (hash >= 0 && line.substring(hash).contains(MAY_PASS)) EXPECTED_MAY_PASS.add(name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void summary() {
        int total = PASSED.get() + FAILED_AS_EXPECTED.get() + FAILED_UNEXPECTEDLY.get() + SKIPPED.get();
        if (total == 0) return;
        System.out.printf("ONNX node suite on %s %s: %d passed, %d failed (%d listed as ONNX Runtime's own, %d unexpected),"
                        + " %d skipped, of %d%n", OnnxRuntimeEngine.NAME, OnnxRuntimeEngine.ortVersion(), PASSED.get(),
                FAILED_AS_EXPECTED.get() + FAILED_UNEXPECTEDLY.get(), FAILED_AS_EXPECTED.get(),
                FAILED_UNEXPECTEDLY.get(), SKIPPED.get(), total);
    }
}
