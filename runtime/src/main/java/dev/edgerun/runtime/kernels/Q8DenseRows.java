package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The exact int32 sums of a fully connected layer with constant 8-bit weights:
 * {@code acc[j] = sum_p (x[p] - zx) * (w[j][p] - zw[j])} for one row x of k bytes. The weights stay
 * 8-bit (a quarter of the float weights' bytes: a classifier's 1000 x 1280 weights, 5 MB as
 * floats, are memory-bound), kept as rows {@code [n][k]} of int8; uint8 weights are stored minus
 * 128 with their zero points minus 128, the same differences.
 * <p>
 * A run widens x once to exact floats {@code x - zx} ({@link #widen}); each output is then a dot
 * product of that row with its weight row, the bytes widened to float in registers, four outputs at
 * a time sharing each load of x. Every lane adds at most {@value #BLOCK_PRODUCTS} products of
 * magnitude at most 255 * 128 before its sum moves to an int lane, so every float sum is an integer
 * below 2^24 and exact; the sum across lanes is in int32. The results are therefore integers
 * independent of the order of summation, and the scalar loop of the first runs ({@link ColdRuns},
 * over a heap copy of the weights, which the interpreter runs far faster than boxed vectors) gives
 * the same values. Vectors of 256 and 512 bits; narrower species run the scalar loop.
 */
public final class Q8DenseRows {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Products a float lane adds before its sum moves to an int lane: 512 * 255 * 128 < 2^24. */
    static final int BLOCK_PRODUCTS = 512;

    private final Loops loops;   // null: scalar
    private final int n;
    private final int k;
    private final MemorySegment weights;   // [n][k] int8
    private final int[] zeroPoints;        // n weight zero points (int8 domain), or null when all are 0
    private byte[] coldWeights;            // heap copy for the scalar first runs; null once they are done
    private final ColdRuns cold;

    /**
     * @param w          the weights: {@code [n][k]} bytes when {@code rowsOfK}, else {@code [k][n]}
     * @param wSigned    int8 (else uint8) weights
     * @param zeroPoints the weights' zero points, one or n (null: 0)
     */
    public Q8DenseRows(VectorSpecies<Float> species, int n, int k, MemorySegment w, boolean rowsOfK, boolean wSigned,
                       int[] zeroPoints) {
        this(species, n, k, w, rowsOfK, wSigned, zeroPoints, ColdRuns.configured());
    }

    /** As above, the first {@code coldRuns} runs on the scalar loop. */
    public Q8DenseRows(VectorSpecies<Float> species, int n, int k, MemorySegment w, boolean rowsOfK, boolean wSigned,
                       int[] zeroPoints, int coldRuns) {
        this.loops = Loops.of(species);
        this.n = n;
        this.k = k;
        byte[] rows = rows(w, rowsOfK, wSigned, n, k);
        this.weights = F32Gemm.allocatePacked(rows.length);
        MemorySegment.copy(rows, 0, weights, ValueLayout.JAVA_BYTE, 0, rows.length);
        this.zeroPoints = shiftedZeroPoints(zeroPoints, wSigned, n);
        this.cold = new ColdRuns(loops == null ? 0 : coldRuns);
        this.coldWeights = loops == null || coldRuns > 0 ? rows : null;
    }

    /** The weights as int8 rows {@code [n][k]} on the heap (uint8 minus 128). */
    private static byte[] rows(MemorySegment w, boolean rowsOfK, boolean wSigned, int n, int k) {
        byte[] given = new byte[n * k];
        MemorySegment.copy(w, ValueLayout.JAVA_BYTE, 0, given, 0, given.length);
        byte[] r = rowsOfK ? given : new byte[n * k];
        if (!rowsOfK) {
            for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) r[j * k + p] = given[p * n + j];
        }
        if (!wSigned) for (int i = 0; i < r.length; i++) r[i] = (byte) ((r[i] & 0xFF) - 128);
        return r;
    }

    /** n zero points in the int8 domain of the stored weights, or null when all are 0. */
    private static int[] shiftedZeroPoints(int[] given, boolean wSigned, int n) {
        int[] z = new int[n];
        boolean any = false;
        for (int j = 0; j < n; j++) {
            int v = given == null ? 0 : given[given.length == 1 ? 0 : j];
            z[j] = wSigned ? v : v - 128;
            any |= z[j] != 0;
        }
        return any ? z : null;
    }

    public int n() {
        return n;
    }

    public int k() {
        return k;
    }

    /** Bytes of the widened row x that {@link #widen} writes and {@link #sums} reads. */
    public long widenedBytes() {
        return 4L * k;
    }

    /** Writes {@code x - zx} of the k bytes of x from {@code xOff} as floats to {@code xw} from {@code xwOff}. */
    public void widen(MemorySegment x, long xOff, boolean xSigned, int zx, MemorySegment xw, long xwOff) {
        Q8Quantize.widen(Vectors.F32, x, xOff, xw, xwOff, k, zx, xSigned);
    }

    /**
     * Whether this run takes the scalar loop (the first runs, or no vectors); ask once per run,
     * before splitting it over threads, and pass the answer to each of its {@link #sums} calls.
     */
    public boolean coldRun() {
        return loops == null || coldWeights != null && cold.takeOne();
    }

    /** Drops the heap copy of the weights once the cold runs are done (call after a cold run's sums). */
    public void afterColdRun() {
        if (loops != null && cold.done()) coldWeights = null;
    }

    /**
     * The sums of outputs {@code [from, to)} for the widened row at {@code xwOff}, as int32 to
     * {@code acc} from {@code accOff} (element j at {@code accOff + 4 * j}).
     */
    public void sums(boolean coldRun, MemorySegment xw, long xwOff, int from, int to, MemorySegment acc, long accOff) {
        run(coldRun, xw, xwOff, from, to, acc, accOff, null, null);
        if (zeroPoints != null) subtractZeroPoints(xw, xwOff, from, to, acc, accOff);
    }

    /** Whether the weights have a zero point other than 0 ({@link #scaledSums} then does not apply). */
    public boolean hasZeroPoints() {
        return zeroPoints != null;
    }

    /**
     * The outputs {@code y[j] = float(acc[j] + bias[j]) * scale[j]} (float32, the sum in int64) of
     * {@code [from, to)} to {@code y} from {@code yOff}: written where each group of sums is formed,
     * in the loop that the JIT compiles first, rather than by a second loop over the sums that runs
     * once per run and so stays interpreted for hundreds of runs (150 us for resnet18's 1000
     * outputs). Weights without zero points only ({@link #hasZeroPoints}).
     */
    public void scaledSums(boolean coldRun, MemorySegment xw, long xwOff, int from, int to, int[] bias, float[] scale,
                           MemorySegment y, long yOff) {
        if (zeroPoints != null) throw new IllegalStateException("weights with zero points");
        run(coldRun, xw, xwOff, from, to, y, yOff, bias, scale);
    }

    private void run(boolean coldRun, MemorySegment xw, long xwOff, int from, int to, MemorySegment out, long outOff,
                     int[] bias, float[] scale) {
        byte[] w = coldWeights;
        if ((coldRun || loops == null) && w != null) {
            scalarSums(w, xw, xwOff, from, to, out, outOff, bias, scale);
        } else {
            loops.sums(xw, xwOff, weights, k, from, to, out, outOff, bias, scale);
        }
    }

    /** Output j's sum as an int32 to {@code out} (scale null), or scaled as float32 (see {@link #scaledSums}). */
    static void emit(MemorySegment out, long outOff, int j, int sum, int[] bias, float[] scale) {
        if (scale == null) out.set(I, outOff + 4L * j, sum);
        else out.set(F, outOff + 4L * j, (float) ((long) sum + bias[j]) * scale[j]);
    }

    /** On heap arrays (copies of x and the sums), which the interpreter runs far faster than segment accesses. */
    private void scalarSums(byte[] w, MemorySegment xw, long xwOff, int from, int to, MemorySegment out, long outOff,
                            int[] bias, float[] scale) {
        int[] x = new int[k];
        for (int p = 0; p < k; p++) x[p] = (int) xw.get(F, xwOff + 4L * p);
        int[] sums = new int[to - from];
        for (int j = from; j < to; j++) {
            int s = 0;
            for (int p = 0, at = j * k; p < k; p++, at++) s += x[p] * w[at];
            sums[j - from] = s;
        }
        for (int j = from; j < to; j++) emit(out, outOff, j, sums[j - from], bias, scale);
    }

    /** {@code acc[j] -= zw[j] * sum_p (x[p] - zx)}: the weights' zero points, as one correction per output. */
    private void subtractZeroPoints(MemorySegment xw, long xwOff, int from, int to, MemorySegment acc, long accOff) {
        int xSum = 0;
        for (int p = 0; p < k; p++) xSum += (int) xw.get(F, xwOff + 4L * p);
        for (int j = from; j < to; j++) {
            acc.set(I, accOff + 4L * j, acc.get(I, accOff + 4L * j) - zeroPoints[j] * xSum);
        }
    }

    /** The vector loops; each width a final subclass with {@code static final} species (see {@link JavaKernelsSpecies}). */
    abstract static sealed class Loops {
        abstract VectorSpecies<Float> f();

        abstract VectorSpecies<Integer> i();

        /** Bytes with as many lanes as {@link #f()}. */
        abstract VectorSpecies<Byte> b();

        static Loops of(VectorSpecies<Float> species) {
            if (species == null) return null;
            return switch (species.vectorBitSize()) {
                case 512 -> new Loops512();
                case 256 -> new Loops256();
                default -> null;
            };
        }

        final void sums(MemorySegment xw, long xwOff, MemorySegment w, int k, int from, int to, MemorySegment out, long outOff,
                        int[] bias, float[] scale) {
            int j = from;
            for (; j + 4 <= to; j += 4) four(xw, xwOff, w, j, k, out, outOff, bias, scale);
            for (; j < to; j++) emit(out, outOff, j, one(xw, xwOff, w, (long) j * k, k), bias, scale);
        }

        /** Outputs j..j+3. */
        private void four(MemorySegment xw, long xwOff, MemorySegment w, int j, int k, MemorySegment out, long outOff,
                          int[] bias, float[] scale) {
            long row = (long) j * k;
            VectorSpecies<Float> fs = f();
            int lanes = fs.length();
            int whole = k / lanes * lanes;
            IntVector s0 = IntVector.zero(i()), s1 = s0, s2 = s0, s3 = s0;
            for (int p0 = 0; p0 < whole; p0 += BLOCK_PRODUCTS * lanes) {
                int p1 = Math.min(whole, p0 + BLOCK_PRODUCTS * lanes);
                FloatVector a0 = FloatVector.zero(fs), a1 = a0, a2 = a0, a3 = a0;
                for (int p = p0; p < p1; p += lanes) {
                    FloatVector x = FloatVector.fromMemorySegment(fs, xw, xwOff + 4L * p, LE);
                    a0 = widen(w, row + p).fma(x, a0);
                    a1 = widen(w, row + k + p).fma(x, a1);
                    a2 = widen(w, row + 2L * k + p).fma(x, a2);
                    a3 = widen(w, row + 3L * k + p).fma(x, a3);
                }
                s0 = s0.add(a0.convert(VectorOperators.F2I, 0));
                s1 = s1.add(a1.convert(VectorOperators.F2I, 0));
                s2 = s2.add(a2.convert(VectorOperators.F2I, 0));
                s3 = s3.add(a3.convert(VectorOperators.F2I, 0));
            }
            emit(out, outOff, j, s0.reduceLanes(VectorOperators.ADD) + tail(xw, xwOff, w, row, whole, k), bias, scale);
            emit(out, outOff, j + 1, s1.reduceLanes(VectorOperators.ADD) + tail(xw, xwOff, w, row + k, whole, k), bias, scale);
            emit(out, outOff, j + 2, s2.reduceLanes(VectorOperators.ADD) + tail(xw, xwOff, w, row + 2L * k, whole, k), bias, scale);
            emit(out, outOff, j + 3, s3.reduceLanes(VectorOperators.ADD) + tail(xw, xwOff, w, row + 3L * k, whole, k), bias, scale);
        }

        private int one(MemorySegment xw, long xwOff, MemorySegment w, long row, int k) {
            VectorSpecies<Float> fs = f();
            int lanes = fs.length();
            int whole = k / lanes * lanes;
            IntVector s = IntVector.zero(i());
            for (int p0 = 0; p0 < whole; p0 += BLOCK_PRODUCTS * lanes) {
                int p1 = Math.min(whole, p0 + BLOCK_PRODUCTS * lanes);
                FloatVector a = FloatVector.zero(fs);
                for (int p = p0; p < p1; p += lanes) {
                    a = widen(w, row + p).fma(FloatVector.fromMemorySegment(fs, xw, xwOff + 4L * p, LE), a);
                }
                s = s.add(a.convert(VectorOperators.F2I, 0));
            }
            return s.reduceLanes(VectorOperators.ADD) + tail(xw, xwOff, w, row, whole, k);
        }

        private FloatVector widen(MemorySegment w, long at) {
            return (FloatVector) ByteVector.fromMemorySegment(b(), w, at, LE).convertShape(VectorOperators.B2F, f(), 0);
        }

        private static int tail(MemorySegment xw, long xwOff, MemorySegment w, long row, int from, int k) {
            int s = 0;
            for (int p = from; p < k; p++) s += (int) xw.get(F, xwOff + 4L * p) * w.get(ValueLayout.JAVA_BYTE, row + p);
            return s;
        }
    }

    private static final class Loops512 extends Loops {
        private static final VectorSpecies<Float> F32 = FloatVector.SPECIES_512;
        private static final VectorSpecies<Integer> I32 = IntVector.SPECIES_512;
        private static final VectorSpecies<Byte> I8 = ByteVector.SPECIES_128;

        @Override VectorSpecies<Float> f() { return F32; }
        @Override VectorSpecies<Integer> i() { return I32; }
        @Override VectorSpecies<Byte> b() { return I8; }
    }

    private static final class Loops256 extends Loops {
        private static final VectorSpecies<Float> F32 = FloatVector.SPECIES_256;
        private static final VectorSpecies<Integer> I32 = IntVector.SPECIES_256;
        private static final VectorSpecies<Byte> I8 = ByteVector.SPECIES_64;

        @Override VectorSpecies<Float> f() { return F32; }
        @Override VectorSpecies<Integer> i() { return I32; }
        @Override VectorSpecies<Byte> b() { return I8; }
    }
}
