package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;

/**
 * How a kernel splits its work over threads: {@link #forRange} runs {@code body(from, to)} over
 * {@code [0, n)} in chunks, possibly concurrently. Operators pass {@link #SERIAL} when the session
 * has one thread (no lambda is created per run) and an adapter over
 * {@link RunContext#parallelFor} otherwise.
 *
 * <p>A run allocates nothing on the heap, also with several threads, so a split call passes no
 * capturing lambda: its arguments go into the fields of a range-body object taken from a
 * {@code static ThreadLocal} of the call site, set just before {@code forRange} and read by the
 * ranges. One object per calling thread keeps concurrent runs of a session apart; one per site
 * (not per kernel) keeps the thread's map small and holds no kernel of a closed session beyond
 * the thread's next call there. A site's body must not reach the same site again with a
 * parallel split on the same thread (ranges pass {@link #SERIAL} to the kernels they call).
 */
public interface Parallel {

    /** Runs every range on the calling thread. */
    Parallel SERIAL = new Parallel() {
        @Override public void forRange(int n, RunContext.RangeBody body) {
            if (n > 0) body.run(0, n);
        }
        @Override public int threads() {
            return 1;
        }
    };

    void forRange(int n, RunContext.RangeBody body);

    /** Threads that may run ranges at once; kernels size their work split by it. */
    int threads();

    /**
     * The session's threads behind a run context; {@link #SERIAL} when it has one. A context that
     * is itself a {@code Parallel} over the same threads (the native engine's run frame) is
     * returned as it is, so that a run with several threads creates no adapter per kernel call.
     */
    static Parallel of(RunContext ctx, int threads) {
        if (threads <= 1) return SERIAL;
        if (ctx instanceof Parallel p && p.threads() == threads) return p;
        return new Parallel() {
            @Override public void forRange(int n, RunContext.RangeBody body) {
                ctx.parallelFor(n, body);
            }
            @Override public int threads() {
                return threads;
            }
        };
    }
}
