package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs independent planning tasks (one per node: asking oneDNN for its preferred layouts, building
 * a kernel's primitives) on the planning thread and one helper thread at once, for the second core
 * that planning otherwise leaves idle. The helper sees the same {@link KernelSelection#planningWith}
 * thread count as the planning thread, and is joined before {@link #forEach} returns, so nothing
 * planned for runs after it; the first task's failure is rethrown as it was thrown.
 *
 * <p>{@value #PROPERTY}: {@code on} (default) or {@code off} (every task on the planning thread).
 */
final class PlanningHelper {
    static final String PROPERTY = "edgerun.parallelPlanning";
    /** Below this many tasks a helper thread (about 0.1 ms to start) is not worth it. */
    private static final int MIN_TASKS = 4;

    private PlanningHelper() { }

    /** Calls {@code task} once for each of 0 .. {@code count - 1}, in no particular order. */
    static void forEach(int count, IntConsumer task) {
        if (!helps(count)) {
            for (int i = 0; i < count; i++) task.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable work = () -> {
            for (int i = next.getAndIncrement(); i < count && failure.get() == null; i = next.getAndIncrement()) {
                try {
                    task.accept(i);
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                }
            }
        };
        int planned = KernelSelection.plannedThreads();
        Thread helper = new Thread(() -> KernelSelection.planningWith(planned, () -> {
            work.run();
            return null;
        }), "edgerun-planning-helper");
        helper.setDaemon(true);
        helper.start();
        work.run();
        joinUninterruptibly(helper);
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
    }

    private static boolean helps(int count) {
        return count >= MIN_TASKS && Runtime.getRuntime().availableProcessors() > 1
                && !System.getProperty(PROPERTY, "on").trim().equals("off");
    }

    /** Waits for the helper even when interrupted (its tasks must not outlive the plan), keeping the interrupt. */
    private static void joinUninterruptibly(Thread helper) {
        boolean interrupted = false;
        while (true) {
            try {
                helper.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
