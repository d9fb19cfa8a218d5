package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link KernelSelection#preloadInBackground}: the first on-demand provider is opened once, on another thread. */
class KernelSelectionPreloadTest {

    /** An on-demand provider that records where and how often it was preloaded. */
    private static final class OnDemand implements KernelProvider {
        final String name;
        final int priority;
        final AtomicInteger preloads = new AtomicInteger();
        final CountDownLatch preloaded = new CountDownLatch(1);
        volatile Thread preloadThread;

        OnDemand(String name, int priority) {
            this.name = name;
            this.priority = priority;
        }

        @Override public String name() { return name; }
        @Override public int priority() { return priority; }
        @Override public boolean checksAvailabilityWhenAsked() { return true; }
        @Override public Availability availability() { return Availability.YES; }

        @Override
        public void preload() {
            preloadThread = Thread.currentThread();
            preloads.incrementAndGet();
            preloaded.countDown();
        }
    }

    @Test
    void preloadsTheFirstOnDemandProviderOnceOnADaemonThread() throws InterruptedException {
        OnDemand first = new OnDemand("first", 60);
        OnDemand second = new OnDemand("second", 20);
        KernelSelection selection = new KernelSelection(List.of(JavaKernels.scalar(), first, second));
        selection.preloadInBackground();
        selection.preloadInBackground();
        assertTrue(first.preloaded.await(10, TimeUnit.SECONDS), "first provider not preloaded");
        first.preloadThread.join(10_000);
        assertTrue(first.preloadThread != Thread.currentThread() && first.preloadThread.isDaemon(),
                "preloaded on " + first.preloadThread);
        assertEquals(1, first.preloads.get());
        assertEquals(0, second.preloads.get());
    }

    @Test
    void runsTheFollowUpOnThePreloadThreadAfterThePreloadOnce() throws InterruptedException {
        OnDemand first = new OnDemand("first", 60);
        KernelSelection selection = new KernelSelection(List.of(JavaKernels.scalar(), first));
        AtomicInteger preloadsBefore = new AtomicInteger(-1);
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicInteger followUps = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(selection.preloadInBackground(() -> {
            preloadsBefore.set(first.preloads.get());
            ranOn.set(Thread.currentThread());
            followUps.incrementAndGet();
            ran.countDown();
        }), "the first call starts the preload thread");
        assertFalse(selection.preloadInBackground(followUps::incrementAndGet), "a second call starts nothing");
        assertTrue(ran.await(10, TimeUnit.SECONDS), "follow-up not run");
        first.preloadThread.join(10_000);
        assertEquals(1, preloadsBefore.get(), "the follow-up runs after the preload");
        assertSame(first.preloadThread, ranOn.get());
        assertEquals(1, followUps.get());
    }

    @Test
    void withoutAnOnDemandProviderNothingStarts() {
        AtomicInteger followUps = new AtomicInteger();
        KernelSelection selection = new KernelSelection(List.of(JavaKernels.scalar()));
        assertFalse(selection.preloadInBackground(followUps::incrementAndGet));
        assertEquals(0, followUps.get());
    }
}
