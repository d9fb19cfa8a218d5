package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C[m,n] (+)= A . B} for activations times packed constant weights at 512 bits (32 vector
 * registers): A read in place (row-major, no packing per run), B in {@link F32Gemm}'s packed
 * panels, tiles of 4 rows by two panels (4 x 4 vectors: 16 accumulators, 4 loads of B and 4
 * broadcasts of A per 16 fma). The transformer's products have 32 rows, which the 6-row tiles of
 * {@link F32Gemm} cover with 36 (a tenth of the arithmetic wasted), after packing A on each run.
 * Columns run outermost, so a B tile stays in cache while every row block passes over it; the
 * epilogue is applied to each tile once it is stored, while it is in L1. GELU (the transformer's
 * ff1) has its own pass over the tile ({@link #geluTile}) with the erf inlined: in registers
 * before the store it made the tile method too large for the JIT to keep the whole-tile store
 * straight-line (see {@link #fullTile}), and through {@link ActivationEpilogue} per row it cost
 * more (22.9 against 21.8 us for 32 x 512 x 128 with GELU, in a loop of the transformer's products).
 */
public final class F32WideTileGemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ROWS = 4;

    /**
     * Deepest K served: a B tile of this depth (128 KiB) stays in L2 while the row blocks pass over
     * it; deeper products keep {@link F32Gemm}'s K blocks. The transformer's 32x128x512 product
     * took 37 us this way against 47 us packed (load ~10, interleaved).
     */
    public static final int MAX_K = 512;

    private final VectorSpecies<Float> species;
    private final int nr; // columns of a packed B panel (2 vectors)

    public F32WideTileGemm(VectorSpecies<Float> species) {
        if (species.vectorBitSize() != 512) throw new IllegalArgumentException("needs 512-bit vectors, got " + species);
        this.species = species;
        this.nr = 2 * species.length();
    }

    /** Whether products on {@code species} of depth {@code k} should use this kernel. */
    public static boolean suits(VectorSpecies<Float> species, int k) {
        return species != null && species.vectorBitSize() == 512 && k <= MAX_K;
    }

    /**
     * {@code C = A . B}, or {@code C += A . B} when {@code accumulate}; A element (i, p) at float
     * {@code i*lda + p} from {@code aOff} bytes, B packed from {@code pbOff} bytes, C rows {@code ldc}
     * floats apart from {@code cOff} bytes; {@code epilogue} (nullable, element-wise) on finished values.
     * Column tiles, and row ranges of them when there are few ({@link #rowParts}), are split over
     * {@code par}'s threads.
     */
    public void multiply(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment pb, long pbOff,
                         MemorySegment c, long cOff, int ldc, boolean accumulate, F32GemmEpilogue epilogue, Parallel par) {
        multiply(m, n, k, a, aOff, lda, pb, pbOff, null, 0, c, cOff, ldc, accumulate, epilogue, par);
    }

    /**
     * As {@link #multiply(int, int, int, MemorySegment, long, int, MemorySegment, long, MemorySegment, long, int, boolean,
     * F32GemmEpilogue, Parallel)}, with {@code bias} (nullable: none; n floats from {@code biasOff} bytes) added to every
     * row where {@code accumulate} would add C's old values (the same sums, in the same order, as filling C with the bias
     * and accumulating), so C is written once rather than filled first and read back (a MatMul's fused bias,
     * {@link RowBiasGemm}). {@code accumulate} must then be false.
     */
    public void multiply(int m, int n, int k, MemorySegment a, long aOff, int lda, MemorySegment pb, long pbOff,
                         MemorySegment bias, long biasOff, MemorySegment c, long cOff, int ldc, boolean accumulate,
                         F32GemmEpilogue epilogue, Parallel par) {
        if (bias != null && accumulate) throw new IllegalArgumentException("a bias row replaces accumulation onto C, not both");
        int tiles = (n + 2 * nr - 1) / (2 * nr);
        int rowBlocks = (m + ROWS - 1) / ROWS;
        if (par.threads() <= 1) {
            for (int t = 0; t < tiles; t++) {
                columnTile(t, 0, rowBlocks, m, n, k, a, aOff, lda, pb, pbOff, bias, biasOff, c, cOff, ldc, accumulate, epilogue);
            }
            return;
        }
        int rowParts = rowParts(tiles, rowBlocks, par.threads());
        Tasks body = TASKS.get();
        body.gemm = this;
        body.rowParts = rowParts;
        body.rowBlocks = rowBlocks;
        body.m = m;
        body.n = n;
        body.k = k;
        body.a = a;
        body.aOff = aOff;
        body.lda = lda;
        body.pb = pb;
        body.pbOff = pbOff;
        body.bias = bias;
        body.biasOff = biasOff;
        body.c = c;
        body.cOff = cOff;
        body.ldc = ldc;
        body.accumulate = accumulate;
        body.epilogue = epilogue;
        par.forRange(tiles * rowParts, body);
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Tasks> TASKS = ThreadLocal.withInitial(Tasks::new);

    /** One split product: task t is row range {@code t % rowParts} of column tile {@code t / rowParts}. */
    private static final class Tasks implements RunContext.RangeBody {
        F32WideTileGemm gemm;
        int rowParts;
        int rowBlocks;
        int m;
        int n;
        int k;
        MemorySegment a;
        long aOff;
        int lda;
        MemorySegment pb;
        long pbOff;
        MemorySegment bias;
        long biasOff;
        MemorySegment c;
        long cOff;
        int ldc;
        boolean accumulate;
        F32GemmEpilogue epilogue;

        @Override
        public void run(int from, int to) {
            for (int task = from; task < to; task++) {
                int part = task % rowParts;
                gemm.columnTile(task / rowParts, rowBlocks * part / rowParts, rowBlocks * (part + 1) / rowParts, m, n, k, a,
                        aOff, lda, pb, pbOff, bias, biasOff, c, cOff, ldc, accumulate, epilogue);
            }
        }
    }

    /**
     * Into how many row ranges each column tile is split over threads: enough that there are
     * about four tasks per thread (the pool hands out work in that many parts), since the
     * transformer's products have few column tiles (n = 128 is one tile, 384 three), which split by
     * columns alone left one thread idle or a third of the work on one side. Every row range of a
     * tile reads the whole B tile, as the row blocks of one thread do.
     */
    static int rowParts(int tiles, int rowBlocks, int threads) {
        int wanted = (4 * threads + tiles - 1) / tiles;
        return Math.max(1, Math.min(rowBlocks, wanted));
    }

    /** Column tile {@code tile} (of {@code 2*nr} columns), row blocks {@code [fromBlock, toBlock)} of it. */
    private void columnTile(int tile, int fromBlock, int toBlock, int m, int n, int k, MemorySegment a, long aOff, int lda,
                            MemorySegment pb, long pbOff, MemorySegment bias, long biasOff, MemorySegment c, long cOff, int ldc,
                            boolean accumulate, F32GemmEpilogue epilogue) {
        long panelBytes = 4L * nr * k;
        int j0 = tile * 2 * nr;
        int cols = Math.min(2 * nr, n - j0);
        long bAt = pbOff + panelBytes * (j0 / nr);
        boolean gelu = epilogue instanceof ActivationEpilogue e && e.op() == F32UnaryOp.GELU;
        for (int i0 = fromBlock * ROWS; i0 < Math.min(m, toBlock * ROWS); i0 += ROWS) {
            int rows = Math.min(ROWS, m - i0);
            long cAt = cOff + 4L * ((long) i0 * ldc + j0);
            long aAt = aOff + 4L * i0 * lda;
            if (rows == ROWS && cols == 2 * nr) {
                fullTile(k, a, aAt, lda, pb, bAt, panelBytes, bias, biasOff + 4L * j0, c, cAt, ldc, accumulate);
            } else {
                tile(k, rows, cols, a, aAt, lda, pb, bAt, panelBytes, bias, biasOff + 4L * j0, c, cAt, ldc, accumulate);
            }
            if (gelu) {
                geluTile(c, cAt, ldc, rows, cols);
            } else if (epilogue != null) {
                for (int r = 0; r < rows; r++) epilogue.apply(c, cAt + 4L * r * ldc, cols);
            }
        }
    }

    /**
     * A whole tile, 4 rows by two panels: the same sums as {@link #tile}, stored by straight-line
     * code (the switch over 16 accumulators cost a tenth of a 32x384x128 product). Kept apart from
     * {@link #tile} because one method with both stores outgrew C1's register allocator ("out of
     * virtual registers"), and a method left at tier 2 runs its vectors boxed, 100 times slower.
     */
    private void fullTile(int k, MemorySegment a, long aAt, int lda, MemorySegment b, long bAt, long panelBytes,
                          MemorySegment bias, long biasAt, MemorySegment c, long cAt, int ldc, boolean accumulate) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        long half = 4L * lanes;
        long rowBytes = 4L * lda;
        long a0 = aAt, a1 = aAt + rowBytes, a2 = aAt + 2 * rowBytes, a3 = aAt + 3 * rowBytes;
        long b2At = bAt + panelBytes;
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        long bStep = 4L * nr;
        for (int p = 0; p < k; p++) {
            long bp = bAt + p * bStep, bq = b2At + p * bStep;
            FloatVector b0 = FloatVector.fromMemorySegment(s, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(s, b, bp + half, LE);
            FloatVector b2 = FloatVector.fromMemorySegment(s, b, bq, LE);
            FloatVector b3 = FloatVector.fromMemorySegment(s, b, bq + half, LE);
            long ap = 4L * p;
            FloatVector x = FloatVector.broadcast(s, a.get(F, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(s, a.get(F, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(s, a.get(F, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(s, a.get(F, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        boolean adds = accumulate || bias != null;
        MemorySegment addend = accumulate ? c : bias;
        long at = accumulate ? cAt : biasAt, step = accumulate ? 4L * ldc : 0;
        if (adds) {
            c00 = c00.add(FloatVector.fromMemorySegment(s, addend, at, LE));
            c01 = c01.add(FloatVector.fromMemorySegment(s, addend, at + half, LE));
            c02 = c02.add(FloatVector.fromMemorySegment(s, addend, at + 2 * half, LE));
            c03 = c03.add(FloatVector.fromMemorySegment(s, addend, at + 3 * half, LE));
            c10 = c10.add(FloatVector.fromMemorySegment(s, addend, at + step, LE));
            c11 = c11.add(FloatVector.fromMemorySegment(s, addend, at + step + half, LE));
            c12 = c12.add(FloatVector.fromMemorySegment(s, addend, at + step + 2 * half, LE));
            c13 = c13.add(FloatVector.fromMemorySegment(s, addend, at + step + 3 * half, LE));
            c20 = c20.add(FloatVector.fromMemorySegment(s, addend, at + 2 * step, LE));
            c21 = c21.add(FloatVector.fromMemorySegment(s, addend, at + 2 * step + half, LE));
            c22 = c22.add(FloatVector.fromMemorySegment(s, addend, at + 2 * step + 2 * half, LE));
            c23 = c23.add(FloatVector.fromMemorySegment(s, addend, at + 2 * step + 3 * half, LE));
            c30 = c30.add(FloatVector.fromMemorySegment(s, addend, at + 3 * step, LE));
            c31 = c31.add(FloatVector.fromMemorySegment(s, addend, at + 3 * step + half, LE));
            c32 = c32.add(FloatVector.fromMemorySegment(s, addend, at + 3 * step + 2 * half, LE));
            c33 = c33.add(FloatVector.fromMemorySegment(s, addend, at + 3 * step + 3 * half, LE));
        }
        long row = 4L * ldc;
        c00.intoMemorySegment(c, cAt, LE);
        c01.intoMemorySegment(c, cAt + half, LE);
        c02.intoMemorySegment(c, cAt + 2 * half, LE);
        c03.intoMemorySegment(c, cAt + 3 * half, LE);
        c10.intoMemorySegment(c, cAt + row, LE);
        c11.intoMemorySegment(c, cAt + row + half, LE);
        c12.intoMemorySegment(c, cAt + row + 2 * half, LE);
        c13.intoMemorySegment(c, cAt + row + 3 * half, LE);
        c20.intoMemorySegment(c, cAt + 2 * row, LE);
        c21.intoMemorySegment(c, cAt + 2 * row + half, LE);
        c22.intoMemorySegment(c, cAt + 2 * row + 2 * half, LE);
        c23.intoMemorySegment(c, cAt + 2 * row + 3 * half, LE);
        c30.intoMemorySegment(c, cAt + 3 * row, LE);
        c31.intoMemorySegment(c, cAt + 3 * row + half, LE);
        c32.intoMemorySegment(c, cAt + 3 * row + 2 * half, LE);
        c33.intoMemorySegment(c, cAt + 3 * row + 3 * half, LE);
    }

    /**
     * A tile of up to 4 rows and up to two panels ({@code cols <= 2*nr}). Rows past {@code rows}
     * reread the first row (computed, never stored); a second panel past n is read as the first's
     * zero padding would be (the packed B ends there, so it is not read: its columns are masked).
     */
    private void tile(int k, int rows, int cols, MemorySegment a, long aAt, int lda, MemorySegment b, long bAt,
                      long panelBytes, MemorySegment bias, long biasAt, MemorySegment c, long cAt, int ldc,
                      boolean accumulate) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        long half = 4L * lanes;
        long rowBytes = 4L * lda;
        long a0 = aAt, a1 = rows > 1 ? aAt + rowBytes : aAt, a2 = rows > 2 ? aAt + 2 * rowBytes : aAt,
                a3 = rows > 3 ? aAt + 3 * rowBytes : aAt;
        long b2At = cols > nr ? bAt + panelBytes : bAt; // no second panel: the first read twice, its sums dropped
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        long bStep = 4L * nr;
        for (int p = 0; p < k; p++) {
            long bp = bAt + p * bStep, bq = b2At + p * bStep;
            FloatVector b0 = FloatVector.fromMemorySegment(s, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(s, b, bp + half, LE);
            FloatVector b2 = FloatVector.fromMemorySegment(s, b, bq, LE);
            FloatVector b3 = FloatVector.fromMemorySegment(s, b, bq + half, LE);
            long ap = 4L * p;
            FloatVector x = FloatVector.broadcast(s, a.get(F, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(s, a.get(F, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(s, a.get(F, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(s, a.get(F, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        // One store block, the row's accumulators picked by a switch, the column vector by a loop
        // (a helper taking vectors that the JIT does not inline makes it box them); what is added
        // to the sums (C's old values, or the bias row) read by one load site.
        boolean adds = accumulate || bias != null;
        for (int r = 0; r < rows; r++) {
            long row = cAt + 4L * r * ldc;
            MemorySegment addend = accumulate ? c : bias;
            long addendRow = accumulate ? row : biasAt;
            for (int q = 0; q < 4 && q * lanes < cols; q++) {
                FloatVector v = switch (r * 4 + q) {
                    case 0 -> c00;
                    case 1 -> c01;
                    case 2 -> c02;
                    case 3 -> c03;
                    case 4 -> c10;
                    case 5 -> c11;
                    case 6 -> c12;
                    case 7 -> c13;
                    case 8 -> c20;
                    case 9 -> c21;
                    case 10 -> c22;
                    case 11 -> c23;
                    case 12 -> c30;
                    case 13 -> c31;
                    case 14 -> c32;
                    default -> c33;
                };
                long at = row + q * half;
                if ((q + 1) * lanes <= cols) {
                    if (adds) v = v.add(FloatVector.fromMemorySegment(s, addend, addendRow + q * half, LE));
                    v.intoMemorySegment(c, at, LE);
                } else {
                    VectorMask<Float> in = s.indexInRange(q * lanes, cols);
                    if (adds) v = v.add(FloatVector.fromMemorySegment(s, addend, addendRow + q * half, LE, in));
                    v.intoMemorySegment(c, at, LE, in);
                }
            }
        }
    }

    /** GELU over a stored tile of {@code rows} x {@code cols} (still in L1). */
    private void geluTile(MemorySegment c, long cAt, int ldc, int rows, int cols) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        for (int r = 0; r < rows; r++) {
            long row = cAt + 4L * r * ldc;
            int j = 0;
            for (; j + lanes <= cols; j += lanes) {
                FloatVector v = FloatVector.fromMemorySegment(s, c, row + 4L * j, LE);
                v.mul(0.5f).mul(erf(v.mul(F32UnaryOp.SQRT_HALF)).add(1f)).intoMemorySegment(c, row + 4L * j, LE);
            }
            if (j < cols) {
                VectorMask<Float> in = s.indexInRange(j, cols);
                FloatVector v = FloatVector.fromMemorySegment(s, c, row + 4L * j, LE, in);
                v.mul(0.5f).mul(erf(v.mul(F32UnaryOp.SQRT_HALF)).add(1f)).intoMemorySegment(c, row + 4L * j, LE, in);
            }
        }
    }

    /** {@link F32Unary}'s vector erf, here so that {@link #geluTile} inlines it. */
    private static FloatVector erf(FloatVector v) {
        // The clamp to [-4, 4] by compare and blend: max/min with Java's NaN and signed-zero rules
        // took several instructions each, a third of the GELU. A NaN compares false and stays NaN,
        // as with max/min, and no zero is at a bound: the same values.
        FloatVector x = v.blend(-4f, v.compare(VectorOperators.LT, -4f)).blend(4f, v.compare(VectorOperators.GT, 4f));
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(F32UnaryOp.A13, F32UnaryOp.A11).fma(x2, x2.broadcast(F32UnaryOp.A9)).fma(x2, x2.broadcast(F32UnaryOp.A7))
                .fma(x2, x2.broadcast(F32UnaryOp.A5)).fma(x2, x2.broadcast(F32UnaryOp.A3)).fma(x2, x2.broadcast(F32UnaryOp.A1));
        FloatVector q = x2.fma(F32UnaryOp.B8, F32UnaryOp.B6).fma(x2, x2.broadcast(F32UnaryOp.B4)).fma(x2, x2.broadcast(F32UnaryOp.B2))
                .fma(x2, x2.broadcast(F32UnaryOp.B0));
        return x.mul(p).div(q);
    }
}
