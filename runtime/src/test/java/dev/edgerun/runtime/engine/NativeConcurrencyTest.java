package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** One session, several threads, many runs: every output equals the single-threaded one. */
class NativeConcurrencyTest {

    /** y = Scale2(Relu(x)) + Relu(x), with a symbolic batch so that runs of different shapes mix. */
    private static Model model() {
        Shape shape = Shape.symbolic(new long[] {-1, 300}, new String[] {"batch", null});
        Graph g = Graph.builder("conc").input(Value.tensor("x", DType.FLOAT, shape))
                .node(NativeExecutorTest.op("Relu", List.of("x"), List.of("r")))
                .node(NativeExecutorTest.op("Scale2", List.of("r"), List.of("s")))
                .node(NativeExecutorTest.op("Add", List.of("s", "r"), List.of("y")))
                .output(new Value("y", null, "")).build();
        return NativeExecutorTest.model(g);
    }

    @Test
    void concurrentRunsMatchSingleThreadedRuns() throws Exception {
        checkConcurrentRuns(6);
    }

    /** More input shapes than the plan cache holds: plans are evicted while other threads use them. */
    @Test
    void plansEvictedWhileInUseKeepWorking() throws Exception {
        checkConcurrentRuns(13);
    }

    private static void checkConcurrentRuns(int inputs) throws Exception {
        List<Tensor> xs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        SessionOptions twoThreads = SessionOptions.builder().threads(2).build();
        try (NativeSession s = NativeExecutorTest.session(model(), twoThreads)) {
            for (int i = 0; i < inputs; i++) {
                int batch = inputs <= 6 ? 1 + i % 3 : 1 + i;
                Tensor x = Tensor.of(NativeExecutorTest.floats(batch * 300, i), batch, 300);
                xs.add(x);
                try (RunResult r = s.run(Map.of("x", x))) {
                    expected.add(r.get("y").toFloatArray());
                }
            }
            ExecutorService callers = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int seed = t;
                    done.add(callers.submit(() -> {
                        for (int k = 0; k < 300; k++) {
                            int i = (k * 7 + seed) % inputs;
                            try (RunResult r = s.run(Map.of("x", xs.get(i)))) {
                                assertArrayEquals(expected.get(i), r.get("y").toFloatArray());
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get();
            } finally {
                callers.shutdown();
            }
        } finally {
            for (Tensor x : xs) x.close();
        }
    }
}
