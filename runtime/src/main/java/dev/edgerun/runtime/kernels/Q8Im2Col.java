package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The column matrix of a 1x1 unit-stride unpadded convolution, from 8-bit input straight into
 * {@link F32Gemm}'s packed-B panel layout ({@code [ceil(P/nr)][Kc][nr]}), each value written as
 * the exact float {@code x - zx}: row {@code r} is input channel {@code r}, column {@code q}
 * position {@code q}, so packing is widening runs of each channel's plane, split where a panel
 * ends. (Larger kernels read each input several times; {@link Q8ConvGemm} widens their input once
 * and uses {@link F32Im2Col}.)
 */
final class Q8Im2Col {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Q8Im2Col() {}

    /**
     * Rows {@code [r0, r1)} (channels) of the packed column matrix: input bytes
     * {@code [kc, positions]} from {@code xOff}; {@code kc} is the panel depth.
     */
    static void pointwiseRows(VectorSpecies<Float> species, MemorySegment x, long xOff, int zx, boolean signed,
                              int positions, int kc, int nr, int r0, int r1, MemorySegment dst, long dstOff) {
        panelRows(species, x, xOff, positions, positions, zx, signed, kc, nr, r0, r1, dst, dstOff);
    }

    /**
     * Positions {@code [q0, q1)} of every row of the packed column matrix (a column block; {@code q0}
     * a multiple of {@code nr}), the panel of {@code q0} first at {@code dstOff}.
     */
    static void pointwiseBlock(VectorSpecies<Float> species, MemorySegment x, long xOff, int zx, boolean signed,
                               int positions, int q0, int q1, int kc, int nr, MemorySegment dst, long dstOff) {
        panelRows(species, x, xOff + q0, positions, q1 - q0, zx, signed, kc, nr, 0, kc, dst, dstOff);
    }

    /** Rows {@code [r0, r1)}, {@code rowStride} bytes apart from {@code xOff}, {@code count} positions each. */
    private static void panelRows(VectorSpecies<Float> species, MemorySegment x, long xOff, long rowStride, int count,
                                  int zx, boolean signed, int kc, int nr, int r0, int r1, MemorySegment dst, long dstOff) {
        long panelStride = 4L * kc * nr;
        int padded = (count + nr - 1) / nr * nr;
        Q8Lanes lanes = Q8Lanes.fast(species);
        if (lanes != null && nr % lanes.lanes() == 0) {
            for (int r = r0; r < r1; r++) {
                lanes.widenToPanels(x, xOff + r * rowStride, count, zx, signed, dst, dstOff + 4L * r * nr, panelStride, nr);
            }
            return;
        }
        for (int r = r0; r < r1; r++) {
            long src = xOff + r * rowStride;
            long rowBase = dstOff + 4L * r * nr;
            for (int q = 0; q < count; q += nr) {
                int run = Math.min(nr, count - q);
                Q8Quantize.widen(species, x, src + q, dst, rowBase + (long) (q / nr) * panelStride, run, zx, signed);
            }
            long tail = rowBase + (long) (count / nr) * panelStride;
            for (int q = count; q < padded; q++) dst.set(F, tail + 4L * (q % nr), 0f);
        }
    }
}
