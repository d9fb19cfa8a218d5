package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Batched float32 products {@code Y[t] = A[t] . B[t]} whose operands and result are read and
 * written through strides, so that a Transpose folded into a MatMul costs no copy: each batch
 * {@code t} packs its A ({@code m x k}) and B ({@code k x n}) panels from wherever the elements
 * lie ({@link F32Gemm#packA}, {@link F32Gemm#packB} take a row and a column stride) and the product
 * writes Y rows {@code ldy} floats apart. Attention's per-head products
 * ({@code [heads, seq, d] x [heads, d, seq]}, a few tens of thousands of multiply-adds each) are
 * the intended case: packing both operands per batch is a small fraction of the product.
 *
 * <p>All offsets and strides are in floats. Runs on the calling thread below
 * {@link F32Gemm#PARALLEL_MIN_MACS} multiply-adds in all; above, batches are split over threads,
 * each with its own scratch slot.
 */
public final class F32StridedMatMul {
    private static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final F32Gemm gemm;
    private final int m;
    private final int n;
    private final int k;
    private final long[] aOff;   // (batches) first element of A[t]
    private final long[] bOff;   // (batches) first element of B[t]
    private final long[] yOff;   // (batches) first element of Y[t]
    private final long aRow;     // A: floats between rows (i) and columns (p)
    private final long aCol;
    private final long bRow;     // B: floats between rows (p) and columns (j)
    private final long bCol;
    private final int ldy;       // Y: floats between rows; columns are contiguous
    private final F32GemmEpilogue epilogue;
    private final long slotBytes;
    private final long aPackedBytes;

    /**
     * @param aStrides {@code {rowStride, colStride}} of A in floats; likewise {@code bStrides}
     * @param epilogue applied to each finished Y row (nullable)
     */
    public F32StridedMatMul(F32Gemm gemm, int m, int n, int k, long[] aOff, long[] aStrides, long[] bOff,
                            long[] bStrides, long[] yOff, int ldy, F32GemmEpilogue epilogue) {
        if (aOff.length != bOff.length || aOff.length != yOff.length) {
            throw new IllegalArgumentException("batch offsets differ in length: " + aOff.length + ", " + bOff.length
                    + ", " + yOff.length);
        }
        if (ldy < n) throw new IllegalArgumentException("Y row stride " + ldy + " is below the row length " + n);
        this.gemm = gemm;
        this.m = m;
        this.n = n;
        this.k = k;
        this.aOff = aOff.clone();
        this.bOff = bOff.clone();
        this.yOff = yOff.clone();
        this.aRow = aStrides[0];
        this.aCol = aStrides[1];
        this.bRow = bStrides[0];
        this.bCol = bStrides[1];
        this.ldy = ldy;
        this.epilogue = epilogue;
        this.aPackedBytes = align64(4 * F32Gemm.packedASize(m, k));
        this.slotBytes = aPackedBytes + align64(4 * gemm.packedBSize(k, n));
    }

    private static long align64(long bytes) {
        return (bytes + 63) / 64 * 64;
    }

    public int batches() {
        return aOff.length;
    }

    /** Scratch bytes {@link #run} needs with up to {@code threads} threads. */
    public long scratchBytes(int threads) {
        return slotBytes * Math.max(1, Math.min(threads, batches()));
    }

    /** Every batch's product; {@code scratch} holds at least {@link #scratchBytes} for {@code par}'s threads. */
    public void run(MemorySegment a, MemorySegment b, MemorySegment y, MemorySegment scratch, Parallel par) {
        int batches = batches();
        if (batches == 0 || m == 0 || n == 0) return;
        long macs = (long) batches * m * n * k;
        int slots = Math.min(gemm.parallelFor(macs, par).threads(), batches);
        if (slots <= 1) {
            runBatches(0, batches, a, b, y, scratch, 0);
            return;
        }
        int per = (batches + slots - 1) / slots;
        par.forRange(slots, (from, to) -> {
            for (int slot = from; slot < to; slot++) {
                runBatches(slot * per, Math.min(batches, (slot + 1) * per), a, b, y, scratch, slot * slotBytes);
            }
        });
    }

    /**
     * B packed as {@link F32Gemm#packB} packs it, for a B whose columns are contiguous (K^T read
     * from K's rows): a column at a time, so that reads run along memory and the stride of the
     * writes is a constant. Row-wise packing read one float per column per row, about 1.2 ns per
     * float at attention's 32 x 32 heads.
     */
    private void packColumns(MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        int nr = gemm.nr();
        long panelBytes = 4L * nr * k;
        for (int j0 = 0; j0 < n; j0 += nr) {
            long d = dstOff + panelBytes * (j0 / nr);
            int cols = Math.min(nr, n - j0);
            for (int c = 0; c < cols; c++) {
                long s = srcOff + 4 * (j0 + c) * bCol;
                long at = d + 4L * c;
                for (int p = 0; p < k; p++) dst.set(F, at + 4L * nr * p, src.get(F, s + 4L * p));
            }
            for (int c = cols; c < nr; c++) {
                long at = d + 4L * c;
                for (int p = 0; p < k; p++) dst.set(F, at + 4L * nr * p, 0f);
            }
        }
    }

    private void runBatches(int from, int to, MemorySegment a, MemorySegment b, MemorySegment y, MemorySegment scratch,
                            long slot) {
        long pbAt = slot + aPackedBytes;
        for (int t = from; t < to; t++) {
            F32Gemm.packA(a, 4 * aOff[t], aRow, aCol, m, k, scratch, slot);
            if (bRow == 1 && bCol != 1) packColumns(b, 4 * bOff[t], scratch, pbAt);
            else gemm.packB(b, 4 * bOff[t], bRow, bCol, k, n, scratch, pbAt);
            gemm.multiply(m, n, k, scratch, slot, scratch, pbAt, y, 4 * yOff[t], ldy, 1f, false, epilogue,
                    Parallel.SERIAL);
        }
    }
}
