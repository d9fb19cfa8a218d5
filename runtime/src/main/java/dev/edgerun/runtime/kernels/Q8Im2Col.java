package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * Image-to-column from 8-bit input straight into {@link F32Gemm}'s packed-B panel layout
 * ({@code [ceil(P/nr)][Kc][nr]}), each value written as the exact float {@code x - zx}: the
 * conversion to float costs no pass of its own. Row {@code r} of the column matrix is one (input
 * channel, kernel offset) pair, column {@code q} one output position; padding reads as zero (the
 * padded input holds {@code zx}). A 1x1 unit-stride convolution is the case {@code kh = kw = 1}
 * over one row of all positions: its rows are the channels, widened run by run.
 */
final class Q8Im2Col {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Q8Im2Col() {}

    /**
     * Rows {@code [r0, r1)} of the column matrix of one image group in 2-D: input bytes
     * {@code [channels, h, w]} from {@code xOff}, kernel {@code kh x kw}, output {@code oh x ow};
     * {@code kc = channels * kh * kw} is the panel depth. Unit-stride rows are widened with the
     * vector loops of {@link Q8Quantize#widen} in runs split where a panel ends.
     */
    static void rows2d(VectorSpecies<Float> species, MemorySegment x, long xOff, int zx, boolean signed,
                       int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow,
                       int kc, int nr, int r0, int r1, MemorySegment dst, long dstOff) {
        int shift = Integer.numberOfTrailingZeros(nr);
        int laneMask = nr - 1;
        long panelStride = 4L * kc * nr;
        for (int r = r0; r < r1; r++) {
            int c = r / (kh * kw);
            int ki = (r / kw) % kh;
            int kj = r % kw;
            int colOff = kj * dw - pw;
            int lo = colOff >= 0 ? 0 : Math.min(ow, F32Im2Col.ceilDiv(-colOff, sw));
            int hi = Math.max(lo, Math.min(ow, F32Im2Col.ceilDiv(w - colOff, sw)));
            long rowBase = dstOff + 4L * r * nr;
            for (int i = 0; i < oh; i++) {
                int ih = i * sh - ph + ki * dh;
                int q = i * ow;
                if (ih < 0 || ih >= h) {
                    for (int j = 0; j < ow; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
                    continue;
                }
                long src = xOff + ((long) c * h + ih) * w + colOff;
                for (int j = 0; j < lo; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
                if (sw == 1) {
                    for (int j = lo; j < hi; ) {
                        int lane = q & laneMask;
                        int run = Math.min(hi - j, nr - lane);
                        long at = rowBase + (long) (q >>> shift) * panelStride + 4L * lane;
                        Q8Quantize.widen(species, x, src + j, dst, at, run, zx, signed);
                        j += run;
                        q += run;
                    }
                } else {
                    for (int j = lo; j < hi; j++, q++) {
                        put(dst, rowBase, panelStride, shift, laneMask, q, Q8Quantize.load(x, src + (long) j * sw, signed) - zx);
                    }
                }
                for (int j = hi; j < ow; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
            }
            int positions = oh * ow;
            int end = (positions + nr - 1) / nr * nr;
            for (int q = positions; q < end; q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
        }
    }

    private static void put(MemorySegment dst, long rowBase, long panelStride, int shift, int laneMask, int q, float v) {
        dst.set(F, rowBase + (long) (q >>> shift) * panelStride + 4L * (q & laneMask), v);
    }
}
