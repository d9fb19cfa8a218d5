package dev.edgerun.onnx.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.onnx.TestCaseFolder;
import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One native session of a reference model, four calling threads, many runs: every output equals
 * the output of a run made alone on the same session, to within 1e-5 relative. Not bit for bit:
 * Vector API lane reductions ({@code reduceLanes(ADD)}) sum in one order in the C2 intrinsic and in
 * another in the interpreter/C1 fallback, so the last bits of a result change when the JIT
 * compiles a kernel, whichever thread runs it. (Run with
 * {@code -Dedgerun.jvm.flags="--add-modules jdk.incubator.vector -XX:TieredStopAtLevel=1"}, which
 * keeps the fallback, the outputs are bit-identical; that run takes about 7 minutes.) A race on
 * shared buffers would show as errors far above that tolerance.
 */
class NativeModelConcurrencyTest {

    @ParameterizedTest
    @ValueSource(strings = {"kws_dscnn", "kws_lstm", "tiny_transformer"})
    void concurrentRunsMatchRunsMadeAlone(String name) throws Exception {
        Path folder = ConformanceSupport.shared("models").resolve(name);
        assumeTrue(Files.isDirectory(folder), folder + " is absent: skipping");
        TestCaseFolder tc = TestCaseFolder.open(folder);
        int runsPerThread = 15;
        try (Model model = Edgerun.load(tc.modelFile());
             Session session = Edgerun.session(model, SessionOptions.builder().engine("native").threads(2).build())) {
            List<TestCaseFolder.DataSet> sets = tc.readDataSets(model);
            try {
                for (int warm = 0; warm < 10; warm++) {
                    for (TestCaseFolder.DataSet set : sets) outputOf(session, set.inputTensors());
                }
                List<float[]> alone = new ArrayList<>();
                for (TestCaseFolder.DataSet set : sets) alone.add(outputOf(session, set.inputTensors()));
                ExecutorService callers = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        int seed = t;
                        done.add(callers.submit(() -> {
                            for (int k = 0; k < runsPerThread; k++) {
                                int i = (k + seed) % sets.size();
                                assertClose(alone.get(i), outputOf(session, sets.get(i).inputTensors()),
                                        name + " data set " + i + ", run " + k + " of thread " + seed);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) f.get();
                } finally {
                    callers.shutdown();
                }
            } finally {
                sets.forEach(TestCaseFolder.DataSet::close);
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(actual[i] - expected[i]) > 1e-5 * (1 + Math.abs(expected[i]))) {
                fail(what + ": element " + i + " expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    private static float[] outputOf(Session session, Map<String, Tensor> inputs) {
        try (RunResult r = session.run(inputs)) {
            return r.get(0).toFloatArray();
        }
    }
}
