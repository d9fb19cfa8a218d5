package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.kernels.JavaKernelsOnly;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Java kernels that split work over a 2-thread session keep each split call's arguments in a
 * range-body object per calling thread: several threads running the same session at once must
 * each get their own results, equal to those of the session's runs one at a time.
 */
class SplitKernelsConcurrencyTest {
    private static final int CALLERS = 3;
    private static final int RUNS_PER_CALLER = 12;
    /**
     * Not 0: a vector reduction compiled by C2 may add its lanes in another order than the
     * interpreter did for the reference runs (seen: 1 ulp in attention). Ranges run on another
     * caller's data would differ by far more: the inputs of the callers differ by about 0.1.
     */
    private static final float TOLERANCE = 1e-4f;

    @Test
    void concurrentRunsOfSplitJavaKernelsMatchRunsOneAtATime() throws Exception {
        for (Model m : List.of(SteadyStateModels.convBlock(), SteadyStateModels.attention(), SteadyStateModels.rowOps(),
                SteadyStateModels.normRows(), SteadyStateModels.conv3d())) {
            JavaKernelsOnly.call(() -> {
                checkConcurrentRuns(m);
                return null;
            });
        }
    }

    private static void checkConcurrentRuns(Model m) {
        SessionOptions twoThreads = SessionOptions.builder().engine("native").threads(2).build();
        List<Tensor> inputs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        try (Session s = Edgerun.session(m, twoThreads)) {
            int count = (int) SteadyStateModels.inputShape(m).elementCount();
            for (int i = 0; i < CALLERS; i++) {
                Tensor x = Tensor.of(SteadyStateModels.values(count, 30 + i), SteadyStateModels.inputShape(m).dims());
                inputs.add(x);
                expected.add(outputOf(s, x));
            }
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                int caller = c;
                done.add(callers.submit(() -> {
                    for (int r = 0; r < RUNS_PER_CALLER; r++) {
                        int which = (caller + r) % CALLERS; // callers run different inputs at the same time
                        assertArrayEquals(expected.get(which), outputOf(s, inputs.get(which)), TOLERANCE,
                                m.graph().name() + ": caller " + caller + ", run " + r + ", input " + which);
                    }
                }));
            }
            for (Future<?> f : done) f.get();
        } catch (Exception e) {
            throw new AssertionError(m.graph().name() + ": " + e, e);
        } finally {
            callers.shutdownNow();
            inputs.forEach(Tensor::close);
        }
    }

    private static float[] outputOf(Session s, Tensor x) {
        try (RunResult r = s.run(Map.of("x", x))) {
            return r.get("y").toFloatArray();
        }
    }
}
