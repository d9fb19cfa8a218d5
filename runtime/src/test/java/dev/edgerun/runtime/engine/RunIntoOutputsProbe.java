package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.lang.management.ManagementFactory;
import java.util.Map;

/**
 * Prints the heap bytes per {@link Session#run(Map, Map)} of planned models at 1 and 2 threads, one
 * line "model bytes" each, counting every thread of the JVM (the session's workers run ranges too).
 * Run in a JVM of its own by {@link RunIntoOutputsTest}, as the element-wise
 * {@code AllocationProbe}: the Vector API compiles to allocation-free code only while a JVM uses one
 * vector width. With the argument {@code split} it probes models whose Java kernels split their
 * work over two threads (the JVM is then started with {@code -Dedgerun.kernels=java}).
 */
public final class RunIntoOutputsProbe {
    private static final long BUDGET_NANOS = 10_000_000_000L;

    private RunIntoOutputsProbe() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("split")) {
            // Above the threading thresholds: the range bodies of the split kernels must be reused, not made per call.
            probe("conv2", SteadyStateModels.convBlock(), 2);
            probe("attention2", SteadyStateModels.attention(), 2);
            probe("rows2", SteadyStateModels.rowOps(), 2);
            // 1 M elements per run: fewer warm-up runs, still enough for the row loops (called per row) to be
            // compiled; the kernel's run method, then compiled without escape analysis, would show a lambda per call.
            probe("norm2", SteadyStateModels.normRows(), 2, 2_000);
            return;
        }
        probe("mlp", SteadyStateModels.mlp(), 1);
        probe("dscnn", SteadyStateModels.dscnn(), 1);
        // Two threads: kernels under the threading thresholds must not allocate a Parallel adapter per call.
        probe("mlp2", SteadyStateModels.mlp(), 2);
        probe("dscnn2", SteadyStateModels.dscnn(), 2);
    }

    private static void probe(String name, Model model, int threads) {
        probe(name, model, threads, 20_000);
    }

    private static void probe(String name, Model model, int threads, int warmUpRuns) {
        SessionOptions options = SessionOptions.builder().engine("native").threads(threads).build();
        try (Session s = Edgerun.session(model, options);
             Tensor x = Tensor.of(SteadyStateModels.values((int) SteadyStateModels.inputShape(model).elementCount(), 3),
                     SteadyStateModels.inputShape(model).dims());
             Tensor y = Tensor.allocate(s.outputs().get(0).dtype(), s.outputs().get(0).shape())) {
            Map<String, Tensor> in = Map.of(s.inputs().get(0).name(), x);
            Map<String, Tensor> out = Map.of(s.outputs().get(0).name(), y);
            System.out.println(name + " " + bytesPerRun(s, in, out, warmUpRuns));
        }
    }

    /**
     * The fewest bytes per run, on all threads, over windows of 200 runs after the warm-up runs,
     * until a window allocates nothing or 10 s pass.
     */
    private static long bytesPerRun(Session s, Map<String, Tensor> in, Map<String, Tensor> out, int warmUpRuns) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < warmUpRuns; i++) s.run(in, out);
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + BUDGET_NANOS;
        while (least > 0 && System.nanoTime() < deadline) {
            long before = bean.getTotalThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) s.run(in, out);
            least = Math.min(least, (bean.getTotalThreadAllocatedBytes() - before) / 200);
        }
        return least;
    }
}
