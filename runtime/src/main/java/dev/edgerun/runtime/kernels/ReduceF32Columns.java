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

    private static void addRow(MemorySegment src, long from, MemorySegment dst, long to, int inner) {
        for (int i = 0; i < inner; i++) dst.set(F, to + 4L * i, dst.get(F, to + 4L * i) + src.get(F, from + 4L * i));
    }
}
