package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One B panel of {@link F32Gemm#packBPanels} packed with bulk copies instead of one float at a
 * time, for the two layouts that need more than a row copy: transposed weights (a fully connected
 * layer's {@code [n][k]}, an LSTM's W and R) and the narrower last panel of row-major B.
 * <p>
 * Constant weights are packed while the session compiles, before the JIT has compiled anything,
 * where each interpreted {@code MemorySegment} get/set pair goes through the var handle's frames.
 * A bulk copy is one call, and a transpose between two {@code float[]} stays cheap in the
 * interpreter. Packing in a fresh JVM, main-thread CPU, 3 runs (transposed 128x10 first, which
 * also pays one-time set-up, then 64x128, 256x256, 64x256, 256x64): element loop 5.0-5.5, 1.2-1.4,
 * 4.8-5.9, 1.1, 1.0 ms; here 4.5-4.7, 0.7-0.9, 3.4-3.8, 0.4-1.2, 0.3-1.2 ms. The buffers are per
 * thread and kept, so packing at run time (operands that are not constant) allocates nothing once
 * a thread has packed a panel.
 */
final class PanelPack {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Depth (p) of one transposed block: a block of a panel is at most {@code nr * 64} floats. */
    private static final int DEPTH_BLOCK = 64;
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[2][0]);
    private static final float[] ZEROS = new float[128];

    private PanelPack() {}

    /**
     * Packs the panel whose first column starts at byte {@code s0} of {@code src} ({@code cols} of
     * its {@code nr} columns exist, the rest is zero padding) into {@code dst} at byte {@code d};
     * element (p, c) is at float index {@code p * rowStride + c * colStride} from {@code s0}.
     * Returns false, having written nothing, for the layouts left to the caller: a full panel of
     * contiguous rows (one row copy per p there) and strides with no contiguous axis.
     */
    static boolean packed(MemorySegment src, long s0, long rowStride, long colStride, int k, int cols, int nr,
                          MemorySegment dst, long d) {
        if (colStride == 1 && cols < nr && nr - cols <= ZEROS.length) {
            narrowRows(src, s0, rowStride, k, cols, nr, dst, d);
            return true;
        }
        if (rowStride == 1 && colStride != 1) {
            transposed(src, s0, colStride, k, cols, nr, dst, d);
            return true;
        }
        return false;
    }

    /** Row-major B, last panel: each row's {@code cols} floats copied, then the padding from a zero array. */
    private static void narrowRows(MemorySegment src, long s0, long rowStride, int k, int cols, int nr,
                                   MemorySegment dst, long d) {
        long rowBytes = 4L * rowStride;
        for (int p = 0; p < k; p++) {
            long at = d + 4L * p * nr;
            MemorySegment.copy(src, s0 + p * rowBytes, dst, at, 4L * cols);
            MemorySegment.copy(ZEROS, 0, dst, F, at + 4L * cols, nr - cols);
        }
    }

    /**
     * B stored by columns (each column's k floats contiguous): blocks of up to {@link #DEPTH_BLOCK}
     * depths are read a column at a time into one array, transposed into a second and written out in one copy.
     */
    private static void transposed(MemorySegment src, long s0, long colStride, int k, int cols, int nr,
                                   MemorySegment dst, long d) {
        int block = Math.min(k, DEPTH_BLOCK);
        float[][] buffers = buffers(nr * block);
        float[] columns = buffers[0];
        float[] rows = buffers[1];
        for (int p0 = 0; p0 < k; p0 += block) {
            int depth = Math.min(block, k - p0);
            for (int c = 0; c < cols; c++) {
                MemorySegment.copy(src, F, s0 + 4L * (c * colStride + p0), columns, c * block, depth);
            }
            for (int p = 0; p < depth; p++) {
                int at = p * nr;
                for (int c = 0; c < cols; c++) rows[at + c] = columns[c * block + p];
                for (int c = cols; c < nr; c++) rows[at + c] = 0f;
            }
            MemorySegment.copy(rows, 0, dst, F, d + 4L * p0 * nr, depth * nr);
        }
    }

    /** This thread's two buffers, grown to at least {@code floats} each. */
    private static float[][] buffers(int floats) {
        float[][] b = BUFFERS.get();
        if (b[0].length < floats) {
            b[0] = new float[floats];
            b[1] = new float[floats];
        }
        return b;
    }
}
