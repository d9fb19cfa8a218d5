package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.util.ArrayList;
import java.util.List;

/** A {@link Parallel} for tests: splits [0, n) into {@code threads} chunks run on fresh threads. */
final class ParallelTestThreads implements Parallel {
    private final int threads;

    ParallelTestThreads(int threads) {
        this.threads = threads;
    }

    @Override
    public void forRange(int n, RunContext.RangeBody body) {
        List<Thread> started = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        int chunk = Math.max(1, (n + threads - 1) / threads);
        for (int from = 0; from < n; from += chunk) {
            int f = from, t = Math.min(n, from + chunk);
            Thread th = new Thread(() -> body.run(f, t));
            th.setUncaughtExceptionHandler((x, e) -> {
                synchronized (failures) {
                    failures.add(e);
                }
            });
            th.start();
            started.add(th);
        }
        for (Thread th : started) {
            try {
                th.join();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        if (!failures.isEmpty()) throw new AssertionError("a range failed", failures.get(0));
    }

    @Override
    public int threads() {
        return threads;
    }
}
