package dev.edgerun.runtime.ops.elementwise;

import java.lang.management.ManagementFactory;

/** Heap bytes a planned kernel allocates per run, measured by the JVM's per-thread counter. */
final class Allocation {
    private static final long BUDGET_NANOS = 10_000_000_000L;

    private Allocation() {}

    /**
     * Warms the kernel up, then returns the fewest bytes allocated per run over windows of 200 runs,
     * measuring until a window allocates nothing or 10 s have passed: until the JIT has compiled the
     * Vector API calls they allocate, and on a loaded machine that can take a while.
     */
    static long bytesPerRun(NodeRunner r) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) r.rerun();
        long id = Thread.currentThread().threadId();
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + BUDGET_NANOS;
        while (least > 0 && System.nanoTime() < deadline) {
            long before = bean.getThreadAllocatedBytes(id);
            for (int i = 0; i < 200; i++) r.rerun();
            least = Math.min(least, (bean.getThreadAllocatedBytes(id) - before) / 200);
        }
        return least;
    }
}
