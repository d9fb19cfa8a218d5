package dev.edgerun.runtime.kernels.nativelib;

import java.util.Arrays;

/**
 * Chooses, for one oneDNN kernel, between running it on one thread and on the most threads
 * {@link NativeKernelRules#threadsFor} allows, from the times of its own runs: a trial round
 * alternates the two until each has {@value #SAMPLES} samples, the count with the lower median
 * then runs for {@value #FIRST_EXPLOIT_RUNS} runs, doubling after each round up to
 * {@value #EXPLOIT_RUNS}, and another round follows, so the choice follows the load of the machine.
 *
 * <p>Why measured and not a fixed rule: OpenMP's threads wait passively, or spin briefly where the
 * machine was not busy when oneDNN was loaded (see {@code Dnnl.preferPassiveOpenMpThreads}), so a
 * parallel region may pay a wake-up of the sleeping worker, and what a second thread gains depends
 * on whether a core is free. On the 2-vCPU build
 * machine at load 8, every convolution of conv_autoencoder and mobilenet_v2 from 2.7 to 40 MFLOP ran
 * 1.1-2.3x slower with its 2-thread program than with its 1-thread one (medians of 400 interleaved
 * runs), while on the quiet machine oneDNN's own timings of the same convolutions were 1.5-1.8x
 * faster with 2 threads.
 *
 * <p>Runs of one kernel may be concurrent: samples are recorded under the object's lock (one
 * uncontended lock per run of a primitive of several microseconds), and a sample from a run whose
 * count is no longer on trial is dropped.
 */
final class DnnlThreadChoice {
    /**
     * Samples per thread count in one trial round; the median of 3 ignores one preempted run. A
     * round runs the slower count SAMPLES times: with 5, resnet18 at 2 threads (load 11, 60 runs
     * interleaved with ONNX Runtime's) had a median of 36.8 ms against 31.9 ms with 2 threads fixed.
     */
    static final int SAMPLES = 3;
    /**
     * Runs with the chosen count between the first two trial rounds; the gap doubles after each
     * round up to {@link #EXPLOIT_RUNS}. The first rounds fall in the JIT's warm-up, when compiler
     * threads take the second core: resnet18 at 2 threads (load 10) kept 1 thread for its whole
     * 100-run benchmark after a first round decided it, 53 ms against 37 ms with 2 threads.
     */
    static final int FIRST_EXPLOIT_RUNS = 16;
    /** The longest gap between two trial rounds: a round costs at most SAMPLES slower runs. */
    static final int EXPLOIT_RUNS = 1024;
    /** The many-thread program is kept only when its median is at most this fraction of one thread's. */
    static final double GAIN_REQUIRED = 0.9;

    private final double gainRequired;

    private final long[] oneThread = new long[SAMPLES];
    private final long[] manyThreads = new long[SAMPLES];
    private int oneCount, manyCount;
    private volatile boolean trial; // read without the lock by sampling(); false until the first next()
    private boolean started;
    private boolean many;        // the choice outside a trial round
    private int exploited;       // runs since the last choice
    private int gap = FIRST_EXPLOIT_RUNS; // runs from the last choice to the next round

    /** A choice that keeps the many-thread program when its median is at most {@link #GAIN_REQUIRED} of one thread's. */
    DnnlThreadChoice() {
        this(GAIN_REQUIRED);
    }

    /** A choice that keeps the many-thread program when its median is at most {@code gainRequired} of one thread's. */
    DnnlThreadChoice(double gainRequired) {
        this.gainRequired = gainRequired;
    }

    /** The thread count for the next run, {@code most} (> 1) or 1. */
    synchronized int next(int most) {
        if (!started) started = trial = true;
        if (!trial) {
            if (++exploited < gap) return many ? most : 1;
            gap = Math.min(2 * gap, EXPLOIT_RUNS);
            trial = true;
            oneCount = manyCount = 0;
        }
        return manyCount <= oneCount ? most : 1;
    }

    /** Records that a run on {@code threads} took {@code nanos}. */
    synchronized void record(int threads, long nanos) {
        if (!trial) return;
        if (threads == 1) {
            if (oneCount < SAMPLES) oneThread[oneCount++] = nanos;
        } else if (manyCount < SAMPLES) {
            manyThreads[manyCount++] = nanos;
        }
        if (oneCount == SAMPLES && manyCount == SAMPLES) decide();
    }

    /**
     * Whether runs should be timed: a trial round is under way. Without the lock, so that a run
     * outside trials (and every run of a kernel that never asked {@link #next}, as in a 1-thread
     * session) costs one volatile read.
     */
    boolean sampling() {
        return trial;
    }

    /** Whether the last trial chose the many-thread program (false before any trial ended). */
    synchronized boolean choseMany() {
        return many;
    }

    private void decide() {
        many = median(manyThreads) <= gainRequired * median(oneThread);
        trial = false;
        exploited = 0;
    }

    private static long median(long[] samples) {
        Arrays.sort(samples); // in place: the round's samples are not needed after it
        return samples[samples.length / 2];
    }
}
