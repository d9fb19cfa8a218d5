package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/** {@link DnnlThreadChoice} picks the thread count its runs measured faster, and tries again later. */
class DnnlThreadChoiceTest {
    private static final int MOST = 2;

    @Test
    void keepsTwoThreadsWhenTheyAreClearlyFaster() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        runTrial(c, t -> t == 1 ? 100_000 : 60_000);
        assertTrue(c.choseMany());
        for (int i = 1; i < DnnlThreadChoice.FIRST_EXPLOIT_RUNS; i++) assertEquals(MOST, c.next(MOST));
    }

    @Test
    void fallsBackToOneThreadWhenTwoAreSlower() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        runTrial(c, t -> t == 1 ? 50_000 : 80_000);
        assertFalse(c.choseMany());
        for (int i = 1; i < DnnlThreadChoice.FIRST_EXPLOIT_RUNS; i++) assertEquals(1, c.next(MOST));
    }

    @Test
    void aGainBelowTheRequiredOneKeepsOneThread() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        runTrial(c, t -> t == 1 ? 100_000 : 95_000); // 5% faster: not worth a second core
        assertFalse(c.choseMany());
    }

    @Test
    void aPreemptedSampleDoesNotDecide() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        int[] manyRuns = {0};
        runTrial(c, t -> t == 1 ? 100_000 : (++manyRuns[0] <= 1 ? 20_000_000 : 50_000));
        assertTrue(c.choseMany());
    }

    @Test
    void triesAgainAfterTheExploitationRunsAndFollowsTheLoad() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        runTrial(c, t -> t == 1 ? 100_000 : 60_000);
        assertEquals(DnnlThreadChoice.FIRST_EXPLOIT_RUNS, exploit(c), "runs until the second trial round");
        runTrial(c, t -> t == 1 ? 100_000 : 60_000);
        assertEquals(2 * DnnlThreadChoice.FIRST_EXPLOIT_RUNS, exploit(c), "the gap doubles");
        for (int round = 0; round < 12; round++) {
            runTrial(c, t -> t == 1 ? 100_000 : 60_000);
            exploit(c);
        }
        runTrial(c, t -> t == 1 ? 100_000 : 60_000);
        assertTrue(c.choseMany());
        assertEquals(DnnlThreadChoice.EXPLOIT_RUNS, exploit(c), "up to the longest gap");
        // the machine got busy: the second thread now costs more than it gains
        runTrial(c, t -> t == 1 ? 100_000 : 150_000);
        assertFalse(c.choseMany());
        assertEquals(1, c.next(MOST));
    }

    @Test
    void nothingIsTimedBeforeTheFirstChoice() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        assertFalse(c.sampling(), "a kernel of a 1-thread session never asks, and its runs are not timed");
        c.next(MOST);
        assertTrue(c.sampling());
    }

    @Test
    void aTrialAlternatesTheCounts() {
        DnnlThreadChoice c = new DnnlThreadChoice();
        int[] seen = new int[2 * DnnlThreadChoice.SAMPLES];
        for (int i = 0; i < seen.length; i++) {
            seen[i] = c.next(MOST);
            c.record(seen[i], 1000);
        }
        int ones = 0;
        for (int t : seen) if (t == 1) ones++;
        assertEquals(DnnlThreadChoice.SAMPLES, ones);
        assertEquals(MOST, seen[0]);
        assertEquals(1, seen[1]);
    }

    /** Runs with the chosen count (2 expected) until the next trial round; how many runs that took. */
    private static int exploit(DnnlThreadChoice c) {
        int runs = 0;
        while (!c.sampling() && runs++ <= 2 * DnnlThreadChoice.EXPLOIT_RUNS) assertEquals(MOST, c.next(MOST));
        return runs;
    }

    /** Runs next/record with the given time per thread count until a choice is made. */
    private static void runTrial(DnnlThreadChoice c, IntToLongFunction nanos) {
        int runs = 0;
        do {
            int t = c.next(MOST);
            c.record(t, nanos.applyAsLong(t));
            runs++;
        } while (c.sampling());
        assertTrue(runs <= 2 * DnnlThreadChoice.SAMPLES, "a round takes " + runs + " runs");
    }

    @Test
    void aConvolutionGivesTheSameOutputFromItsOneAndTwoThreadPrograms() {
        OneDnnKernels onednn = new OneDnnKernels();
        NativeLibraries.assumeAvailable(onednn);
        long[] xShape = {1, 32, 28, 28}, wShape = {32, 32, 3, 3}; // 14.5 MFLOP: threadsFor allows 2
        try (Tensor w = Tensor.allocate(DType.FLOAT, wShape); Arena arena = Arena.ofConfined()) {
            Random r = new Random(7);
            fill(w.data(), r);
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xShape, wShape, xShape, 1, new int[] {1, 1},
                    new int[] {1, 1}, new int[] {1, 1}, w, null);
            DnnlConvKernel k = KernelSelection.planningWith(2,
                    () -> DnnlConvKernel.create(Dnnl.get(), spec, DnnlConvKernel.Layout.BLOCKED, false));
            MemorySegment x = arena.allocate(4L * 32 * 28 * 28, 64), bias = arena.allocate(4L * 32, 64);
            fill(x, r);
            fill(bias, r);
            MemorySegment scratch = arena.allocate(Math.max(k.scratchBytes(), 64), 64);
            MemorySegment first = arena.allocate(x.byteSize(), 64), y = arena.allocate(x.byteSize(), 64);
            k.run(x, null, bias, first, scratch, twoThreads());
            for (int i = 0; i < 4 * DnnlThreadChoice.SAMPLES; i++) {
                y.fill((byte) 0);
                k.run(x, null, bias, y, scratch, twoThreads());
                assertArrayEquals(first.toArray(ValueLayout.JAVA_FLOAT), y.toArray(ValueLayout.JAVA_FLOAT), 1e-4f,
                        "run " + i);
            }
            assertTrue(k.hasProgramFor(1) && k.hasProgramFor(2), "a trial round ran both programs");
        }
    }

    private static void fill(MemorySegment s, Random r) {
        for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
    }

    private static Parallel twoThreads() {
        return new Parallel() {
            @Override public void forRange(int n, RunContext.RangeBody body) {
                if (n > 0) body.run(0, n);
            }
            @Override public int threads() {
                return 2;
            }
        };
    }
}
