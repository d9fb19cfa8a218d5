package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.kernels.MachineLoad;
import dev.edgerun.runtime.ops.RunContext.RangeBody;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A session's fixed pool of intra-op threads. {@link #parallelFor} splits a range into parts that
 * the calling thread and idle workers take in turn; the caller always works too, so a busy pool
 * (several concurrent runs) only means less help, never a deadlock.
 *
 * <p>Between the parallel regions of one run, the hand-over should cost no wake-up of a sleeping
 * thread (an unpark and the wake-up of a parked thread cost tens of microseconds, twice per call,
 * against kernels that often take less). So a worker that finishes a part, and a caller waiting for
 * its parts, first spin for at most {@link #SPIN_NANOS} ({@code -Dedgerun.spinMicros}: auto, the
 * default, or a number of microseconds, 0: park at once) before they park. After the last region of a run the workers stop spinning within that
 * bound: an idle session uses no CPU.
 *
 * <p>Spinning pays only while each thread has a core. When the cores are oversubscribed, a
 * spinning thread uses up its share of the CPU and is then scheduled late, when it holds a part
 * the others wait for, or it spins while the thread it waits for is not scheduled. So a pool made
 * while the machine is busy ({@link MachineLoad#busy}) does not spin unless the property names a
 * bound, and a spin that finds itself descheduled (two looks more than {@link #PREEMPTED_NANOS}
 * apart) stops, and every thread of the pool then parks at once for the next
 * {@link #BACK_OFF_NANOS}. In {@code WorkerPoolSpinProbe} (100 regions of 60 us, 5 us apart,
 * interleaved in one process) at load 14, spins of 20, 50 and 100 us cost 7%, 9% and 13% more
 * time than none, even with that back-off; in bench --compare at load 21, kws_dscnn with Java
 * kernels at 2 threads had a median of 700 us with a forced 50 us spin against 177 us without
 * (and 188 us by default, the load check having turned the spin off).
 *
 * <p>Jobs are handed over through a small array of slots with compare-and-set, not a blocking
 * queue: a contended lock enqueues a node on the caller's heap, and a run must allocate nothing.
 */
final class WorkerPool implements AutoCloseable {
    private static final long DEFAULT_SPIN_MICROS = 50;
    /**
     * How long a worker looks for the next part, and a caller for its parts' end, before parking.
     * The default bridges the gaps between the parallel regions of one run; see the class comment.
     */
    static final long SPIN_NANOS = 1000L * spinMicros(System.getProperty("edgerun.spinMicros", "auto"));

    /** Whether {@code -Dedgerun.spinMicros} names a number, which then applies even on a busy machine. */
    private static final boolean SPIN_SET = !System.getProperty("edgerun.spinMicros", "auto").trim().equals("auto");

    /** A gap this long between two looks of a spin means the spinning thread was descheduled. */
    static final long PREEMPTED_NANOS = 25_000;
    /** How long the pool parks without spinning after a spin was descheduled. */
    static final long BACK_OFF_NANOS = 50_000_000;

    private final int threads;
    private final long spinNanos;
    /** {@link System#nanoTime} before which the pool's threads park without spinning. */
    private volatile long spinAgainAt = System.nanoTime();
    private final Thread[] workers;
    /** Posted jobs, one entry per helper wanted; a worker takes an entry by setting it to null. */
    private final AtomicReferenceArray<Job> posted;
    private final ThreadLocal<Job> jobs = ThreadLocal.withInitial(Job::new);
    /** Calls that offered parts to workers (a wake-up costs microseconds: tiny kernels should make none). */
    private final AtomicLong handOffs = new AtomicLong();
    private volatile boolean closed;

    /**
     * A pool whose threads spin for {@link #SPIN_NANOS}; by default not at all when the machine is
     * busy ({@link MachineLoad#busy}) as the session starts.
     */
    WorkerPool(int threads) {
        this(threads, threads > 1 && SPIN_NANOS > 0 && !SPIN_SET && MachineLoad.busy() ? 0 : SPIN_NANOS);
    }

    /** A pool whose threads spin for at most {@code spinNanos} before parking (tests). */
    WorkerPool(int threads, long spinNanos) {
        this.threads = Math.max(1, threads);
        this.spinNanos = Math.max(0, spinNanos);
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

    /** Whether every worker is parked in this pool's idle wait (tests: an idle pool spins no more). */
    boolean workersParked() {
        for (Thread t : workers) {
            if (t.getState() != Thread.State.WAITING || LockSupport.getBlocker(t) != this) return false;
        }
        return true;
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
        awaitParts(job);
        withdraw(job); // entries no worker took: none will start late
        Throwable failure = job.finish();
        if (failure != null) rethrow(failure);
    }

    /** {@code auto}: {@value #DEFAULT_SPIN_MICROS}; else the number of microseconds given. */
    private static long spinMicros(String setting) {
        if (setting.trim().equals("auto")) return DEFAULT_SPIN_MICROS;
        try {
            return Math.max(0, Long.parseLong(setting.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-Dedgerun.spinMicros must be auto or a number of microseconds, not '" + setting + "'");
        }
    }

    /** Returns when every part of the job is done: spins for at most {@link #spinNanos}, then parks. */
    private void awaitParts(Job job) {
        if (job.remaining.get() <= 0) return;
        long lastLook = System.nanoTime();
        long spinUntil = spinDeadline(lastLook);
        while (job.remaining.get() > 0) {
            long now = System.nanoTime();
            if (keepSpinning(now, lastLook, spinUntil)) {
                Thread.onSpinWait();
            } else {
                spinUntil = now;
                LockSupport.park(job);
            }
            lastLook = System.nanoTime();
        }
    }

    /** Until when a thread that starts waiting {@code now} may spin: {@code now} itself while backing off. */
    private long spinDeadline(long now) {
        return now - spinAgainAt < 0 ? now : now + spinNanos;
    }

    /** Whether a spin that looked at {@code lastLook} goes on; a descheduled spin starts the back-off. */
    private boolean keepSpinning(long now, long lastLook, long spinUntil) {
        if (now - spinUntil >= 0) return false;
        if (now - lastLook <= PREEMPTED_NANOS) return true;
        spinAgainAt = now + BACK_OFF_NANOS;
        return false;
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

    /**
     * Takes posted jobs; after each, looks for the next one for at most {@link #spinNanos} before
     * parking. A wake-up does not restart the spin (only a job does): an unpark that found the
     * worker spinning leaves a permit, so the next park returns at once, and the worker then parks
     * again rather than spinning a second time.
     */
    private void workLoop() {
        long lastLook = System.nanoTime();
        long spinUntil = lastLook;
        while (!closed) {
            Job job = take();
            long now = System.nanoTime();
            if (job != null) {
                job.work();
                job.holders.decrementAndGet();
                now = System.nanoTime();
                spinUntil = spinDeadline(now);
            } else if (keepSpinning(now, lastLook, spinUntil)) {
                Thread.onSpinWait();
            } else {
                spinUntil = now;
                LockSupport.park(this);
                now = System.nanoTime();
            }
            lastLook = now;
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
