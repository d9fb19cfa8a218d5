package dev.edgerun.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.nativelib.NativeKernelException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class PlanningHelperTest {

    @Test
    void everyTaskRunsExactlyOnce() {
        for (int n : new int[] {0, 1, 3, 4, 5, 100}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
            PlanningHelper.forEach(n, hits::incrementAndGet);
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "task " + i + " of " + n);
        }
    }

    /** Two tasks that each wait for the other can only finish when they run at the same time. */
    @Test
    void tasksRunOnTwoThreadsAtOnce() {
        if (Runtime.getRuntime().availableProcessors() < 2) return; // the helper is used only with a second CPU
        CountDownLatch both = new CountDownLatch(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        PlanningHelper.forEach(4, i -> {
            threads.add(Thread.currentThread().getName());
            if (i < 2) {
                both.countDown();
                try {
                    assertTrue(both.await(10, TimeUnit.SECONDS), "the other task never ran alongside");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        });
        assertEquals(2, threads.size(), threads.toString());
        assertTrue(threads.contains(Thread.currentThread().getName()), threads.toString());
    }

    @Test
    void helperSeesThePlannedThreadCount() {
        AtomicIntegerArray seen = new AtomicIntegerArray(16);
        KernelSelection.planningWith(3, () -> {
            PlanningHelper.forEach(16, i -> seen.set(i, KernelSelection.plannedThreads()));
            return null;
        });
        for (int i = 0; i < 16; i++) assertEquals(3, seen.get(i), "task " + i);
    }

    /** A task's typed exception reaches the planning thread as it was thrown, after the helper has stopped. */
    @Test
    void aFailureOnEitherThreadIsRethrownAfterTheHelperStopped() {
        for (int failing : new int[] {0, 7, 63}) {
            NativeKernelException thrown = new NativeKernelException("oneDNN cannot build task " + failing);
            NativeKernelException e = assertThrows(NativeKernelException.class, () -> PlanningHelper.forEach(64, i -> {
                if (i == failing) throw thrown;
            }));
            assertSame(thrown, e);
            assertFalse(helperAlive(), "the helper thread outlived forEach");
        }
    }

    @Test
    void offRunsEverythingOnTheCallingThread() {
        String before = System.getProperty(PlanningHelper.PROPERTY);
        System.setProperty(PlanningHelper.PROPERTY, "off");
        try {
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            PlanningHelper.forEach(50, i -> threads.add(Thread.currentThread()));
            assertEquals(Set.of(Thread.currentThread()), threads);
        } finally {
            if (before == null) System.clearProperty(PlanningHelper.PROPERTY);
            else System.setProperty(PlanningHelper.PROPERTY, before);
        }
    }

    private static boolean helperAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("edgerun-planning-helper") && t.isAlive());
    }
}
