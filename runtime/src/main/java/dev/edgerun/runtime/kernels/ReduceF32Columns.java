package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Float32 sums over a middle block of axes: the input seen as {@code [outer][count][inner]} (the
 * reduced axes contiguous and between kept ones, such as ReduceMean over the sequence of a
 * {@code [1, 32, 128]} transformer output), {@code out[o][i] = sum over r of in[o][r][i]}: the
 * first reduced row copied to the output, each further row added onto it along memory, then the
 * division. Float accumulation, as {@link ReduceF32Rows}. The general path of Reduce reads such
 * inputs one scalar at a time through an offset table: tiny_transformer's ReduceMean over
 * [1, 32, 128] took 4.1 us there.
 *
 * <p>Plain loops, no Vector API: such a node runs once per model run, and Vector API code reached
 * that rarely runs boxed in the interpreter and C1 for many runs before C2 compiles it (see
 * {@code GemmKernels} on the classifier GEMV). A vector version measured 0.36-0.43 us in steady
 * state against 1.9 us for these loops (tiny_transformer, per-node minimum, load 9-10), but its
 * warm-up was not measured apart, so the loops whose warm-up is short stay.
 *
 * <p>{@link #sumOnHeap} is the same reduction for a node's cold first run(s) ({@link ColdRuns}): in
 * the interpreter each {@code MemorySegment} element access costs some 0.4 us of bytecode,
 * so that ReduceMean took 4.7 ms of tiny_transformer's 9.2 ms first run on a fresh JVM; bulk copies
 * to and from heap arrays and array loops do the same additions in the same order.
 */
public final class ReduceF32Columns {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ReduceF32Columns() {}

    /**
     * {@code dst[o * inner + i] = (sum over r < count of src[(o * count + r) * inner + i]) / divisor}
     * for {@code count >= 1}; {@code divisor} 1 for a sum, {@code count} for a mean (a true
     * division, as Reduce's row path divides).
     */
    public static void sum(MemorySegment src, MemorySegment dst, long outer, long count, int inner, float divisor) {
        long rowBytes = 4L * inner;
        for (long o = 0; o < outer; o++) {
            long in = o * count * rowBytes, out = o * rowBytes;
            MemorySegment.copy(src, in, dst, out, rowBytes);
            for (long r = 1; r < count; r++) addRow(src, in + r * rowBytes, dst, out, inner);
            if (divisor != 1f) {
                for (int i = 0; i < inner; i++) dst.set(F, out + 4L * i, dst.get(F, out + 4L * i) / divisor);
            }
        }
    }

    /**
     * {@link #sum} on heap copies of the input and output (same additions in the same order, same
     * bits): for cold runs, where it allocates both arrays. Falls back to {@link #sum} for inputs
     * too large for one array.
     */
    public static void sumOnHeap(MemorySegment src, MemorySegment dst, long outer, long count, int inner, float divisor) {
        long inCount = outer * count * inner;
        if (inCount > Integer.MAX_VALUE - 8) {
            sum(src, dst, outer, count, inner, divisor);
            return;
        }
        float[] in = new float[(int) inCount];
        float[] out = new float[(int) (outer * inner)];
        MemorySegment.copy(src, F, 0, in, 0, in.length);
        for (int o = 0; o < outer; o++) {
            int from = (int) (o * count * inner), to = o * inner;
            System.arraycopy(in, from, out, to, inner);
            for (int r = 1; r < count; r++) addRow(in, from + r * inner, out, to, inner);
            if (divisor != 1f) {
                for (int i = to; i < to + inner; i++) out[i] /= divisor;
            }
        }
        MemorySegment.copy(out, 0, dst, F, 0, out.length);
    }

    private static void addRow(float[] src, int from, float[] dst, int to, int inner) {
        for (int i = 0; i < inner; i++) dst[to + i] += src[from + i];
    }

    private static void addRow(MemorySegment src, long from, MemorySegment dst, long to, int inner) {
        for (int i = 0; i < inner; i++) dst.set(F, to + 4L * i, dst.get(F, to + 4L * i) + src.get(F, from + 4L * i));
    }
}
