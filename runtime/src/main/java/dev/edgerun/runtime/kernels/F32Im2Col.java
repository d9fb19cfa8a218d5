package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Image-to-column for convolution, written straight into {@link F32Gemm}'s packed-B panel layout
 * ({@code [ceil(P/nr)][Kc][nr]}) so that no separate packing pass follows. Row {@code r} of the
 * column matrix is one (input channel, kernel offset) pair, column {@code q} one output position;
 * padding reads as zero. {@link #rows2d} handles 1-D and 2-D fast, {@link #rowsNd} any rank.
 */
public final class F32Im2Col {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private F32Im2Col() {}

    /**
     * Rows {@code [r0, r1)} of the column matrix of one image group in 2-D: input
     * {@code [channels, h, w]} at {@code xOff} bytes, kernel {@code kh x kw}, output {@code oh x ow}.
     * {@code kc = channels * kh * kw} is the total row count (the panel depth).
     */
    public static void rows2d(MemorySegment x, long xOff, int h, int w, int kh, int kw, int sh, int sw,
                              int ph, int pw, int dh, int dw, int oh, int ow, int kc, int nr,
                              int r0, int r1, MemorySegment dst, long dstOff) {
        int shift = Integer.numberOfTrailingZeros(nr);
        int laneMask = nr - 1;
        long panelStride = 4L * kc * nr;
        for (int r = r0; r < r1; r++) {
            int c = r / (kh * kw);
            int ki = (r / kw) % kh;
            int kj = r % kw;
            int colOff = kj * dw - pw;
            int lo = colOff >= 0 ? 0 : Math.min(ow, ceilDiv(-colOff, sw));
            int hi = Math.max(lo, Math.min(ow, ceilDiv(w - colOff, sw)));
            long rowBase = dstOff + 4L * r * nr;
            for (int i = 0; i < oh; i++) {
                int ih = i * sh - ph + ki * dh;
                int q = i * ow;
                if (ih < 0 || ih >= h) {
                    for (int j = 0; j < ow; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
                    continue;
                }
                long src = xOff + 4L * (((long) c * h + ih) * w + colOff);
                for (int j = 0; j < lo; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
                if (sw == 1) { // contiguous input: copy runs, split where a panel ends
                    for (int j = lo; j < hi; ) {
                        int lane = q & laneMask;
                        int run = Math.min(hi - j, nr - lane);
                        MemorySegment.copy(x, src + 4L * j, dst, rowBase + (long) (q >>> shift) * panelStride + 4L * lane, 4L * run);
                        j += run;
                        q += run;
                    }
                } else {
                    for (int j = lo; j < hi; j++, q++) {
                        put(dst, rowBase, panelStride, shift, laneMask, q, x.get(F, src + 4L * j * sw));
                    }
                }
                for (int j = hi; j < ow; j++, q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
            }
            zeroPanelTail(dst, rowBase, panelStride, shift, laneMask, oh * ow, nr);
        }
    }

    private static void put(MemorySegment dst, long rowBase, long panelStride, int shift, int laneMask, int q, float v) {
        dst.set(F, rowBase + (long) (q >>> shift) * panelStride + 4L * (q & laneMask), v);
    }

    private static void zeroPanelTail(MemorySegment dst, long rowBase, long panelStride, int shift, int laneMask,
                                      int positions, int nr) {
        int end = (positions + nr - 1) / nr * nr;
        for (int q = positions; q < end; q++) put(dst, rowBase, panelStride, shift, laneMask, q, 0f);
    }

    /**
     * Rows {@code [r0, r1)} of the column matrix for any spatial rank: {@code in} and {@code kernel}
     * and {@code out} are the spatial sizes, {@code strides}, {@code pads} (begin),
     * {@code dilations} per spatial axis.
     */
    public static void rowsNd(MemorySegment x, long xOff, int[] in, int[] kernel, int[] out, int[] strides,
                              int[] pads, int[] dilations, int kc, int nr, int r0, int r1,
                              MemorySegment dst, long dstOff) {
        int rank = in.length;
        int shift = Integer.numberOfTrailingZeros(nr);
        int laneMask = nr - 1;
        long panelStride = 4L * kc * nr;
        int kprod = 1, inPlane = 1, positions = 1;
        for (int a = 0; a < rank; a++) {
            kprod *= kernel[a];
            inPlane *= in[a];
            positions *= out[a];
        }
        for (int r = r0; r < r1; r++) {
            int c = r / kprod;
            long rowBase = dstOff + 4L * r * nr;
            for (int q = 0; q < positions; q++) {
                int kRest = r % kprod;
                int qRest = q;
                int kDiv = kprod, qDiv = positions;
                long index = 0;
                boolean inside = true;
                for (int a = 0; a < rank; a++) {
                    kDiv /= kernel[a];
                    qDiv /= out[a];
                    int k = kRest / kDiv;
                    kRest %= kDiv;
                    int o = qRest / qDiv;
                    qRest %= qDiv;
                    int coord = o * strides[a] - pads[a] + k * dilations[a];
                    if (coord < 0 || coord >= in[a]) inside = false;
                    index = index * in[a] + coord;
                }
                float v = inside ? x.get(F, xOff + 4L * ((long) c * inPlane + index)) : 0f;
                put(dst, rowBase, panelStride, shift, laneMask, q, v);
            }
            zeroPanelTail(dst, rowBase, panelStride, shift, laneMask, positions, nr);
        }
    }

    static int ceilDiv(int a, int b) {
        return Math.floorDiv(a + b - 1, b);
    }
}
