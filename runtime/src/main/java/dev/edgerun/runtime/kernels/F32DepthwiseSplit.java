package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * How the depthwise kernels split their planes over threads: {@value #CHUNKS} fixed plane ranges,
 * each with its own region of scratch. A split call's arguments go into a range body taken from a
 * {@code static ThreadLocal} (see {@link Parallel}), so a run makes no capturing lambda.
 */
final class F32DepthwiseSplit {
    /** Fixed ranges: a kernel sizes its scratch for this many at once. */
    static final int CHUNKS = 4;

    /**
     * Multiply-adds below which the planes run on the calling thread: waking a second thread cost
     * more than DS-CNN's 72k-MAC depthwise layers take (kws_dscnn, Java kernels, 2 threads on the
     * loaded 2-core machine: 594 us per run against 258 us with one).
     */
    private static final long PARALLEL_MIN_MACS = 1L << 18;

    private F32DepthwiseSplit() {}

    /** A depthwise kernel's work on planes {@code [from, to)}, in scratch region {@code range}. */
    interface PlaneRanges {
        void planes(MemorySegment x, MemorySegment wt, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    int range, int from, int to);
    }

    /**
     * Runs {@code kernel} over {@code planes} planes: on the calling thread (range 0) when
     * {@code par} has one thread or the {@code macs} are too few to share, else in {@value #CHUNKS}
     * ranges on {@code par}.
     */
    static void run(PlaneRanges kernel, int planes, long macs, Parallel par, MemorySegment x, MemorySegment wt,
                    MemorySegment bias, MemorySegment y, MemorySegment scratch) {
        if (par.threads() <= 1 || macs < PARALLEL_MIN_MACS) {
            kernel.planes(x, wt, bias, y, scratch, 0, 0, planes);
            return;
        }
        Ranges body = RANGES.get();
        body.kernel = kernel;
        body.planes = planes;
        body.x = x;
        body.wt = wt;
        body.bias = bias;
        body.y = y;
        body.scratch = scratch;
        par.forRange(CHUNKS, body);
    }

    /** The first plane of fixed range {@code c}. */
    private static int rangeStart(int c, int planes) {
        return (int) ((long) c * planes / CHUNKS);
    }

    private static final ThreadLocal<Ranges> RANGES = ThreadLocal.withInitial(Ranges::new);

    private static final class Ranges implements RunContext.RangeBody {
        PlaneRanges kernel;
        int planes;
        MemorySegment x, wt, bias, y, scratch;

        @Override
        public void run(int from, int to) {
            for (int c = from; c < to; c++) {
                kernel.planes(x, wt, bias, y, scratch, c, rangeStart(c, planes), rangeStart(c + 1, planes));
            }
        }
    }
}
