package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ops.RunContext.RangeBody;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A session's fixed pool of intra-op threads. {@link #parallelFor} splits a range into parts that
 * the calling thread and idle workers take in turn; the caller always works too, so a busy pool
 * (several concurrent runs) only means less help, never a deadlock. Idle workers block, never spin.
 */
final class WorkerPool implements AutoCloseable {
    private final int threads;
    private final Thread[] workers;
    private final ArrayBlockingQueue<Job> queue;
    private volatile boolean closed;

    WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        this.queue = new ArrayBlockingQueue<>(Math.max(1, workers.length * 64));
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workLoop, "edgerun-native-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    void parallelFor(int n, RangeBody body) {
        if (n <= 0) return;
        if (workers.length == 0 || n == 1) {
            body.run(0, n);
            return;
        }
        int parts = Math.min(n, threads * 4);
        Job job = new Job(body, n, parts, Thread.currentThread());
        int helpers = Math.min(workers.length, parts - 1);
        for (int i = 0; i < helpers; i++) {
            if (!queue.offer(job)) break;
        }
        job.work();
        while (job.remaining.get() > 0) LockSupport.park(job);
        if (job.failure != null) rethrow(job.failure);
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    private void workLoop() {
        while (!closed) {
            Job job;
            try {
                job = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            job.work();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Thread t : workers) t.interrupt();
    }

    /** One parallelFor call: parts are claimed with an atomic counter; the last part wakes the caller. */
    private static final class Job {
        final RangeBody body;
        final int n;
        final int parts;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        volatile Throwable failure;

        Job(RangeBody body, int n, int parts, Thread caller) {
            this.body = body;
            this.n = n;
            this.parts = parts;
            this.caller = caller;
            this.remaining = new AtomicInteger(parts);
        }

        void work() {
            int p;
            while ((p = next.getAndIncrement()) < parts) {
                int from = (int) ((long) n * p / parts);
                int to = (int) ((long) n * (p + 1) / parts);
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                }
                if (remaining.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }
}
