package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link F32Gemm}'s blocked product over integer-valued packed operands whose last K block
 * requantizes each register tile straight into 8-bit output rows: per output row (channel) m,
 * {@code y = saturate(rint((acc + bias[m]) * multiplier[m]) + zp)} into {@code [lo, hi]}, the
 * operations of {@link Q8Lanes#requantize} lane for lane, so the bytes are the same as the
 * separate pass gives. The int32 accumulators never reach memory when K is at most
 * {@link #SINGLE_PASS_K}: the whole reduction is one block (a deeper tile than {@link F32Gemm}'s
 * {@link F32Gemm#KC}; its B panel, at most 128 KiB, stays in L2); deeper products keep their
 * partial sums in a float buffer between blocks of {@link F32Gemm#KC}. 512-bit vectors only (16 float lanes meet a 128-bit byte
 * vector exactly; at narrower widths the JIT left these conversions unintrinsified, see
 * {@link Q8Lanes#fast}). Biases must be exact in float32 (at most 2^24 in magnitude).
 *
 * <p>Packed A (the int8 weights as floats, {@link F32Gemm#packA}'s layout) is a heap
 * {@code float[]}, not a segment, for the reason of commit a0f6852 ({@link F32ImplicitConv#packWeights}):
 * the tile indexes it by an int linear in its loop variable, so C2 hoists the range check out of
 * the loop, where each A broadcast from a segment cost about 20 instructions of long-index
 * range-check arithmetic and stack reloads per two FMAs.
 */
final class Q8Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int LANES = 16;
    private static final int NR = 2 * LANES;
    private static final int MR = F32Gemm.MR, KC = F32Gemm.KC, MC = F32Gemm.MC;
    private static final int EXACT_FLOAT_INT = 1 << 24;
    /**
     * Reductions up to this depth run as one K block: no partial sums written and read back, and
     * no second tile method to compile (MobileNet-v2's deepest, 960, had two K blocks, and its
     * 1x1 projections ran 1.4-1.6x slower than float in the model).
     */
    static final int SINGLE_PASS_K = 1024;

    // Each thread's tile accumulators between products and the store (allocated once per thread).
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private final F32Gemm gemm; // the packed layouts and the threading threshold
    private final Q8Reusable<Tasks> splits = new Q8Reusable<>(Tasks::new);

    /** The requantization of output row {@code first + i}: float bias (exact), multiplier, zero point, clamp. */
    record Requant(float[] bias, float[] multiplier, int zeroPoint, int lo, int hi) {}

    /** Whether the fused product serves {@code species} and these biases (null: none). */
    static boolean supports(VectorSpecies<Float> species, int[] bias) {
        if (species == null || species.vectorBitSize() != 512) return false;
        for (int i = 0; bias != null && i < bias.length; i++) {
            if (Math.abs((long) bias[i]) > EXACT_FLOAT_INT) return false;
        }
        return true;
    }

    /** Whether a product of depth {@code k} keeps partial sums in a float buffer between K blocks. */
    static boolean partialSums(int k) {
        return k > SINGLE_PASS_K;
    }

    /** Over {@code gemm}'s packed layouts; {@code gemm} must be 512-bit. */
    Q8Gemm(F32Gemm gemm) {
        if (!supports(gemm.species(), null)) throw new IllegalArgumentException("Q8Gemm needs 512-bit vectors, got " + gemm.species());
        this.gemm = gemm;
    }

    /**
     * {@code y[i, j] = requant_{first+i}(A . B)[i, j]} for an {@code m x n} product over packed A
     * (from float {@code paOff} of {@code pa}) and packed B (from byte {@code pbOff}); y rows {@code ldy} bytes apart from
     * {@code yOff}; {@code acc} ({@code m x n} floats from {@code accOff}) holds partial sums when
     * {@link #partialSums}.
     */
    void multiply(int m, int n, int k, float[] pa, int paOff, MemorySegment pb, long pbOff,
                  MemorySegment acc, long accOff, MemorySegment y, long yOff, int ldy, Requant rq, int first,
                  Parallel par) {
        if (m == 0 || n == 0) return;
        int nPanels = ceilDiv(n, NR);
        int mBlocks = ceilDiv(m, MC);
        int threads = gemm.parallelFor((long) m * n * k, par).threads();
        int group = threads <= 1 ? nPanels : Math.max(1, ceilDiv(nPanels * mBlocks, 4 * threads) / mBlocks);
        group = Math.max(1, Math.min(nPanels, group));
        int nGroups = ceilDiv(nPanels, group);
        int tasks = mBlocks * nGroups;
        int g = group;
        if (threads <= 1) {
            runTasks(0, tasks, nGroups, g, m, n, k, pa, paOff, pb, pbOff, acc, accOff, y, yOff, ldy, rq, first);
            return;
        }
        Tasks body = splits.claim();
        body.set(nGroups, g, m, n, k, pa, paOff, pb, pbOff, acc, accOff, y, yOff, ldy, rq, first);
        try {
            par.forRange(tasks, body);
        } finally {
            body.set(0, 0, 0, 0, 0, null, 0, null, 0, null, 0, null, 0, 0, null, 0);
            splits.release(body);
        }
    }

    /** The arguments of one split {@link #multiply} as a range body over its tasks, reused across calls. */
    private final class Tasks implements RunContext.RangeBody {
        private int nGroups, group, m, n, k, ldy, first;
        private float[] pa;
        private int paOff;
        private MemorySegment pb, acc, y;
        private long pbOff, accOff, yOff;
        private Requant rq;

        void set(int nGroups, int group, int m, int n, int k, float[] pa, int paOff, MemorySegment pb, long pbOff,
                 MemorySegment acc, long accOff, MemorySegment y, long yOff, int ldy, Requant rq, int first) {
            this.nGroups = nGroups;
            this.group = group;
            this.m = m;
            this.n = n;
            this.k = k;
            this.pa = pa;
            this.paOff = paOff;
            this.pb = pb;
            this.pbOff = pbOff;
            this.acc = acc;
            this.accOff = accOff;
            this.y = y;
            this.yOff = yOff;
            this.ldy = ldy;
            this.rq = rq;
            this.first = first;
        }

        @Override
        public void run(int from, int to) {
            runTasks(from, to, nGroups, group, m, n, k, pa, paOff, pb, pbOff, acc, accOff, y, yOff, ldy, rq, first);
        }
    }

    private void runTasks(int from, int to, int nGroups, int group, int m, int n, int k,
                          float[] pa, int paOff, MemorySegment pb, long pbOff,
                          MemorySegment acc, long accOff, MemorySegment y, long yOff, int ldy, Requant rq, int first) {
        int nPanels = ceilDiv(n, NR);
        float[] tile = TILE.get();
        for (int t = from; t < to; t++) {
            int m0 = (t / nGroups) * MC;
            int m1 = Math.min(m, m0 + MC);
            int jp0 = (t % nGroups) * group;
            int jp1 = Math.min(nPanels, jp0 + group);
            int block = partialSums(k) ? KC : k;
            for (int p0 = 0; p0 < k; p0 += block) { // k >= 1: a convolution reduces over at least one tap
                int kc = Math.min(block, k - p0);
                boolean load = p0 > 0;
                boolean last = p0 + block >= k;
                for (int jp = jp0; jp < jp1; jp++) {
                    int j0 = jp * NR;
                    int cols = Math.min(NR, n - j0);
                    long bAt = pbOff + 4L * ((long) jp * NR * k + (long) p0 * NR);
                    for (int i0 = m0; i0 < m1; i0 += MR) {
                        int rows = Math.min(MR, m1 - i0);
                        int aAt = paOff + i0 * k + p0 * MR; // the panel's first float at depth p0
                        long cAt = accOff + 4L * ((long) i0 * n + j0);
                        if (last) {
                            requantTile(kc, pa, aAt, pb, bAt, acc, cAt, n, rows, cols, load,
                                    y, yOff + (long) i0 * ldy + j0, ldy, rq, first + i0, tile);
                        } else {
                            partialTile(kc, pa, aAt, pb, bAt, acc, cAt, n, rows, cols, load, tile);
                        }
                    }
                }
            }
        }
    }

    /**
     * One MR x NR tile of the last K block: the products (see {@link #products}), plus the partial
     * sums of earlier blocks when {@code load} (rows {@code ld} floats apart), requantized per row
     * into {@code y} (rows {@code ldy} bytes apart from {@code yAt}).
     */
    private static void requantTile(int kc, float[] a, int aAt, MemorySegment b, long bAt, MemorySegment c,
                                    long cAt, int ld, int rows, int cols, boolean load, MemorySegment y, long yAt,
                                    int ldy, Requant rq, int firstRow, float[] acc) {
        products(kc, a, aAt, b, bAt, 4L * NR, acc);
        requantStore(acc, c, cAt, ld, rows, cols, load, y, yAt, ldy, rq, firstRow);
    }

    /** One MR x NR tile of a K block before the last: the products (plus the earlier partial sums when {@code load}) stored as floats. */
    private static void partialTile(int kc, float[] a, int aAt, MemorySegment b, long bAt, MemorySegment c,
                                    long cAt, int ld, int rows, int cols, boolean load, float[] acc) {
        products(kc, a, aAt, b, bAt, 4L * NR, acc);
        partialStore(acc, c, cAt, ld, rows, cols, load);
    }

    /**
     * The MR x NR tile of A . B over {@code kc} depths (A's panel from float {@code aAt}, indexed
     * by an int linear in the loop variable: see the class comment; B's rows {@code bStep} bytes
     * apart: a packed panel's, or a plain matrix's) into {@code acc}, row r's two
     * vectors at {@code 2 * r * LANES}. Apart from the stores (as {@link F32Gemm}'s micro-kernel, measured
     * there): in one method with them, the loop shared its registers with the stores' live values,
     * and their data-dependent branches (partial tiles, first seen late) deoptimized and
     * recompiled the loop.
     */
    static void products(int kc, float[] a, int aAt, MemorySegment b, long bAt, long bStep, float[] acc) {
        long half = 4L * LANES;
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        long bp = bAt;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bp + half, LE);
            int ap = aAt + MR * p;
            FloatVector x = FloatVector.broadcast(S, a[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            bp += bStep;
        }
        c00.intoArray(acc, 0);
        c01.intoArray(acc, LANES);
        c10.intoArray(acc, 2 * LANES);
        c11.intoArray(acc, 3 * LANES);
        c20.intoArray(acc, 4 * LANES);
        c21.intoArray(acc, 5 * LANES);
        c30.intoArray(acc, 6 * LANES);
        c31.intoArray(acc, 7 * LANES);
        c40.intoArray(acc, 8 * LANES);
        c41.intoArray(acc, 9 * LANES);
        c50.intoArray(acc, 10 * LANES);
        c51.intoArray(acc, 11 * LANES);
    }

    /** The tile in {@code acc} (plus C's partial sums when {@code load}) requantized per row into {@code y}. */
    static void requantStore(float[] acc, MemorySegment c, long cAt, int ld, int rows, int cols, boolean load,
                                     MemorySegment y, long yAt, int ldy, Requant rq, int firstRow) {
        long half = 4L * LANES;
        long row = 4L * ld;
        boolean full = cols == NR;
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(LANES, cols);
        VectorMask<Byte> bm0 = B.indexInRange(0, cols);
        VectorMask<Byte> bm1 = B.indexInRange(LANES, cols);
        float qlo = rq.lo() - rq.zeroPoint(), qhi = rq.hi() - rq.zeroPoint();
        int offset = Q8Lanes.MAGIC_BITS - rq.zeroPoint();
        float[] bias = rq.bias(), multiplier = rq.multiplier();
        for (int r = 0; r < rows; r++) {
            FloatVector v0 = FloatVector.fromArray(S, acc, 2 * r * LANES);
            FloatVector v1 = FloatVector.fromArray(S, acc, (2 * r + 1) * LANES);
            if (load) {
                long at = cAt + r * row;
                v0 = v0.add(full ? FloatVector.fromMemorySegment(S, c, at, LE) : FloatVector.fromMemorySegment(S, c, at, LE, m0));
                v1 = v1.add(full ? FloatVector.fromMemorySegment(S, c, at + half, LE)
                        : FloatVector.fromMemorySegment(S, c, at + half, LE, m1));
            }
            float bv = bias[firstRow + r], mv = multiplier[firstRow + r];
            v0 = v0.add(bv).mul(mv);
            v1 = v1.add(bv).mul(mv);
            v0 = v0.blend(qlo, v0.compare(VectorOperators.GE, qlo).not());
            v1 = v1.blend(qlo, v1.compare(VectorOperators.GE, qlo).not());
            v0 = v0.blend(qhi, v0.compare(VectorOperators.GT, qhi));
            v1 = v1.blend(qhi, v1.compare(VectorOperators.GT, qhi));
            IntVector q0 = v0.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            IntVector q1 = v1.add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset);
            ByteVector y0 = (ByteVector) q0.convertShape(VectorOperators.I2B, B, 0);
            ByteVector y1 = (ByteVector) q1.convertShape(VectorOperators.I2B, B, 0);
            long to = yAt + (long) r * ldy;
            if (full) {
                y0.intoMemorySegment(y, to, LE);
                y1.intoMemorySegment(y, to + LANES, LE);
            } else {
                y0.intoMemorySegment(y, to, LE, bm0);
                y1.intoMemorySegment(y, to + LANES, LE, bm1);
            }
        }
    }

    /** The tile in {@code acc} (plus C's earlier partial sums when {@code load}) stored into C as floats. */
    private static void partialStore(float[] acc, MemorySegment c, long cAt, int ld, int rows, int cols, boolean load) {
        long half = 4L * LANES;
        long row = 4L * ld;
        boolean full = cols == NR;
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(LANES, cols);
        for (int r = 0; r < rows; r++) {
            FloatVector v0 = FloatVector.fromArray(S, acc, 2 * r * LANES);
            FloatVector v1 = FloatVector.fromArray(S, acc, (2 * r + 1) * LANES);
            long at = cAt + r * row;
            if (full) {
                if (load) {
                    v0 = v0.add(FloatVector.fromMemorySegment(S, c, at, LE));
                    v1 = v1.add(FloatVector.fromMemorySegment(S, c, at + half, LE));
                }
                v0.intoMemorySegment(c, at, LE);
                v1.intoMemorySegment(c, at + half, LE);
            } else {
                if (load) {
                    v0 = v0.add(FloatVector.fromMemorySegment(S, c, at, LE, m0));
                    v1 = v1.add(FloatVector.fromMemorySegment(S, c, at + half, LE, m1));
                }
                v0.intoMemorySegment(c, at, LE, m0);
                v1.intoMemorySegment(c, at + half, LE, m1);
            }
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
