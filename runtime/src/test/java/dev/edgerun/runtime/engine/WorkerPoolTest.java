package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.ops.RunContext.RangeBody;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    /** Spin bounds of the pools under test: park at once, the default, and longer than any call here. */
    private static final long[] SPIN_NANOS = {0, WorkerPool.SPIN_NANOS, 1_000_000_000L};

    @Test
    void everyIndexRunsExactlyOnce() {
        for (long spin : SPIN_NANOS) everyIndexRunsExactlyOnce(spin);
    }

    private static void everyIndexRunsExactlyOnce(long spinNanos) {
        try (WorkerPool pool = new WorkerPool(3, spinNanos)) {
            for (int n : new int[] {0, 1, 2, 5, 11, 1000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                pool.parallelFor(n, (from, to) -> {
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n + ", spin " + spinNanos + " ns");
            }
        }
    }

    @Test
    void failuresOnAnyThreadReachTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(64, (from, to) -> {
                if (from > 0) throw new IllegalStateException("part from " + from);
            }));
            assertTrue(e.getMessage().startsWith("part from"));
        }
    }

    @Test
    void aCallAfterAFailureRunsNormally() {
        try (WorkerPool pool = new WorkerPool(2)) {
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(8, (from, to) -> {
                throw new IllegalStateException("part from " + from);
            }));
            AtomicInteger total = new AtomicInteger();
            pool.parallelFor(8, (from, to) -> total.addAndGet(to - from));
            assertEquals(8, total.get());
        }
    }

    /**
     * A call's bookkeeping is reused, so a kernel whose range body is made once allocates nothing per
     * run. A per-call allocation shows in every round; a one-off of the JIT (a deoptimisation that
     * re-creates an object it had kept in registers) shows in one round at most, so the quietest of
     * five rounds must be zero.
     */
    @Test
    void repeatedCallsAllocateNothing() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicLong total = new AtomicLong();
            RangeBody body = (from, to) -> total.addAndGet(to - from);
            for (int i = 0; i < 5000; i++) pool.parallelFor(64, body);
            long id = Thread.currentThread().threadId();
            long[] rounds = new long[5];
            for (int r = 0; r < rounds.length; r++) {
                long before = bean.getThreadAllocatedBytes(id);
                for (int i = 0; i < 2000; i++) pool.parallelFor(64, body);
                rounds[r] = bean.getThreadAllocatedBytes(id) - before;
            }
            assertEquals((5000L + 5 * 2000) * 64, total.get());
            assertEquals(0, java.util.Arrays.stream(rounds).min().getAsLong(),
                    "bytes allocated by 2000 calls, in each of five rounds: " + java.util.Arrays.toString(rounds));
        }
    }

    /**
     * No spinning when idle: after a call, the workers spin for at most the pool's bound and then
     * park. Checked by state, not by time: they must all be parked within 10 s (a spin of 50 ms).
     */
    @Test
    void idleWorkersEndUpParked() throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(3, 50_000_000L)) {
            AtomicLong total = new AtomicLong();
            for (int i = 0; i < 100; i++) pool.parallelFor(64, (from, to) -> total.addAndGet(to - from));
            assertEquals(100 * 64, total.get());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!pool.workersParked() && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(pool.workersParked(), "workers of an idle pool still not parked 10 s after its last call");
        }
    }

    @Test
    void nestedAndConcurrentCallsFinish() throws Exception {
        for (long spin : SPIN_NANOS) nestedAndConcurrentCallsFinish(spin);
    }

    private static void nestedAndConcurrentCallsFinish(long spinNanos) throws Exception {
        try (WorkerPool pool = new WorkerPool(2, spinNanos)) {
            AtomicInteger total = new AtomicInteger();
            Thread[] callers = new Thread[4];
            for (int t = 0; t < callers.length; t++) {
                callers[t] = new Thread(() -> {
                    for (int k = 0; k < 200; k++) {
                        pool.parallelFor(4, (from, to) -> pool.parallelFor(10, (a, b) -> total.addAndGet(b - a)));
                    }
                });
                callers[t].start();
            }
            for (Thread t : callers) t.join(60_000);
            assertEquals(4 * 200 * 4 * 10, total.get(), "spin " + spinNanos + " ns");
        }
    }
}
