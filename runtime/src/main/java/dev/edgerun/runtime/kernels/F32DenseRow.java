package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A fully connected layer at batch 1 with constant weights: {@code y[n] = act(alpha * x[k] . W[k x n] + bias[n])},
 * weights, bias and activation settled once, so a run reads x and the packed weights and writes y.
 * The weights are packed in rows of {@link #BLOCK} vectors, {@code [blocks][k][BLOCK * lanes]}, so one p
 * is one contiguous run of eight loads into eight accumulators and a block is one sequential stream
 * (the GEMV's four panels of two vectors are four streams); the columns past the last whole block
 * form one narrower block. Bias and a clamp (Relu, Clip) are applied in registers before the store;
 * another activation runs as the epilogue over y. Sums are lane-wise only, never across lanes, so a
 * run gives the same bits before and after the JIT compiles it. Small products only ({@link #suits}),
 * on the calling thread.
 *
 * <p>The first run(s) ({@link ColdRuns}) take a scalar loop over a heap copy of the weights instead
 * ({@link #runScalar}), with the vector loops' order of operations, so the same bits. Until C2 has
 * compiled them, the vector loops run boxed in the interpreter: mlp_tiny's fc1 (64x128) took 14-28
 * ms of a fresh JVM's first run. The heap copy is dropped once the cold runs are done.
 */
public final class F32DenseRow {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Vectors of columns per block of the wide layout: eight accumulators. */
    static final int BLOCK = 8;

    private final Loops loops;
    private final int n;
    private final int k;
    private final MemorySegment weights;   // packed as above, then the bias padded to whole vectors
    private final long biasAt;
    private final float alpha;
    private final boolean clamp;
    private final float low;
    private final float high;
    private final F32GemmEpilogue epilogue; // null, or an activation that is not a clamp
    private final int wideColumns;           // columns in whole blocks of BLOCK vectors; the rest form the narrow block
    private final float[] bias;              // (n) or null: the scalar runs' copy
    private float[] coldWeights;             // (k, n) row-major for the scalar runs; null once they are done
    private final ColdRuns cold;             // racy on purpose: a concurrent extra run either way gives the same bits

    /**
     * @param b       the weights, {@code [k][n]}, or {@code [n][k]} when {@code transB}
     * @param bias    n floats added to every output (a Gemm's {@code beta * C} broadcast to a row), or null
     */
    public F32DenseRow(VectorSpecies<Float> species, int n, int k, MemorySegment b, boolean transB, float alpha,
                       float[] bias, F32GemmEpilogue epilogue) {
        this(species, n, k, b, transB, alpha, bias, epilogue, ColdRuns.configured());
    }

    /** As above, the first {@code coldRuns} runs on the scalar loop. */
    public F32DenseRow(VectorSpecies<Float> species, int n, int k, MemorySegment b, boolean transB, float alpha,
                       float[] bias, F32GemmEpilogue epilogue, int coldRuns) {
        this.loops = Loops.of(species);
        int lanes = species.length();
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        ActivationEpilogue c = ActivationEpilogue.clampOf(epilogue);
        this.clamp = c != null;
        this.low = c == null ? Float.NEGATIVE_INFINITY : c.clampLow();
        this.high = c == null ? Float.POSITIVE_INFINITY : c.clampHigh();
        this.epilogue = c == null ? epilogue : null;
        long weightFloats = (long) k * roundUp(n, lanes);
        this.biasAt = 4 * weightFloats;
        this.weights = F32Gemm.allocatePacked(biasAt + 4L * roundUp(n, lanes));
        float[] rowMajor = rowMajor(b, transB, n, k);
        packBlocks(rowMajor, lanes);
        if (bias != null) MemorySegment.copy(bias, 0, weights, F, biasAt, n);
        this.wideColumns = n / (BLOCK * lanes) * (BLOCK * lanes);
        this.bias = bias == null ? null : bias.clone();
        this.cold = new ColdRuns(coldRuns);
        this.coldWeights = coldRuns > 0 ? rowMajor : null;
    }

    /**
     * B as {@code (k, n)} row-major on the heap: one bulk copy, transposed on arrays when transB. The
     * interpreter runs this at compile time, where arrays are far cheaper than a segment access per
     * element: a fresh JVM's second F32DenseRow for mlp_tiny's fc1 took 0.8-1.3 ms this way, against
     * 1-22 ms packing from segment accesses (load ~10).
     */
    static float[] rowMajor(MemorySegment b, boolean transB, int n, int k) {
        float[] given = new float[n * k];
        MemorySegment.copy(b, F, 0, given, 0, n * k);
        if (!transB) return given;
        float[] w = new float[n * k];
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) w[p * n + j] = given[j * k + p];
        }
        return w;
    }

    /**
     * Whether a one-row product of {@code n x k} weights should run here: vectors on, wider than one
     * vector, small enough for one thread. At most one vector of outputs (a classifier's 10 classes)
     * stays on {@link F32Gemv}'s narrow loop: a transposed layout of dot products read fewer bytes
     * (and measured 4 % faster on mlp_tiny after each ONNX Runtime run), but its sum across lanes
     * ({@code reduceLanes}) rounds differently once compiled, so results changed between runs.
     */
    public static boolean suits(VectorSpecies<Float> species, int n, int k) {
        return species != null && n > species.length() && k > 0 && (long) n * k < F32Gemm.PARALLEL_MIN_MACS;
    }

    private static int roundUp(int v, int to) {
        return (v + to - 1) / to * to;
    }

    /** Whole blocks of BLOCK vectors, then one block of the remaining columns rounded up to whole vectors. */
    private void packBlocks(float[] rowMajor, int lanes) {
        float[] packed = new float[(int) (biasAt / 4)];
        int at = 0;
        for (int j0 = 0; j0 < n; j0 += BLOCK * lanes) {
            int width = Math.min(BLOCK * lanes, roundUp(n - j0, lanes));
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < width; j++) {
                    int col = j0 + j;
                    packed[at++] = col < n ? rowMajor[p * n + col] : 0f;
                }
            }
        }
        MemorySegment.copy(packed, 0, weights, F, 0, packed.length);
    }

    /** {@code y = act(alpha * x . W + bias)}: x is k contiguous floats from {@code xOff}, y n floats from {@code yOff}. */
    public void run(MemorySegment x, long xOff, MemorySegment y, long yOff) {
        float[] w = coldWeights;
        if (w != null && cold.takeOne()) {
            if (cold.done()) coldWeights = null;
            runScalar(w, x, xOff, y, yOff);
        } else {
            loops.blocks(n, k, x, xOff, weights, biasAt, y, yOff, alpha, clamp, low, high);
        }
        if (epilogue != null) epilogue.apply(y, yOff, n);
    }

    /**
     * The vector loops' arithmetic one column at a time on heap arrays, which the interpreter runs
     * far faster than vectors (mlp_tiny's whole first run: 1.0-12 ms against 36-210 ms): a column of a whole block is one chain of fused
     * multiply-adds over p, a column of the narrow block two chains (even and odd p) added at the end.
     * Allocates x's and y's copies: it serves the first runs only.
     */
    private void runScalar(float[] w, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        float[] xs = new float[k];
        MemorySegment.copy(x, F, xOff, xs, 0, k);
        float[] ys = new float[n];
        for (int j = 0; j < n; j++) {
            float sum = j < wideColumns ? oneChain(w, xs, j) : twoChains(w, xs, j);
            if (alpha != 1f) sum *= alpha;
            sum += bias == null ? 0f : bias[j];   // added also when 0, as the vector loops do (-0 + 0 is +0)
            ys[j] = clamp ? Math.min(Math.max(sum, low), high) : sum;
        }
        MemorySegment.copy(ys, 0, y, F, yOff, n);
    }

    private float oneChain(float[] w, float[] xs, int j) {
        float a = 0f;
        for (int p = 0; p < k; p++) a = Math.fma(xs[p], w[p * n + j], a);
        return a;
    }

    private float twoChains(float[] w, float[] xs, int j) {
        float a0 = 0f, a1 = 0f;
        int p = 0;
        for (; p + 2 <= k; p += 2) {
            a0 = Math.fma(xs[p], w[p * n + j], a0);
            a1 = Math.fma(xs[p + 1], w[(p + 1) * n + j], a1);
        }
        if (p < k) a0 = Math.fma(xs[p], w[p * n + j], a0);
        return a0 + a1;
    }

    /** The loops; each width is a final subclass with a {@code static final} species (see {@link JavaKernelsSpecies}). */
    abstract static sealed class Loops {
        abstract VectorSpecies<Float> s();

        static Loops of(VectorSpecies<Float> species) {
            return switch (species.vectorBitSize()) {
                case 512 -> new Loops512();
                case 256 -> new Loops256();
                case 128 -> new Loops128();
                case 64 -> new Loops64();
                default -> throw new IllegalArgumentException("no dense-row loop for " + species);
            };
        }

        /** Blocks of BLOCK vectors of columns, then the narrower last one. */
        final void blocks(int n, int k, MemorySegment x, long xOff, MemorySegment w, long biasAt, MemorySegment y,
                          long yOff, float alpha, boolean clamp, float low, float high) {
            int lanes = s().length();
            int wide = BLOCK * lanes;
            long at = 0;
            int j0 = 0;
            for (; j0 + wide <= n; j0 += wide) {
                eight(k, x, xOff, w, at, y, yOff + 4L * j0, biasAt + 4L * j0, alpha, clamp, low, high);
                at += 4L * wide * k;
            }
            if (j0 < n) narrowBlock(n - j0, k, x, xOff, w, at, y, yOff + 4L * j0, biasAt + 4L * j0, alpha, clamp, low, high);
        }

        /** BLOCK vectors of columns: one contiguous row of the block per p, eight accumulators. */
        private void eight(int k, MemorySegment x, long xOff, MemorySegment w, long wAt, MemorySegment y, long yAt,
                           long biasAt, float alpha, boolean clamp, float low, float high) {
            VectorSpecies<Float> s = s();
            long v = 4L * s.length();
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            long bp = wAt;
            long xp = xOff;
            for (int p = 0; p < k; p++) {
                FloatVector xv = FloatVector.broadcast(s, x.get(F, xp));
                a0 = xv.fma(FloatVector.fromMemorySegment(s, w, bp, LE), a0);
                a1 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + v, LE), a1);
                a2 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 2 * v, LE), a2);
                a3 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 3 * v, LE), a3);
                a4 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 4 * v, LE), a4);
                a5 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 5 * v, LE), a5);
                a6 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 6 * v, LE), a6);
                a7 = xv.fma(FloatVector.fromMemorySegment(s, w, bp + 7 * v, LE), a7);
                xp += 4;
                bp += 8 * v;
            }
            if (alpha != 1f) {
                a0 = a0.mul(alpha); a1 = a1.mul(alpha); a2 = a2.mul(alpha); a3 = a3.mul(alpha);
                a4 = a4.mul(alpha); a5 = a5.mul(alpha); a6 = a6.mul(alpha); a7 = a7.mul(alpha);
            }
            a0 = a0.add(FloatVector.fromMemorySegment(s, w, biasAt, LE));
            a1 = a1.add(FloatVector.fromMemorySegment(s, w, biasAt + v, LE));
            a2 = a2.add(FloatVector.fromMemorySegment(s, w, biasAt + 2 * v, LE));
            a3 = a3.add(FloatVector.fromMemorySegment(s, w, biasAt + 3 * v, LE));
            a4 = a4.add(FloatVector.fromMemorySegment(s, w, biasAt + 4 * v, LE));
            a5 = a5.add(FloatVector.fromMemorySegment(s, w, biasAt + 5 * v, LE));
            a6 = a6.add(FloatVector.fromMemorySegment(s, w, biasAt + 6 * v, LE));
            a7 = a7.add(FloatVector.fromMemorySegment(s, w, biasAt + 7 * v, LE));
            if (clamp) {   // written out: a helper taking a vector, not inlined, boxes it
                a0 = a0.max(low).min(high); a1 = a1.max(low).min(high); a2 = a2.max(low).min(high);
                a3 = a3.max(low).min(high); a4 = a4.max(low).min(high); a5 = a5.max(low).min(high);
                a6 = a6.max(low).min(high); a7 = a7.max(low).min(high);
            }
            a0.intoMemorySegment(y, yAt, LE);
            a1.intoMemorySegment(y, yAt + v, LE);
            a2.intoMemorySegment(y, yAt + 2 * v, LE);
            a3.intoMemorySegment(y, yAt + 3 * v, LE);
            a4.intoMemorySegment(y, yAt + 4 * v, LE);
            a5.intoMemorySegment(y, yAt + 5 * v, LE);
            a6.intoMemorySegment(y, yAt + 6 * v, LE);
            a7.intoMemorySegment(y, yAt + 7 * v, LE);
        }

        /**
         * The last {@code cols} (< BLOCK vectors) columns, packed {@code [k][roundUp(cols, lanes)]}: one vector of
         * columns at a time, p split over two accumulators; the last vector stored under a mask.
         */
        private void narrowBlock(int cols, int k, MemorySegment x, long xOff, MemorySegment w, long wAt, MemorySegment y,
                                 long yAt, long biasAt, float alpha, boolean clamp, float low, float high) {
            VectorSpecies<Float> s = s();
            int lanes = s.length();
            int width = roundUp(cols, lanes);
            long row = 4L * width;
            for (int c = 0; c < cols; c += lanes) {
                FloatVector a0 = FloatVector.zero(s), a1 = a0;
                long bp = wAt + 4L * c;
                long xp = xOff;
                int p = 0;
                for (; p + 2 <= k; p += 2) {
                    a0 = FloatVector.broadcast(s, x.get(F, xp)).fma(FloatVector.fromMemorySegment(s, w, bp, LE), a0);
                    a1 = FloatVector.broadcast(s, x.get(F, xp + 4)).fma(FloatVector.fromMemorySegment(s, w, bp + row, LE), a1);
                    xp += 8;
                    bp += 2 * row;
                }
                if (p < k) a0 = FloatVector.broadcast(s, x.get(F, xp)).fma(FloatVector.fromMemorySegment(s, w, bp, LE), a0);
                FloatVector r = a0.add(a1);
                if (alpha != 1f) r = r.mul(alpha);
                r = r.add(FloatVector.fromMemorySegment(s, w, biasAt + 4L * c, LE));
                if (clamp) r = r.max(low).min(high);
                int left = cols - c;
                if (left >= lanes) r.intoMemorySegment(y, yAt + 4L * c, LE);
                else r.intoMemorySegment(y, yAt + 4L * c, LE, VectorMask.fromLong(s, (1L << left) - 1));
            }
        }
    }

    static final class Loops512 extends Loops {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Loops256 extends Loops {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Loops128 extends Loops {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Loops64 extends Loops {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
