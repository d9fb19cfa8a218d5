package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packed, blocked single-precision matrix product: the heart of Gemm, MatMul and Conv.
 *
 * <p>Operands are first packed: A into panels of {@link #MR} rows ({@code [ceil(m/MR)][k][MR]}),
 * B into panels of {@link #nr()} columns ({@code [ceil(n/nr)][k][nr]}), zero padded, so that the
 * micro-kernel streams both with unit stride. Constant weights are packed once at compile time;
 * convolution writes im2col output straight into B's panel layout. The product walks K in blocks of
 * {@link #KC} and M in blocks of {@link #MC} so that an A block stays in L2 and a B micro-panel in
 * L1, and computes each MR x nr tile in registers: 2 x MR vector accumulators updated with
 * {@code fma}. With a null species the same packed layout is multiplied by a scalar loop.
 */
public final class F32Gemm {
    /** Rows of a register tile. */
    public static final int MR = 6;
    /** Depth of a K block. */
    public static final int KC = 256;
    /** Rows of an M block (a multiple of MR). */
    public static final int MC = 120;

    /**
     * Multiply-adds (m*n*k, or n*k for {@link F32Gemv}) below which a product runs on the calling
     * thread even when given threads: handing ranges to a second thread costs a wake-up and cache
     * transfers, more than small products take. Measured on the shared 2-core machine (AVX-512,
     * session WorkerPool, medians of 2 threads against 1, load average 3.4-4.7): below 1M
     * multiply-adds 2 threads were up to twice as slow and never faster, e.g. 64x125x64 (kws_dscnn
     * 1x1 conv, 512k) 15.7 us against 10.4, 16x256x64 (262k) 11.2 against 5.6; one-row products
     * n=256 k=256 (65k) 8.2 against 2.4, n=1024 k=256 (262k) 13.7 against 10.8. Above it the
     * second thread only helps when the other core is free: 64x256x256 (4M) 81 against 76, but
     * 256x512x256 (33M) 319 against 593 in the fastest tenth of calls. On a quiet machine the
     * break-even is likely lower; the edge models' products are nearly all under 1M.
     */
    public static final long PARALLEL_MIN_MACS = 1L << 20;

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int SCALAR_NR = 8;

    private final VectorSpecies<Float> species; // null: scalar loops
    private final Micro micro;                  // null: scalar loops
    private final int lanes;
    private final int nr;
    private final long parallelMinMacs;

    /** A GEMM on {@code species} lanes; null means scalar. */
    public F32Gemm(VectorSpecies<Float> species) {
        this(species, PARALLEL_MIN_MACS);
    }

    /** A GEMM that splits products of at least {@code parallelMinMacs} multiply-adds over threads (tests pass 0). */
    F32Gemm(VectorSpecies<Float> species, long parallelMinMacs) {
        this.species = species;
        this.micro = species == null ? null : Micro.of(species);
        this.lanes = species == null ? SCALAR_NR / 2 : species.length();
        this.nr = 2 * lanes;
        this.parallelMinMacs = parallelMinMacs;
    }

    /**
     * {@code par}, or {@link Parallel#SERIAL} when {@code macs} multiply-adds are too few to be
     * worth a second thread ({@link #PARALLEL_MIN_MACS}); for work split around a product, such as
     * building its packed operands.
     */
    public Parallel parallelFor(long macs, Parallel par) {
        return macs < parallelMinMacs ? Parallel.SERIAL : par;
    }

    /** The GEMM for {@link Vectors#F32} (scalar when vectors are disabled). */
    public static F32Gemm preferred() {
        return new F32Gemm(Vectors.F32);
    }

    /** Columns of a register tile and of a packed B panel. */
    public int nr() {
        return nr;
    }

    public VectorSpecies<Float> species() {
        return species;
    }

    /**
     * Memory for weights packed at compile time: native, 64-byte aligned, freed by the garbage
     * collector with the kernel that holds it ({@link Arena#ofAuto()}; kernels have no close).
     * Not a heap array: heap and native segments meeting at one access site make it polymorphic,
     * and the JIT then compiles the vector loads several times slower.
     */
    public static MemorySegment allocatePacked(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 4), 64);
    }

    /** Floats of packed A for an {@code m x k} operand. */
    public static long packedASize(int m, int k) {
        return (long) ceilDiv(m, MR) * MR * k;
    }

    /** Floats of packed B for a {@code k x n} operand. */
    public long packedBSize(int k, int n) {
        return (long) ceilDiv(n, nr) * nr * k;
    }

    // ------------------------------------------------------------------ packing

    /**
     * Packs A ({@code m x k}; element (i, p) at float index {@code i*rowStride + p*colStride} from
     * {@code srcOff} bytes) into {@code dst} at {@code dstOff} bytes.
     */
    public static void packA(MemorySegment src, long srcOff, long rowStride, long colStride, int m, int k,
                             MemorySegment dst, long dstOff) {
        int panels = ceilDiv(m, MR);
        for (int ip = 0; ip < panels; ip++) {
            int i0 = ip * MR;
            int rows = Math.min(MR, m - i0);
            long d = dstOff + 4L * MR * k * ip;
            long s0 = srcOff + 4 * i0 * rowStride;
            if (colStride == 1) packContiguousRows(src, s0, 4 * rowStride, rows, k, dst, d);
            else packRows(src, s0, 4 * rowStride, 4 * colStride, rows, k, dst, d);
            if (rows < MR) zeroRows(rows, k, dst, d);
        }
    }

    /**
     * Rows {@code [0, rows)} of one panel, a row at a time: reads run along the row and no row
     * loop sits inside the column loop. The loop nest the other way round took 1-2 ns per float,
     * 40% of a transformer's feed-forward GEMM (A 32x512); this one about 0.25 ns.
     */
    private static void packRows(MemorySegment src, long s0, long rowBytes, long colBytes, int rows, int k,
                                 MemorySegment dst, long d) {
        for (int r = 0; r < rows; r++) {
            long s = s0 + r * rowBytes;
            long at = d + 4L * r;
            for (int p = 0; p < k; p++) dst.set(F, at + 4L * MR * p, src.get(F, s + p * colBytes));
        }
    }

    /** {@link #packRows} for rows stored contiguously: a constant stride lets the JIT unroll (0.9 -> 0.25 ns per float). */
    private static void packContiguousRows(MemorySegment src, long s0, long rowBytes, int rows, int k,
                                           MemorySegment dst, long d) {
        for (int r = 0; r < rows; r++) {
            long s = s0 + r * rowBytes;
            long at = d + 4L * r;
            for (int p = 0; p < k; p++) dst.set(F, at + 4L * MR * p, src.get(F, s + 4L * p));
        }
    }

    /** Rows {@code [from, MR)} of one panel set to zero, a row at a time. */
    private static void zeroRows(int from, int k, MemorySegment dst, long d) {
        for (int r = from; r < MR; r++) {
            long at = d + 4L * r;
            for (int p = 0; p < k; p++) dst.set(F, at + 4L * MR * p, 0f);
        }
    }

    /**
     * Packs B ({@code k x n}; element (p, j) at float index {@code p*rowStride + j*colStride} from
     * {@code srcOff} bytes) into {@code dst} at {@code dstOff} bytes.
     */
    public void packB(MemorySegment src, long srcOff, long rowStride, long colStride, int k, int n,
                      MemorySegment dst, long dstOff) {
        packBPanels(src, srcOff, rowStride, colStride, k, n, 0, ceilDiv(n, nr), dst, dstOff);
    }

    /** Packs B panels {@code [panelFrom, panelTo)} only (for splitting packing over threads). */
    public void packBPanels(MemorySegment src, long srcOff, long rowStride, long colStride, int k, int n,
                            int panelFrom, int panelTo, MemorySegment dst, long dstOff) {
        for (int jp = panelFrom; jp < panelTo; jp++) {
            int j0 = jp * nr;
            int cols = Math.min(nr, n - j0);
            long d = dstOff + 4L * jp * nr * k;
            if (PanelPack.packed(src, srcOff + 4 * (j0 * colStride), rowStride, colStride, k, cols, nr, dst, d)) continue;
            for (int p = 0; p < k; p++) {
                long s = srcOff + 4 * (p * rowStride + j0 * colStride);
                if (colStride == 1 && cols == nr) {
                    MemorySegment.copy(src, s, dst, d, 4L * nr);
                } else {
                    for (int c = 0; c < cols; c++) dst.set(F, d + 4L * c, src.get(F, s + 4 * c * colStride));
                    for (int c = cols; c < nr; c++) dst.set(F, d + 4L * c, 0f);
                }
                d += 4L * nr;
            }
        }
    }

    // ------------------------------------------------------------------ product

    /**
     * {@code C[m,n] = alpha * A . B} (+ the previous C when {@code accumulate}) over packed
     * operands; C is row-major with leading dimension {@code ldc} floats from {@code cOff} bytes.
     * {@code epilogue} (nullable) is applied to each finished run of a C row.
     */
    public void multiply(int m, int n, int k, MemorySegment pa, long paOff, MemorySegment pb, long pbOff,
                         MemorySegment c, long cOff, int ldc, float alpha, boolean accumulate,
                         F32GemmEpilogue epilogue, Parallel par) {
        if (m == 0 || n == 0) return;
        int nPanels = ceilDiv(n, nr);
        int mBlocks = ceilDiv(m, MC);
        int threads = parallelFor((long) m * n * k, par).threads();
        int group = threads <= 1 ? nPanels : Math.max(1, ceilDiv(nPanels * mBlocks, 4 * threads) / mBlocks);
        group = Math.max(1, Math.min(nPanels, group));
        int nGroups = ceilDiv(nPanels, group);
        int tasks = mBlocks * nGroups;
        int g = group;
        if (threads <= 1) {
            runTasks(0, tasks, nGroups, g, m, n, k, pa, paOff, pb, pbOff, c, cOff, ldc, alpha, accumulate, epilogue);
        } else {
            Tasks body = TASKS.get();
            body.gemm = this;
            body.nGroups = nGroups;
            body.group = g;
            body.m = m;
            body.n = n;
            body.k = k;
            body.pa = pa;
            body.paOff = paOff;
            body.pb = pb;
            body.pbOff = pbOff;
            body.c = c;
            body.cOff = cOff;
            body.ldc = ldc;
            body.alpha = alpha;
            body.accumulate = accumulate;
            body.epilogue = epilogue;
            par.forRange(tasks, body);
        }
    }

    // Each thread's tile accumulators between Micro's FMA loop and its store (allocated once per thread).
    private static final ThreadLocal<float[]> ACCUMULATORS =
            ThreadLocal.withInitial(() -> new float[Micro.ACCUMULATOR_FLOATS]);

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Tasks> TASKS = ThreadLocal.withInitial(Tasks::new);

    /** One split product: tasks are (M block, group of column panels) pairs, as {@link #runTasks} walks them. */
    private static final class Tasks implements RunContext.RangeBody {
        F32Gemm gemm;
        int nGroups;
        int group;
        int m;
        int n;
        int k;
        MemorySegment pa;
        long paOff;
        MemorySegment pb;
        long pbOff;
        MemorySegment c;
        long cOff;
        int ldc;
        float alpha;
        boolean accumulate;
        F32GemmEpilogue epilogue;

        @Override
        public void run(int from, int to) {
            gemm.runTasks(from, to, nGroups, group, m, n, k, pa, paOff, pb, pbOff, c, cOff, ldc, alpha, accumulate, epilogue);
        }
    }

    /**
     * {@code C[m,n] = A . B + bias[i]} over packed operands, then {@code epilogue}: the row bias (a
     * convolution's bias, {@code m} floats from {@code biasOff} bytes; null for none) is written
     * into C first, a vector at a time, and the product accumulated onto it. (Adding the bias and
     * clamping in the micro-kernel's registers instead made ResNet-18's convolutions about 1.4x
     * slower in the model, though not in a kernel benchmark, so the micro-kernel stays as it was.)
     */
    public void multiplyBiased(int m, int n, int k, MemorySegment pa, long paOff, MemorySegment pb, long pbOff,
                               MemorySegment c, long cOff, int ldc, MemorySegment bias, long biasOff,
                               F32GemmEpilogue epilogue, Parallel par) {
        if (bias != null) fillRows(c, cOff, ldc, m, n, bias, biasOff);
        multiply(m, n, k, pa, paOff, pb, pbOff, c, cOff, ldc, 1f, bias != null, epilogue, par);
    }

    /** Row i of C ({@code n} floats) set to {@code bias[i]}. */
    private void fillRows(MemorySegment c, long cOff, int ldc, int m, int n, MemorySegment bias, long biasOff) {
        for (int i = 0; i < m; i++) {
            float b = bias.get(F, biasOff + 4L * i);
            long row = cOff + 4L * i * ldc;
            int j = 0;
            if (species != null) {
                VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
                FloatVector bv = FloatVector.broadcast(s, b);
                for (; j + s.length() <= n; j += s.length()) bv.intoMemorySegment(c, row + 4L * j, LE);
            }
            for (; j < n; j++) c.set(F, row + 4L * j, b);
        }
    }

    private void runTasks(int from, int to, int nGroups, int group, int m, int n, int k,
                          MemorySegment pa, long paOff, MemorySegment pb, long pbOff,
                          MemorySegment c, long cOff, int ldc, float alpha, boolean accumulate,
                          F32GemmEpilogue epilogue) {
        int nPanels = ceilDiv(n, nr);
        float[] acc = species == null ? null : ACCUMULATORS.get();
        for (int t = from; t < to; t++) {
            int m0 = (t / nGroups) * MC;
            int m1 = Math.min(m, m0 + MC);
            int jp0 = (t % nGroups) * group;
            int jp1 = Math.min(nPanels, jp0 + group);
            if (k == 0) {
                if (!accumulate) clear(c, cOff, ldc, m0, m1, jp0 * nr, Math.min(n, jp1 * nr));
            }
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                boolean load = accumulate || p0 > 0;
                for (int jp = jp0; jp < jp1; jp++) {
                    int j0 = jp * nr;
                    int cols = Math.min(nr, n - j0);
                    long bAt = pbOff + 4L * ((long) jp * nr * k + (long) p0 * nr);
                    for (int i0 = m0; i0 < m1; i0 += MR) {
                        int rows = Math.min(MR, m1 - i0);
                        long aAt = paOff + 4L * ((long) i0 * k + (long) p0 * MR);
                        long cAt = cOff + 4L * ((long) i0 * ldc + j0);
                        if (species == null) {
                            microScalar(kc, pa, aAt, pb, bAt, c, cAt, ldc, rows, cols, load, alpha);
                        } else {
                            micro.tile(kc, pa, aAt, pb, bAt, c, cAt, ldc, rows, cols, load, alpha, acc);
                        }
                    }
                }
            }
            if (epilogue != null) {
                int j0 = jp0 * nr;
                int cols = Math.min(n, jp1 * nr) - j0;
                for (int i = m0; i < m1; i++) epilogue.apply(c, cOff + 4L * ((long) i * ldc + j0), cols);
            }
        }
    }

    private static void clear(MemorySegment c, long cOff, int ldc, int m0, int m1, int j0, int j1) {
        for (int i = m0; i < m1; i++) c.asSlice(cOff + 4L * ((long) i * ldc + j0), 4L * (j1 - j0)).fill((byte) 0);
    }

    private void microScalar(int kc, MemorySegment a, long aAt, MemorySegment b, long bAt, MemorySegment c, long cAt,
                             int ldc, int rows, int cols, boolean load, float alpha) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                float s = 0;
                for (int p = 0; p < kc; p++) {
                    s += a.get(F, aAt + 4L * (p * MR + r)) * b.get(F, bAt + 4L * ((long) p * nr + j));
                }
                long at = cAt + 4L * ((long) r * ldc + j);
                c.set(F, at, load ? c.get(F, at) + alpha * s : alpha * s);
            }
        }
    }

    /**
     * The register-tiled vector micro-kernel. The species comes from {@link #s()}, which each
     * final subclass answers with a {@code static final} species: the Vector API only compiles to
     * vector instructions when the species is a constant, and a session uses one width, so the
     * JIT sees one receiver class and folds the species. (Tests that run several widths in one
     * JVM get correct but slower code.)
     *
     * <p>The FMA loop ({@link #products}) and the store into C ({@link #store}) are separate
     * methods that hand the 12 accumulators over through a per-thread array (24 vector moves per
     * tile against {@code 12 * kc} FMAs). In one method the loop shared the method's registers with
     * the store's many live values: C2 recomputed each iteration's A address from three stack
     * slots (about 30 instructions per 12 FMAs), and the store's data-dependent branches (partial
     * rows and columns, first seen late) deoptimized and recompiled the whole loop.
     */
    abstract static class Micro {
        abstract VectorSpecies<Float> s();

        static Micro of(VectorSpecies<Float> species) {
            return switch (species.vectorBitSize()) {
                case 512 -> new Micro512();
                case 256 -> new Micro256();
                case 128 -> new Micro128();
                case 64 -> new Micro64();
                default -> throw new IllegalArgumentException("no micro-kernel for " + species);
            };
        }

        /** Floats of the accumulator array a thread passes to {@link #tile}: MR rows of two vectors of the widest species. */
        static final int ACCUMULATOR_FLOATS = 2 * MR * 16;

        final void tile(int kc, MemorySegment a, long aAt, MemorySegment b, long bAt, MemorySegment c, long cAt,
                        int ldc, int rows, int cols, boolean load, float alpha, float[] acc) {
            products(kc, a, aAt, b, bAt, acc);
            store(acc, c, cAt, ldc, rows, cols, load, alpha);
        }

        /** The MR x nr tile of A . B over {@code kc} depths into {@code acc}, row r's two vectors at {@code 2 * r * lanes}. */
        private void products(int kc, MemorySegment a, long aAt, MemorySegment b, long bAt, float[] acc) {
            VectorSpecies<Float> s = s();
            int lanes = s.length();
            long half = 4L * lanes;
            long bStep = 8L * lanes;
            FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            long ap = aAt;
            long bp = bAt;
            for (int p = 0; p < kc; p++) {
                FloatVector b0 = FloatVector.fromMemorySegment(s, b, bp, LE);
                FloatVector b1 = FloatVector.fromMemorySegment(s, b, bp + half, LE);
                FloatVector x = FloatVector.broadcast(s, a.get(F, ap));
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(s, a.get(F, ap + 4));
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(s, a.get(F, ap + 8));
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(s, a.get(F, ap + 12));
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
                x = FloatVector.broadcast(s, a.get(F, ap + 16));
                c40 = x.fma(b0, c40);
                c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(s, a.get(F, ap + 20));
                c50 = x.fma(b0, c50);
                c51 = x.fma(b1, c51);
                ap += 4L * MR;
                bp += bStep;
            }
            c00.intoArray(acc, 0);
            c01.intoArray(acc, lanes);
            c10.intoArray(acc, 2 * lanes);
            c11.intoArray(acc, 3 * lanes);
            c20.intoArray(acc, 4 * lanes);
            c21.intoArray(acc, 5 * lanes);
            c30.intoArray(acc, 6 * lanes);
            c31.intoArray(acc, 7 * lanes);
            c40.intoArray(acc, 8 * lanes);
            c41.intoArray(acc, 9 * lanes);
            c50.intoArray(acc, 10 * lanes);
            c51.intoArray(acc, 11 * lanes);
        }

        /** Rows {@code [0, rows)} and columns {@code [0, cols)} of the tile in {@code acc}, times alpha, written (or added) to C. */
        private void store(float[] acc, MemorySegment c, long cAt, int ldc, int rows, int cols, boolean load,
                           float alpha) {
            VectorSpecies<Float> s = s();
            int lanes = s.length();
            long half = 4L * lanes;
            long row = 4L * ldc;
            boolean full = cols == 2 * lanes;
            VectorMask<Float> m0 = s.indexInRange(0, cols);
            VectorMask<Float> m1 = s.indexInRange(lanes, cols);
            for (int r = 0; r < rows; r++) {
                FloatVector v0 = FloatVector.fromArray(s, acc, 2 * r * lanes);
                FloatVector v1 = FloatVector.fromArray(s, acc, (2 * r + 1) * lanes);
                long at = cAt + r * row;
                if (alpha != 1f) {
                    v0 = v0.mul(alpha);
                    v1 = v1.mul(alpha);
                }
                if (full) {
                    if (load) {
                        v0 = v0.add(FloatVector.fromMemorySegment(s, c, at, LE));
                        v1 = v1.add(FloatVector.fromMemorySegment(s, c, at + half, LE));
                    }
                    v0.intoMemorySegment(c, at, LE);
                    v1.intoMemorySegment(c, at + half, LE);
                } else {
                    if (load) {
                        v0 = v0.add(FloatVector.fromMemorySegment(s, c, at, LE, m0));
                        v1 = v1.add(FloatVector.fromMemorySegment(s, c, at + half, LE, m1));
                    }
                    v0.intoMemorySegment(c, at, LE, m0);
                    v1.intoMemorySegment(c, at + half, LE, m1);
                }
            }
        }
    }

    static final class Micro512 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro256 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro128 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro64 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
