package dev.edgerun.runtime.ops.elementwise;

import java.lang.management.ManagementFactory;

/** Heap bytes a planned kernel allocates per run, measured by the JVM's per-thread counter. */
final class Allocation {
    private Allocation() {}

    /**
     * Warms the kernel up, then returns the fewest bytes allocated per run over five windows of 200
     * runs (the least of several windows, so that a JIT recompilation inside one does not count).
     */
    static long bytesPerRun(NodeRunner r) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) r.rerun();
        long id = Thread.currentThread().threadId();
        long least = Long.MAX_VALUE;
        for (int window = 0; window < 5; window++) {
            long before = bean.getThreadAllocatedBytes(id);
            for (int i = 0; i < 200; i++) r.rerun();
            least = Math.min(least, (bean.getThreadAllocatedBytes(id) - before) / 200);
        }
        return least;
    }
}
