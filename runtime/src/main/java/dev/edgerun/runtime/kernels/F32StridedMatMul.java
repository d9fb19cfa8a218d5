package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched float32 products {@code Y[t] = A[t] . B[t]} whose operands and result are read and
 * written through strides, so that a Transpose folded into a MatMul costs no copy: each batch
 * {@code t} packs its A ({@code m x k}) and B ({@code k x n}) panels from wherever the elements
 * lie ({@link F32Gemm#packA}, {@link F32Gemm#packB} take a row and a column stride) and the product
 * writes Y rows {@code ldy} floats apart. Attention's per-head products
 * ({@code [heads, seq, d] x [heads, d, seq]}, a few tens of thousands of multiply-adds each) are
 * the intended case: packing both operands per batch is a small fraction of the product.
 *
 * <p>Small products (B at most {@link #DIRECT_MAX_B} elements, attention's 32 x 32 heads, with
 * whole pairs of vectors in a row: masked loads and stores ran several times slower here) skip
 * the packing: A is read in place and B too when its columns are contiguous (V), or after a
 * transpose into scratch when they are not (K^T: in 16 x 16 register blocks at 512 bits,
 * {@link F32Transpose16}, when its columns are contiguous and k and n whole blocks; else four
 * columns at a time); tiles of 4 rows by two vectors then pass over a B that stays in L1, and a
 * folded softmax over rows of two vectors normalizes a tile's four rows at once
 * ({@link F32Softmax#shortRowsInPlace4}). Packing both operands into the GEMM's panels and running its 6-row tiles took
 * about twice as long at that size.
 *
 * <p>All offsets and strides are in floats. Runs on the calling thread below
 * {@link F32Gemm#PARALLEL_MIN_MACS} multiply-adds in all; above, batches are split over threads,
 * each with its own scratch slot.
 */
public final class F32StridedMatMul {
    private static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ROWS = 4;

    /** {@value #SOFTMAX_ROWS_PROPERTY}: {@code on} (default) or {@code off} (a folded softmax a row at a time); read per kernel. */
    public static final String SOFTMAX_ROWS_PROPERTY = "edgerun.java.softmaxRows";

    /** {@value #BLOCK_TRANSPOSE_PROPERTY}: {@code on} (default) or {@code off} (K^T a scalar column at a time); read per kernel. */
    public static final String BLOCK_TRANSPOSE_PROPERTY = "edgerun.java.blockTranspose";

    /** Largest B ({@code k * n} floats, 16 KiB) multiplied directly, without packing. */
    public static final int DIRECT_MAX_B = 64 * 64;

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
    private final VectorSpecies<Float> direct; // species of the direct path; null: packed products
    private final boolean blockTranspose;      // K^T into scratch in 16 x 16 register blocks (see transpose)
    private final F32RowEpilogue shortSoftmax; // a softmax epilogue over rows of two vectors, run 4 rows at once; else null

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
        this.direct = gemm.species() != null && (long) k * n <= DIRECT_MAX_B && n % (2 * gemm.species().length()) == 0 ? gemm.species() : null;
        this.shortSoftmax = epilogue instanceof F32RowEpilogue e && e.softmax() && F32Softmax.isShortRow(e.species(), n)
                && !System.getProperty(SOFTMAX_ROWS_PROPERTY, "on").trim().equals("off") ? e : null;
        this.blockTranspose = direct != null && direct.length() == F32Transpose16.LANES && bRow == 1 && bCol != 1
                && k % F32Transpose16.LANES == 0 && n % F32Transpose16.LANES == 0
                && !System.getProperty(BLOCK_TRANSPOSE_PROPERTY, "on").trim().equals("off");
        this.aPackedBytes = direct != null ? 0 : align64(4 * F32Gemm.packedASize(m, k));
        this.slotBytes = direct != null ? (bCol == 1 ? 0 : align64(4L * k * n))
                : aPackedBytes + align64(4 * gemm.packedBSize(k, n));
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
        Slots body = SLOTS.get();
        body.product = this;
        body.per = (batches + slots - 1) / slots;
        body.a = a;
        body.b = b;
        body.y = y;
        body.scratch = scratch;
        par.forRange(slots, body);
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Slots> SLOTS = ThreadLocal.withInitial(Slots::new);

    /** One split run: slot s runs batches {@code [s * per, (s + 1) * per)} in its own part of the scratch. */
    private static final class Slots implements RunContext.RangeBody {
        F32StridedMatMul product;
        int per;
        MemorySegment a;
        MemorySegment b;
        MemorySegment y;
        MemorySegment scratch;

        @Override
        public void run(int from, int to) {
            for (int slot = from; slot < to; slot++) {
                product.runBatches(slot * per, Math.min(product.batches(), (slot + 1) * per), a, b, y, scratch,
                        slot * product.slotBytes);
            }
        }
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
        if (direct != null) {
            runDirect(from, to, a, b, y, scratch, slot);
            return;
        }
        long pbAt = slot + aPackedBytes;
        for (int t = from; t < to; t++) {
            F32Gemm.packA(a, 4 * aOff[t], aRow, aCol, m, k, scratch, slot);
            if (bRow == 1 && bCol != 1) packColumns(b, 4 * bOff[t], scratch, pbAt);
            else gemm.packB(b, 4 * bOff[t], bRow, bCol, k, n, scratch, pbAt);
            gemm.multiply(m, n, k, scratch, slot, scratch, pbAt, y, 4 * yOff[t], ldy, 1f, false, epilogue,
                    Parallel.SERIAL);
        }
    }

    private void runDirect(int from, int to, MemorySegment a, MemorySegment b, MemorySegment y, MemorySegment scratch,
                           long slot) {
        for (int t = from; t < to; t++) {
            if (bCol == 1) {
                multiplyDirect(a, 4 * aOff[t], b, 4 * bOff[t], bRow, y, 4 * yOff[t]);
            } else {
                transpose(b, 4 * bOff[t], scratch, slot);
                multiplyDirect(a, 4 * aOff[t], scratch, slot, n, y, 4 * yOff[t]);
            }
        }
    }

    /**
     * B ({@code k x n} through its strides) into {@code dst} as contiguous rows of {@code n}: four B
     * columns at a time (reads along memory when its columns are rows of K, four stores side by
     * side); one column at a time took 4.5 us for attention's four 32 x 32 heads, this 2.4 us.
     */
    private void transpose(MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        if (blockTranspose) {
            transposeBlocks(src, srcOff, dst, dstOff);
            return;
        }
        int n = this.n, k = this.k;
        long colStep = 4L * bCol, rowStep = 4L * bRow, dstRow = 4L * n;
        for (int j = 0; j < n; j += 4) { // n is a multiple of 4: whole vector pairs, vectors of 2 lanes or more
            long s0 = srcOff + j * colStep, s1 = s0 + colStep, s2 = s1 + colStep, s3 = s2 + colStep;
            long d = dstOff + 4L * j;
            for (int p = 0; p < k; p++, d += dstRow) {
                long at = p * rowStep;
                float v0 = src.get(F, s0 + at), v1 = src.get(F, s1 + at), v2 = src.get(F, s2 + at), v3 = src.get(F, s3 + at);
                dst.set(F, d, v0);
                dst.set(F, d + 4, v1);
                dst.set(F, d + 8, v2);
                dst.set(F, d + 12, v3);
            }
        }
    }

    /** {@link #transpose} in 16 x 16 blocks ({@link F32Transpose16}): B's columns contiguous, k and n whole blocks. */
    private void transposeBlocks(MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        int b = F32Transpose16.LANES;
        long colStep = 4L * bCol, dstRow = 4L * n;
        for (int j0 = 0; j0 < n; j0 += b) {
            for (int p0 = 0; p0 < k; p0 += b) {
                F32Transpose16.block(src, srcOff + 4L * p0 + j0 * colStep, colStep, dst, dstOff + p0 * dstRow + 4L * j0, dstRow);
            }
        }
    }

    /** One batch: Y rows ({@code ldy} apart from {@code yAt}) = A (through its strides) . B (rows {@code ldb} floats apart, columns contiguous). */
    private void multiplyDirect(MemorySegment a, long aAt, MemorySegment b, long bAt, long ldb, MemorySegment y, long yAt) {
        int lanes = direct.length();
        for (int i0 = 0; i0 < m; i0 += ROWS) {
            int rows = Math.min(ROWS, m - i0);
            long rowAt = aAt + 4L * i0 * aRow;
            for (int j0 = 0; j0 < n; j0 += 2 * lanes) {
                tile(rows, a, rowAt, b, bAt + 4L * j0, ldb, y, yAt + 4L * ((long) i0 * ldy + j0));
            }
            if (shortSoftmax != null && rows == ROWS) {
                F32Softmax.shortRowsInPlace4(shortSoftmax.species(), y, yAt + 4L * i0 * ldy, 4L * ldy, shortSoftmax.divisor());
            } else if (epilogue != null) {
                for (int r = 0; r < rows; r++) epilogue.apply(y, yAt + 4L * (long) (i0 + r) * ldy, n);
            }
        }
    }

    /** Up to 4 rows by two vectors of columns; rows past {@code rows} reread the first row (computed, not stored). */
    private void tile(int rows, MemorySegment a, long aAt, MemorySegment b, long bAt, long ldb, MemorySegment y, long yAt) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(direct).f32(); // a JIT constant only when looked up here
        long rowBytes = 4L * aRow, colBytes = 4L * aCol, bRowBytes = 4L * ldb, half = 4L * s.length();
        long a0 = aAt, a1 = rows > 1 ? aAt + rowBytes : aAt, a2 = rows > 2 ? aAt + 2 * rowBytes : aAt,
                a3 = rows > 3 ? aAt + 3 * rowBytes : aAt;
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int p = 0; p < k; p++) {
            long bp = bAt + p * bRowBytes, ap = p * colBytes;
            FloatVector b0 = FloatVector.fromMemorySegment(s, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(s, b, bp + half, LE);
            FloatVector x = FloatVector.broadcast(s, a.get(F, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(s, a.get(F, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(s, a.get(F, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(s, a.get(F, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        long rowOut = 4L * ldy;
        c00.intoMemorySegment(y, yAt, LE);
        c01.intoMemorySegment(y, yAt + half, LE);
        if (rows > 1) {
            c10.intoMemorySegment(y, yAt + rowOut, LE);
            c11.intoMemorySegment(y, yAt + rowOut + half, LE);
        }
        if (rows > 2) {
            c20.intoMemorySegment(y, yAt + 2 * rowOut, LE);
            c21.intoMemorySegment(y, yAt + 2 * rowOut + half, LE);
        }
        if (rows > 3) {
            c30.intoMemorySegment(y, yAt + 3 * rowOut, LE);
            c31.intoMemorySegment(y, yAt + 3 * rowOut + half, LE);
        }
    }
}
