package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The planes of an 8-bit depthwise 3x3 convolution with unit strides and dilations and one pixel
 * of padding on every side (output as large as the input: MobileNetV2's stride-1 layers), in the
 * way of {@link F32Depthwise3x3}: the input bytes of a batch of planes are copied at once into a
 * per-thread heap array, and each plane is widened from it ({@code x - zx} as exact floats) into a
 * per-thread heap buffer between rows of zeros; per output vector, the three kernel columns are
 * summed from nine loads at {@code q + (ki-1)*w + kj-1} times weights broadcast once per plane,
 * the outer two blended to zero in the lanes of the first and last output columns, the bias
 * starting the middle one; the sum is scaled, rounded, offset by the zero point and clamped as
 * integers in registers, and stored as bytes into a heap array copied to Y once per batch.
 *
 * <p>Heap arrays in and out, because a memory segment's loads and stores carry per-access checks
 * (as {@link F32Depthwise3x3} found); the clamp on the rounded integers takes two instructions
 * where the float one before rounding took four. Against widening from and storing into the
 * segments with the float clamp (one thread, least of 300 rounds of thread CPU time, load 4-6):
 * 576@14x14 37 against 51 us, 192@28x28 40 against 58, 960@7x7 29 against 34, 144@56x56 118
 * against 177, 32@112x112 117 against 154.
 *
 * <p>Rows of two vectors or more run four output rows per step ({@link #rowQuads}), as in
 * {@link F32Depthwise3x3}: they share the loads of their input rows (18 loads for four vectors
 * instead of 36). MobileNetV2 static int8, per node, least of 150 runs, one thread, alternated
 * processes against {@code -Dedgerun.java.q8Depthwise3x3Rows=off} (which keeps the flat loop),
 * load 5-6: 32@112x112 87-89 against 104-118 us, 144@56x56 102-106 against 115-122.
 *
 * <p>The flat loop ({@link #plane}) takes the three kernel columns' sums from three loads per
 * output vector and shifts the outer two by a lane, as {@link F32Depthwise3x3}'s, and replaces the
 * row quads on every width. {@code Q8MobileNetBench} (one thread, least per layer, load 5,
 * alternated processes against {@code -Dedgerun.java.q8Depthwise3x3ColumnSums=off}, which keeps
 * the nine loads and the row quads): 960@7x7 20-24 against 28-30 us, 576@14x14 26.5-27 against
 * 37-39, 384@14x14 18.0-18.1 against 24.4-25.7, 192@28x28 27-28 against 38-39, 144@56x56 78-83
 * against 93-107, 32@112x112 83-84 against 89-99.
 *
 * <p>Exact: the nine products and their sums with the bias are integers below {@code 2^24}, so
 * any order of addition gives the integer sum, and rounding before clamping to integer bounds
 * gives what clamping before rounding gives ({@link Q8Lanes#requantize}); the bytes are those of
 * {@link Q8DepthwiseConv}'s other paths. 512-bit vectors (16 float lanes meet a 128-bit byte
 * vector), sums in the range that {@link #inRange} checks.
 */
final class Q8Depthwise3x3 {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final int LANES = 16;

    private final KernelProvider.Q8ConvSpec spec;
    private final int channels, h, w, planeFloats, vectors;
    private final boolean columnSums; // the flat loop sums kernel columns before shifting them (plane), else loads each tap (planeNineLoads)
    private final boolean rowQuads;  // four output rows per step (rowQuads()), else a flat loop over vectors
    private final int rowVectors;    // vectors per output row in the row-quad loop
    private final long[] firstColumnInRow, lastColumnInRow; // their column masks, the same in every row
    private final int lead;          // zeros before a plane copy: at least w + 1, whole vectors
    private final int framedFloats;  // lead zeros, the plane, zeros up to the last vector's reach
    private final long[] firstColumn; // per output vector: lanes in output column 0 (no left neighbour)
    private final long[] lastColumn;  // per output vector: lanes in output column w - 1 (no right neighbour)
    private final float[] weights;    // [channels][9]
    private final float[] bias;       // per channel, exact in float

    /** Per thread: the zero-framed widened plane (grown, never shrunk), see {@link #framedBuffer}. */
    private static final ThreadLocal<float[][]> FRAMED = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Per thread: a batch of planes' input bytes, and of their output bytes (grown, never shrunk). */
    private static final ThreadLocal<byte[][]> IN = ThreadLocal.withInitial(() -> new byte[1][0]),
            OUT = ThreadLocal.withInitial(() -> new byte[1][0]);
    /** Input bytes of the planes copied in (and out) at once (one plane when larger). */
    static final int BATCH_BYTES = 4096;

    /** Whether {@code spec} is a convolution this path takes with {@code species}. */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!Q8Gemm.supports(species, spec.bias()) || g.spatialRank() != 2 || !g.isDepthwise()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        return ws[2] == 3 && ws[3] == 3 && g.strides()[0] == 1 && g.strides()[1] == 1
                && g.dilations()[0] == 1 && g.dilations()[1] == 1 && g.padsBegin()[0] == 1 && g.padsBegin()[1] == 1
                && ys[2] == xs[2] && ys[3] == xs[3] && xs[2] * xs[3] <= F32Depthwise3x3.MAX_PLANE && inRange(spec);
    }

    /**
     * Whether every channel's sums stay where {@link #plane}'s shortcuts are exact: biases of at
     * most {@code 2^23} (every partial sum with the bias in it, at most {@code 255 * 9 * 128} more,
     * is an integer exact in float), and scaled sums of magnitude below {@code 2^21} (rounded by
     * {@link Q8Lanes#MAGIC} without a clamp before it). Quantized models are far inside both.
     */
    static boolean inRange(KernelProvider.Q8ConvSpec spec) {
        float[] w = spec.geometry().constantWeight().toFloatArrayConverted();
        for (int c = 0; c < spec.multipliers().length && c * 9 < w.length; c++) {
            long b = spec.bias() == null ? 0 : Math.abs((long) spec.bias()[c]), weights = 0;
            for (int t = 0; t < 9; t++) weights += (long) Math.abs(w[9 * c + t]);
            if (b > 1 << 23 || (255 * weights + b) * (double) Math.abs(spec.multipliers()[c]) >= 1 << 21) return false;
        }
        return true;
    }

    Q8Depthwise3x3(KernelProvider.Q8ConvSpec spec) {
        this.spec = spec;
        long[] xs = spec.geometry().inputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        planeFloats = h * w;
        vectors = (planeFloats + LANES - 1) / LANES;
        columnSums = !"off".equals(System.getProperty("edgerun.java.q8Depthwise3x3ColumnSums"));
        rowQuads = !columnSums && rowQuadsWanted(w);
        rowVectors = (w + LANES - 1) / LANES;
        lead = roundUp(w + 1);
        // The row-quad loop reads up to four rows and a vector past the plane (its last group).
        framedFloats = lead + vectors * LANES + roundUp(4 * w + 1) + LANES;
        firstColumn = columnMask(vectors, 0);
        lastColumn = columnMask(vectors, w - 1);
        firstColumnInRow = columnMask(rowVectors, 0);
        lastColumnInRow = columnMask(rowVectors, w - 1);
        weights = spec.geometry().constantWeight().toFloatArrayConverted();
        bias = biasAsFloats(spec, channels);
    }

    /**
     * Four output rows per step share the loads of their input rows (18 loads for four vectors
     * instead of 36), on rows of two vectors or more that leave at most an eighth of their lanes
     * idle (28, 56 and 112 columns: none, one and one of eight); rows of one vector, and rows that
     * would waste more lanes, stay on the flat loop, which wastes none. MobileNetV2's 192@28x28,
     * static int8, least of 150 runs, one thread, 6 rounds alternated with rows of three vectors
     * or more only (flat at 28), load 2: 35.6-37.2 against 37.9-42.8 us (float: 43-45).
     * {@code -Dedgerun.java.q8Depthwise3x3Rows=off} keeps the flat loop. Taken only with the column
     * sums off ({@code -Dedgerun.java.q8Depthwise3x3ColumnSums=off}).
     */
    static boolean rowQuadsWanted(int w) {
        int perRow = (w + LANES - 1) / LANES;
        return perRow >= 2 && 8 * w >= 7 * perRow * LANES
                && !"off".equals(System.getProperty("edgerun.java.q8Depthwise3x3Rows"));
    }

    /** Per vector of 16 flat positions: the lanes whose column is {@code column}. */
    private long[] columnMask(int count, int column) {
        long[] mask = new long[count];
        for (int q = 0; q < count * LANES; q++) if (q % w == column) mask[q / LANES] |= 1L << (q % LANES);
        return mask;
    }

    /**
     * Planes {@code [from, to)} (image-major, channel-minor) of x into y, in batches of about
     * {@link #BATCH_BYTES}: the batch's input bytes copied at once into a heap array, each plane
     * widened from it into the framed buffer and convolved into a heap output array, which is
     * copied to y at once.
     */
    void planes(MemorySegment x, MemorySegment y, int from, int to) {
        int batch = Math.max(1, BATCH_BYTES / planeFloats);
        float[] framed = framedBuffer(framedFloats, lead, planeFloats);
        // The last vector may write past its plane; the row-quad loop's last group, four rows and a vector.
        byte[] in = inBytes(batch * planeFloats + LANES), out = outBytes(batch * planeFloats + 4 * w + 2 * LANES);
        for (int first = from; first < to; first += batch) {
            int end = Math.min(to, first + batch), bytes = (end - first) * planeFloats;
            long at = (long) first * planeFloats;
            MemorySegment.copy(x, ValueLayout.JAVA_BYTE, at, in, 0, bytes);
            for (int plane = first; plane < end; plane++) {
                int offset = (plane - first) * planeFloats;
                widen(in, offset, framed);
                if (rowQuads) rowQuads(framed, plane % channels, out, offset);
                else if (columnSums) plane(framed, plane % channels, out, offset);
                else planeNineLoads(framed, plane % channels, out, offset);
            }
            MemorySegment.copy(out, 0, y, ValueLayout.JAVA_BYTE, at, bytes);
        }
    }

    /** The calling thread's array for input bytes, of at least {@code size} (shared with {@link Q8Depthwise3x3Stride2Phases}). */
    static byte[] inBytes(int size) {
        return bytesBuffer(IN, size);
    }

    /** The calling thread's array for output bytes, of at least {@code size} (shared with {@link Q8Depthwise3x3Stride2Phases}). */
    static byte[] outBytes(int size) {
        return bytesBuffer(OUT, size);
    }

    /** The calling thread's byte array of {@code holder}, grown to at least {@code size} (never shrunk). */
    private static byte[] bytesBuffer(ThreadLocal<byte[][]> holder, int size) {
        byte[][] buffers = holder.get();
        if (buffers[0].length < size) buffers[0] = new byte[size];
        return buffers[0];
    }

    /**
     * One plane's bytes of {@code in} from {@code offset} as exact floats {@code x - zx} into
     * {@code framed} from {@link #lead}, in whole vectors: the last one reads past the plane (into
     * the next plane or the array's slack) and the floats it writes past the plane are zeroed again.
     */
    private void widen(byte[] in, int offset, float[] framed) {
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        for (int i = 0; i < planeFloats; i += LANES) {
            ByteVector b = ByteVector.fromArray(B, in, offset + i);
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, I, 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) v.sub(zx).convert(VectorOperators.I2F, 0)).intoArray(framed, lead + i);
        }
        Arrays.fill(framed, lead + planeFloats, lead + vectors * LANES, 0f);
    }

    /**
     * The calling thread's buffer for a zero-framed plane of {@code framedFloats} (grown, never
     * shrunk; shared by both 3x3 int8 depthwise kernels, which a thread runs one at a time), with
     * the {@code lead} floats before the plane's {@code planeFloats} and the rest after it zeroed.
     */
    static float[] framedBuffer(int framedFloats, int lead, int planeFloats) {
        float[][] buffers = FRAMED.get();
        if (buffers[0].length < framedFloats) buffers[0] = new float[framedFloats];
        float[] framed = buffers[0];
        Arrays.fill(framed, 0, lead, 0f);
        Arrays.fill(framed, lead + planeFloats, framedFloats, 0f);
        return framed;
    }

    /** {@code count} bytes of x from {@code xAt} as exact floats {@code x - zx} into {@code framed} from {@code lead}. */
    static void widen(KernelProvider.Q8ConvSpec spec, MemorySegment x, long xAt, int count, float[] framed, int lead) {
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        int i = 0;
        for (; i + LANES <= count; i += LANES) {
            ByteVector b = ByteVector.fromMemorySegment(B, x, xAt + i, LE);
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, I, 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
            ((FloatVector) v.sub(zx).convert(VectorOperators.I2F, 0)).intoArray(framed, lead + i);
        }
        for (; i < count; i++) framed[lead + i] = Q8Quantize.load(x, xAt + i, signed) - zx;
    }

    /** The per-channel biases of {@code spec} as floats (exact: {@link Q8Gemm#supports} checked their size); zeros when absent. */
    static float[] biasAsFloats(KernelProvider.Q8ConvSpec spec, int channels) {
        float[] bias = new float[channels];
        for (int c = 0; spec.bias() != null && c < channels; c++) bias[c] = spec.bias()[c];
        return bias;
    }

    /** {@code n} rounded up to whole 16-lane vectors. */
    static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /**
     * One plane of channel {@code c} from its framed copy into {@code y}'s bytes from {@code yAt}
     * (the last vector may write up to 15 bytes past the plane, overwritten by the next plane or
     * into the array's slack), as {@link F32Depthwise3x3}'s column-sum loop: three loads per output
     * vector give the three kernel columns' sums at the same flat positions, the outer two shifted
     * by a lane (two-vector selects) and left out in the plane's first and last columns (masked
     * adds). The bias starts the middle column's sum, and the clamp is applied to the rounded
     * integers: both exact and equal to {@link Q8Lanes#requantize}'s float clamp before rounding,
     * as {@link #inRange} checks; the sums are integers, so the bytes are {@link #planeNineLoads}'s.
     */
    private void plane(float[] a, int c, byte[] y, int yAt) {
        int up = w, k = 9 * c;
        float[] wt = weights;
        long[] first = firstColumn, last = lastColumn;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        FloatVector b = FloatVector.broadcast(S, bias[c]);
        float multiplier = spec.multipliers()[c];
        int offset = Q8Lanes.MAGIC_BITS - spec.yZeroPoint(), lo = spec.yMin(), hi = spec.yMax();
        FloatVector fromLeft = FloatVector.fromArray(S, F32Depthwise3x3.LANE_INDICES, LANES - 1);
        FloatVector fromRight = FloatVector.fromArray(S, F32Depthwise3x3.LANE_INDICES, 1);
        FloatVector above = FloatVector.fromArray(S, a, lead - up), at = FloatVector.fromArray(S, a, lead);
        FloatVector below = FloatVector.fromArray(S, a, lead + up);
        FloatVector leftBefore = FloatVector.zero(S); // lane 0's left neighbour lies in column 0's masked lanes
        FloatVector left = below.fma(w20, at.fma(w10, above.mul(w00)));
        FloatVector mid = below.fma(w21, at.fma(w11, above.fma(w01, b)));
        FloatVector right = below.fma(w22, at.fma(w12, above.mul(w02)));
        for (int v = 0; v < vectors; v++) {
            int q = lead + (v + 1) * LANES; // the input under output vector v + 1
            above = FloatVector.fromArray(S, a, q - up);
            at = FloatVector.fromArray(S, a, q);
            below = FloatVector.fromArray(S, a, q + up);
            FloatVector nextLeft = below.fma(w20, at.fma(w10, above.mul(w00)));
            FloatVector nextMid = below.fma(w21, at.fma(w11, above.fma(w01, b)));
            FloatVector nextRight = below.fma(w22, at.fma(w12, above.mul(w02)));
            FloatVector o = mid.add(fromLeft.selectFrom(leftBefore, left), VectorMask.fromLong(S, ~first[v]))
                    .add(fromRight.selectFrom(right, nextRight), VectorMask.fromLong(S, ~last[v]));
            IntVector r = o.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
            ((ByteVector) r.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yAt + v * LANES);
            leftBefore = left;
            left = nextLeft;
            mid = nextMid;
            right = nextRight;
        }
    }

    /** One plane as {@link #plane}, each of the nine taps loaded, the outer columns' sums blended to zero in the first and last columns. */
    private void planeNineLoads(float[] a, int c, byte[] y, int yAt) {
        int up = w, k = 9 * c;
        float[] wt = weights;
        long[] first = firstColumn, last = lastColumn;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        FloatVector b = FloatVector.broadcast(S, bias[c]);
        float multiplier = spec.multipliers()[c];
        int offset = Q8Lanes.MAGIC_BITS - spec.yZeroPoint(), lo = spec.yMin(), hi = spec.yMax();
        for (int v = 0; v < vectors; v++) {
            int q = lead + v * LANES; // the input under output vector v
            FloatVector left = FloatVector.fromArray(S, a, q - up - 1).mul(w00);
            left = FloatVector.fromArray(S, a, q - 1).fma(w10, left);
            left = FloatVector.fromArray(S, a, q + up - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(S, a, q - up).fma(w01, b);
            mid = FloatVector.fromArray(S, a, q).fma(w11, mid);
            mid = FloatVector.fromArray(S, a, q + up).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(S, a, q - up + 1).mul(w02);
            right = FloatVector.fromArray(S, a, q + 1).fma(w12, right);
            right = FloatVector.fromArray(S, a, q + up + 1).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(S, first[v])))
                    .add(right.blend(0f, VectorMask.fromLong(S, last[v])));
            IntVector r = o.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
            ((ByteVector) r.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, yAt + v * LANES);
        }
    }

    /**
     * One plane as {@link #planeNineLoads}, four output rows per step: the vectors at flat positions
     * {@code q, q + w, q + 2w, q + 3w} (same columns, so the same column masks) load input rows
     * {@code r - 1 .. r + 4} once each per column shift. A row's last vector spills into the next
     * row, which writes the same bytes again; the last group's rows and spills past the plane land
     * in the next plane's place (written after it) or the array's slack, from the framed buffer's
     * zeros.
     */
    private void rowQuads(float[] a, int c, byte[] y, int yAt) {
        int up = w, k = 9 * c, perRow = rowVectors;
        float[] wt = weights;
        long[] first = firstColumnInRow, last = lastColumnInRow;
        FloatVector w00 = FloatVector.broadcast(S, wt[k]), w01 = FloatVector.broadcast(S, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(S, wt[k + 2]), w10 = FloatVector.broadcast(S, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(S, wt[k + 4]), w12 = FloatVector.broadcast(S, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(S, wt[k + 6]), w21 = FloatVector.broadcast(S, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(S, wt[k + 8]);
        FloatVector b = FloatVector.broadcast(S, bias[c]);
        float multiplier = spec.multipliers()[c];
        int offset = Q8Lanes.MAGIC_BITS - spec.yZeroPoint(), lo = spec.yMin(), hi = spec.yMax();
        for (int r = 0; r < h; r += 4) {
            for (int j = 0; j < perRow; j++) {
                int p = r * up + j * LANES, q = lead + p;
                FloatVector a0 = FloatVector.fromArray(S, a, q - up), a1 = FloatVector.fromArray(S, a, q);
                FloatVector a2 = FloatVector.fromArray(S, a, q + up), a3 = FloatVector.fromArray(S, a, q + 2 * up);
                FloatVector a4 = FloatVector.fromArray(S, a, q + 3 * up), a5 = FloatVector.fromArray(S, a, q + 4 * up);
                FloatVector o0 = a2.fma(w21, a1.fma(w11, a0.fma(w01, b)));
                FloatVector o1 = a3.fma(w21, a2.fma(w11, a1.fma(w01, b)));
                FloatVector o2 = a4.fma(w21, a3.fma(w11, a2.fma(w01, b)));
                FloatVector o3 = a5.fma(w21, a4.fma(w11, a3.fma(w01, b)));
                VectorMask<Float> firstLanes = VectorMask.fromLong(S, first[j]);
                a0 = FloatVector.fromArray(S, a, q - up - 1);
                a1 = FloatVector.fromArray(S, a, q - 1);
                a2 = FloatVector.fromArray(S, a, q + up - 1);
                a3 = FloatVector.fromArray(S, a, q + 2 * up - 1);
                a4 = FloatVector.fromArray(S, a, q + 3 * up - 1);
                a5 = FloatVector.fromArray(S, a, q + 4 * up - 1);
                o0 = o0.add(a2.fma(w20, a1.fma(w10, a0.mul(w00))).blend(0f, firstLanes));
                o1 = o1.add(a3.fma(w20, a2.fma(w10, a1.mul(w00))).blend(0f, firstLanes));
                o2 = o2.add(a4.fma(w20, a3.fma(w10, a2.mul(w00))).blend(0f, firstLanes));
                o3 = o3.add(a5.fma(w20, a4.fma(w10, a3.mul(w00))).blend(0f, firstLanes));
                VectorMask<Float> lastLanes = VectorMask.fromLong(S, last[j]);
                a0 = FloatVector.fromArray(S, a, q - up + 1);
                a1 = FloatVector.fromArray(S, a, q + 1);
                a2 = FloatVector.fromArray(S, a, q + up + 1);
                a3 = FloatVector.fromArray(S, a, q + 2 * up + 1);
                a4 = FloatVector.fromArray(S, a, q + 3 * up + 1);
                a5 = FloatVector.fromArray(S, a, q + 4 * up + 1);
                o0 = o0.add(a2.fma(w22, a1.fma(w12, a0.mul(w02))).blend(0f, lastLanes));
                o1 = o1.add(a3.fma(w22, a2.fma(w12, a1.mul(w02))).blend(0f, lastLanes));
                o2 = o2.add(a4.fma(w22, a3.fma(w12, a2.mul(w02))).blend(0f, lastLanes));
                o3 = o3.add(a5.fma(w22, a4.fma(w12, a3.mul(w02))).blend(0f, lastLanes));
                int at = yAt + p;
                IntVector r0 = o0.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
                IntVector r1 = o1.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
                IntVector r2 = o2.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
                IntVector r3 = o3.mul(multiplier).add(Q8Lanes.MAGIC).reinterpretAsInts().sub(offset).max(lo).min(hi);
                ((ByteVector) r0.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, at);
                ((ByteVector) r1.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, at + up);
                ((ByteVector) r2.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, at + 2 * up);
                ((ByteVector) r3.convertShape(VectorOperators.I2B, B, 0)).intoArray(y, at + 3 * up);
            }
        }
    }
}
