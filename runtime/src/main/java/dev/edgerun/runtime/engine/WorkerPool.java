package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.ops.RunContext.RangeBody;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A session's fixed pool of intra-op threads. {@link #parallelFor} splits a range into parts that
 * the calling thread and idle workers take in turn; the caller always works too, so a busy pool
 * (several concurrent runs) only means less help, never a deadlock. Idle workers block, never spin.
 *
 * <p>Jobs are handed over through a small array of slots with compare-and-set, not a blocking
 * queue: a contended lock enqueues a node on the caller's heap, and a run must allocate nothing.
 */
final class WorkerPool implements AutoCloseable {
    private final int threads;
    private final Thread[] workers;
    /** Posted jobs, one entry per helper wanted; a worker takes an entry by setting it to null. */
    private final AtomicReferenceArray<Job> posted;
    private final ThreadLocal<Job> jobs = ThreadLocal.withInitial(Job::new);
    /** Calls that offered parts to workers (a wake-up costs microseconds: tiny kernels should make none). */
    private final AtomicLong handOffs = new AtomicLong();
    private volatile boolean closed;

    WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        this.workers = new Thread[this.threads - 1];
        this.posted = new AtomicReferenceArray<>(Math.max(1, workers.length * 4));
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

    /** How many {@link #parallelFor} calls so far offered parts to the workers. */
    long handOffs() {
        return handOffs.get();
    }

    void parallelFor(int n, RangeBody body) {
        if (n <= 0) return;
        Job job = workers.length == 0 || n == 1 ? null : jobs.get();
        if (job == null || job.body != null) { // no helpers, or called from inside a range of this thread's job
            body.run(0, n);
            return;
        }
        int parts = Math.min(n, threads * 4);
        job.awaitWorkersGone();
        job.start(body, n, parts);
        int helpers = Math.min(workers.length, parts - 1);
        int offered = 0;
        for (int i = 0; i < helpers && post(job); i++) offered++;
        if (offered > 0) {
            handOffs.incrementAndGet();
            wakeWorkers();
        }
        job.work();
        while (job.remaining.get() > 0) LockSupport.park(job);
        withdraw(job); // entries no worker took: none will start late
        Throwable failure = job.finish();
        if (failure != null) rethrow(failure);
    }

    /** Puts one entry of the job in a free slot; false when every slot is taken (the caller works alone). */
    private boolean post(Job job) {
        job.holders.incrementAndGet();
        for (int i = 0; i < posted.length(); i++) {
            if (posted.get(i) == null && posted.compareAndSet(i, null, job)) return true;
        }
        job.holders.decrementAndGet();
        return false;
    }

    private void withdraw(Job job) {
        for (int i = 0; i < posted.length(); i++) {
            if (posted.get(i) == job && posted.compareAndSet(i, job, null)) job.holders.decrementAndGet();
        }
    }

    private Job take() {
        for (int i = 0; i < posted.length(); i++) {
            Job job = posted.get(i);
            if (job != null && posted.compareAndSet(i, job, null)) return job;
        }
        return null;
    }

    /** An unpark of a worker that is not parked leaves it a permit, so a post is never missed. */
    private void wakeWorkers() {
        for (Thread t : workers) LockSupport.unpark(t);
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }

    private void workLoop() {
        while (!closed) {
            Job job = take();
            if (job == null) {
                LockSupport.park(this);
                continue;
            }
            job.work();
            job.holders.decrementAndGet();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        wakeWorkers();
    }

    /**
     * The parallelFor calls of one thread, one at a time: parts are claimed with an atomic counter
     * and the last part wakes the caller. Reused from call to call so that a run allocates nothing.
     */
    private static final class Job {
        final Thread caller = Thread.currentThread();
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining = new AtomicInteger();
        /** Queue entries of this job plus workers inside {@link #work}. */
        final AtomicInteger holders = new AtomicInteger();
        RangeBody body; // null between calls
        int n;
        int parts;
        volatile Throwable failure;

        /**
         * Waits until no worker is still inside {@link #work} from this job's previous call (one
         * that took an entry and found every part done): checked at the start of the next call, not
         * at the end of the last, so that a call returns as soon as its parts are done.
         */
        void awaitWorkersGone() {
            while (holders.get() > 0) Thread.yield();
        }

        void start(RangeBody body, int n, int parts) {
            this.body = body;
            this.n = n;
            this.parts = parts;
            next.set(0);
            remaining.set(parts); // the atomic writes publish the fields above to the workers
        }

        Throwable finish() {
            Throwable t = failure;
            failure = null;
            body = null;
            return t;
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
