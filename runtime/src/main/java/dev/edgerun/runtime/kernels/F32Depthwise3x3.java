package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise 3x3 convolution, unit strides and dilations, one pixel of padding on every side
 * (output plane as large as the input: DS-CNN's 25x5 layers, MobileNetV2's stride-1 ones).
 *
 * <p>Each plane is first copied into a per-thread heap buffer between rows of zeros, so that the
 * taps of the first and last rows read zeros instead of the neighbouring planes. Output vector at
 * flat position {@code q} is then, per kernel column, a sum of three loads at
 * {@code q + (ki-1)*w + kj-1} times weights broadcast once per plane; the left and right column
 * sums are left out (masked, so that an infinite input beside the row does not leak as NaN) in the
 * lanes of the first and last output columns, whose taps would read the neighbouring row. The sums
 * go to a second heap buffer, copied to Y once per plane. The loop over output vectors has no
 * table lookup and its loads advance with the loop counter, so the JIT drops most bounds checks.
 *
 * <p>The flat loop ({@link #plane}) loads each input vector once, not once per kernel column: it
 * sums the kernel columns at the same flat positions and shifts the outer two sums by a lane
 * (two-vector selects) instead of loading the taps at {@code kj-1} and {@code kj+1}, which crossed
 * a cache line each. {@code -Dedgerun.java.f32Depthwise3x3ColumnSums=off} keeps the nine loads
 * ({@link #planeNineLoads}) and the row-quad loop below.
 *
 * <p>Rows of three vectors or more run four output rows per step ({@link #rowQuads}): they
 * share the loads of their input rows, and store to Y directly but for the last group (through
 * the buffer, whose spills past the plane must not reach Y). Same sums in the same order: the same
 * bits. {@code F32DepthwiseBench}, one thread, 512-bit, load 8-9, against the flat loop in the same
 * process: 32@112x112 0.68-0.69 of its time (two rows per step: 0.74-0.75), 144@56x56 0.72-0.78
 * (0.82-0.87).
 * {@code -Dedgerun.java.f32Depthwise3x3Rows=off} keeps the flat loop. Measured and left out: row
 * quads on narrower rows through the buffer (14x14 2-5% slower at 512-bit, 192@28x28 within noise
 * in the model), and a batch of small planes copied from X in one copy then per plane by
 * System.arraycopy (960@7x7 60 against 28 us).
 *
 * <p>{@link F32DepthwiseSameWidth}, which this replaces for these shapes, reads each tap from X
 * under its own lane mask from a table, in an inner loop over the nine taps; that loop ran about
 * twelve instructions per multiply-add. Measured by {@code F32DepthwiseBench} (one thread, 512-bit,
 * interleaved medians of thread CPU time, load 5-6): 64@25x5 4.6 against 8.6 us, 576@14x14 58
 * against 118 us, 960@7x7 43 against 61 us, 192@28x28 62 against 137 us.
 */
public final class F32Depthwise3x3 implements KernelProvider.ConvKernel, F32DepthwiseSplit.PlaneRanges {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Planes of at most this many inputs (128x128; larger ones run on {@link F32DepthwiseConv}'s
     * rows path), so that a thread's buffers stay near 130 KB. MobileNetV2's 32@112x112 layer ran
     * 205 against 386 us on the rows path, 144@56x56 230 against 541 us.
     */
    static final int MAX_PLANE = 1 << 14;

    /** 0, 1, 2, ...: lane indices into two concatenated vectors, loaded from {@code 1} or {@code lanes - 1} on. */
    static final float[] LANE_INDICES = new float[128];

    static {
        for (int l = 0; l < LANE_INDICES.length; l++) LANE_INDICES[l] = l;
    }

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int channels, h, w, planes, planeFloats, vectors;
    private final boolean columnSums;   // the flat loop sums kernel columns before shifting them (plane), else loads each tap (planeNineLoads)
    private final boolean rowQuads;     // four output rows per step (rowQuads()), else a flat loop over vectors
    private final int rowVectors;       // vectors per output row in the row-quad loop
    private final long[] firstColumnInRow, lastColumnInRow; // their column masks, the same in every row
    private final long leadFloats;      // zeros before a plane copy: at least w + 1, whole vectors
    private final int framedFloats;     // a framed plane: lead zeros, the plane, zeros up to the last vector's reach
    private final long[] firstColumn;   // per output vector: lanes in output column 0 (no left neighbour)
    private final long[] lastColumn;    // per output vector: lanes in output column w - 1 (no right neighbour)
    private final float[] weights;      // constant weights [C, 3, 3], or null (copied per call then)
    private final boolean clamp;
    private final float lo, hi;
    private final F32GemmEpilogue after; // an epilogue other than a clamp, applied per plane; or null

    /** Whether this kernel handles {@code spec} on {@code species}. */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || species.length() > 64 || !F32DepthwiseConv.supports(spec)) return false;
        long[] xs = spec.inputShape(), ws = spec.weightShape(), ys = spec.outputShape();
        return ws[2] == 3 && ws[3] == 3 && spec.strides()[0] == 1 && spec.strides()[1] == 1
                && spec.dilations()[0] == 1 && spec.dilations()[1] == 1
                && spec.padsBegin()[0] == 1 && spec.padsBegin()[1] == 1
                && ys[2] == xs[2] && ys[3] == xs[3] && xs[2] * xs[3] <= MAX_PLANE;
    }

    public F32Depthwise3x3(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not a small 3x3 'same' depthwise convolution: " + spec);
        this.spec = spec;
        this.species = species;
        long[] xs = spec.inputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        planes = (int) xs[0] * channels;
        planeFloats = h * w;
        int lanes = species.length();
        vectors = (planeFloats + lanes - 1) / lanes;
        columnSums = !"off".equals(System.getProperty("edgerun.java.f32Depthwise3x3ColumnSums"));
        rowQuads = !columnSums && rowQuadsWanted(w, lanes);
        rowVectors = (w + lanes - 1) / lanes;
        leadFloats = roundUp(w + 1, lanes);
        // The row-quad loop reads up to four rows and a vector past the plane (its last group).
        framedFloats = (int) (leadFloats + (long) vectors * lanes + roundUp(4L * w + 1, lanes) + lanes);
        firstColumn = columnMask(vectors, lanes, 0);
        lastColumn = columnMask(vectors, lanes, w - 1);
        firstColumnInRow = columnMask(rowVectors, lanes, 0);
        lastColumnInRow = columnMask(rowVectors, lanes, w - 1);
        ActivationEpilogue c = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();
        weights = spec.constantWeight() == null ? null : spec.constantWeight().toFloatArray();
    }

    /**
     * Four output rows per step share the loads of their input rows (18 loads for four vectors
     * instead of 36), worth it on rows of three vectors or more; narrower rows stay on the flat
     * loop, which wastes no lanes on them (MobileNetV2's 192@28x28, in the model, 512-bit: 51 us
     * with two rows per step against 45 flat). {@code -Dedgerun.java.f32Depthwise3x3Rows=off}
     * keeps the flat loop for every width. Taken only with the column sums off: {@link #plane}
     * beats it on MobileNetV2's wide planes too.
     */
    static boolean rowQuadsWanted(int w, int lanes) {
        return w >= 3 * lanes && !"off".equals(System.getProperty("edgerun.java.f32Depthwise3x3Rows"));
    }

    /** Per vector of {@code lanes} flat positions: the lanes whose column is {@code column}. */
    private long[] columnMask(int count, int lanes, int column) {
        long[] mask = new long[count];
        for (int q = 0; q < count * lanes; q++) if (q % w == column) mask[q / lanes] |= 1L << (q % lanes);
        return mask;
    }

    private static long roundUp(long n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** None: the planes are convolved in per-thread heap buffers ({@link #BUFFERS}). */
    @Override
    public long scratchBytes() {
        return 0;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        F32DepthwiseSplit.run(this, planes, (long) planes * planeFloats * 9, par, x, wIn, b, y, scratch);
    }

    /**
     * Per thread: the zero-framed copy of the plane being convolved, the output planes, and
     * non-constant weights (each grown, never shrunk). Plain arrays, because the loop then runs
     * without the per-access checks that a memory segment's loads and stores carry (its size and
     * session, reloaded for each access): it took half the time. Weights from an array: 5-9% less
     * on planes up to 14x14 than broadcast from their segment.
     */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    /**
     * Output floats of the planes whose results are copied to Y at once (one plane when larger):
     * against one copy per plane, 5-10% less on 7x7, 25x5 and 14x14 planes, no change at 28x28.
     */
    private static final int OUT_BATCH_FLOATS = 2048;

    /**
     * Planes {@code [from, to)}, each copied between rows of zeros into this thread's framed
     * buffer (its zeros written once per call) and convolved into the output buffer, which is
     * copied to Y every {@link #OUT_BATCH_FLOATS} floats' worth of planes.
     */
    @Override
    public void planes(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                       int range, int from, int to) {
        int batch = Math.max(1, OUT_BATCH_FLOATS / planeFloats);
        // The last vector may spill past its plane; the row-quad loop's last group, four rows and a vector.
        int outFloats = batch * planeFloats + 4 * w + 2 * species.length();
        float[][] buffers = BUFFERS.get();
        if (buffers[0].length < framedFloats) buffers[0] = new float[framedFloats];
        if (buffers[1].length < outFloats) buffers[1] = new float[outFloats];
        float[] framed = buffers[0], out = buffers[1], wt = weights;
        if (wt == null) {
            if (buffers[2].length < 9 * channels) buffers[2] = new float[9 * channels];
            wt = buffers[2];
            MemorySegment.copy(wIn, F, 0, wt, 0, 9 * channels);
        }
        int lead = (int) leadFloats;
        boolean direct = columnSums && planeFloats >= DIRECT_MIN_FLOATS; // see planeToY
        Arrays.fill(framed, 0, lead, 0f);
        Arrays.fill(framed, lead + planeFloats, framedFloats, 0f);
        for (int first = from; first < to; first += batch) {
            int end = Math.min(to, first + batch);
            for (int plane = first; plane < end; plane++) {
                int c = plane % channels;
                MemorySegment.copy(x, F, 4L * plane * planeFloats, framed, lead, planeFloats);
                float b = bias == null ? 0f : bias.getAtIndex(F, c);
                if (rowQuads) rowQuads(framed, out, wt, 9 * c, b, y, 4L * plane * planeFloats);
                else if (direct) planeToY(framed, out, wt, 9 * c, b, y, 4L * plane * planeFloats);
                else if (columnSums) plane(framed, out, (plane - first) * planeFloats, wt, 9 * c, b, null, 0, 0);
                else planeNineLoads(framed, out, (plane - first) * planeFloats, wt, 9 * c, b);
            }
            long at = 4L * first * planeFloats;
            if (!rowQuads && !direct) MemorySegment.copy(out, 0, y, F, at, (end - first) * planeFloats);
            if (after != null) after.apply(y, at, (end - first) * planeFloats);
        }
    }

    /**
     * One plane from its zero-framed copy into {@code out} from {@code outAt} (its last vector may
     * spill into the next plane's place, written after it), its first {@code direct} vectors into
     * Y at {@code yAt} instead (see {@link #planeToY}). Per vector of flat positions
     * {@code p}, three loads (rows above, at and below) give the three kernel columns' sums
     * {@code c0(p), c1(p) + bias, c2(p)}, each in {@link #planeNineLoads}'s order; output vector
     * {@code v} is {@code c1 + c0} shifted right one lane (its lane 0 from vector {@code v - 1})
     * {@code + c2} shifted left one lane (its last lane from vector {@code v + 1}), each shift one
     * two-vector select, the outer columns' sums left out (masked adds) in the lanes of the first
     * and last plane columns, then clamped. The same sums in the same order as
     * {@link #planeNineLoads} (but for the sign of a zero in the plane's outer columns), with a
     * third of the loads: {@code F32DepthwiseBench}, one thread, 512-bit, load 3-4, against it in
     * the same process: 576@14x14 28.5 against 42.6 us, 384@14x14 18.2 against 28.5, 192@28x28
     * 33-37 against 49, 960@7x7 24.3 against 28.6; and against the row-quad loop 144@56x56 134
     * against 148, 32@112x112 107 against 111.
     */
    /**
     * Planes of at least this many floats (more than L1 holds) are stored to Y directly
     * ({@link #planeToY}); smaller ones through the output buffer, which stays in L1.
     */
    static final int DIRECT_MIN_FLOATS = 8192;

    /**
     * One plane as {@link #plane}, stored to Y at {@code yAt} directly but for its last vector
     * (which may spill past the plane), which goes through {@code out}. For planes of at least
     * {@link #DIRECT_MIN_FLOATS}: {@code F32DepthwiseBench}, one thread, load 3-5, three rounds
     * against the whole plane through {@code out} in alternated processes: 32@112x112 79-89 against
     * 116-117 us; in MobileNetV2 (ProfMin, three rounds, load 6) 107 against 116-122. Not for
     * smaller planes: 144@56x56 in the model took 109-111 against 100-102 through the buffer.
     */
    private void planeToY(float[] a, float[] out, float[] wt, int k, float b, MemorySegment y, long yAt) {
        int lanes = species.length(), direct = vectors - 1;
        plane(a, out, 0, wt, k, b, y, yAt, direct);
        MemorySegment.copy(out, direct * lanes, y, F, yAt + 4L * direct * lanes, planeFloats - direct * lanes);
    }

    private void plane(float[] a, float[] out, int outAt, float[] wt, int k, float b, MemorySegment y, long yAt, int direct) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int up = w, lead = (int) leadFloats, n = vectors;
        long[] first = firstColumn, last = lastColumn;
        FloatVector w00 = FloatVector.broadcast(sp, wt[k]), w01 = FloatVector.broadcast(sp, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(sp, wt[k + 2]), w10 = FloatVector.broadcast(sp, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(sp, wt[k + 4]), w12 = FloatVector.broadcast(sp, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(sp, wt[k + 6]), w21 = FloatVector.broadcast(sp, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(sp, wt[k + 8]);
        FloatVector bv = FloatVector.broadcast(sp, b);
        boolean upper = clamp && hi < Float.POSITIVE_INFINITY;
        FloatVector low = FloatVector.broadcast(sp, clamp ? lo : Float.NEGATIVE_INFINITY);
        FloatVector high = FloatVector.broadcast(sp, upper ? hi : Float.POSITIVE_INFINITY);
        // made here from the constant species, as F32Depthwise3x3Stride2's split indices
        FloatVector fromLeft = FloatVector.fromArray(sp, LANE_INDICES, lanes - 1);
        FloatVector fromRight = FloatVector.fromArray(sp, LANE_INDICES, 1);
        FloatVector above = FloatVector.fromArray(sp, a, lead - up), at = FloatVector.fromArray(sp, a, lead);
        FloatVector below = FloatVector.fromArray(sp, a, lead + up);
        FloatVector leftBefore = FloatVector.zero(sp); // lane 0's left neighbour lies in column 0's masked lanes
        FloatVector left = below.fma(w20, at.fma(w10, above.mul(w00)));
        FloatVector mid = below.fma(w21, at.fma(w11, above.fma(w01, bv)));
        FloatVector right = below.fma(w22, at.fma(w12, above.mul(w02)));
        for (int v = 0; v < n; v++) {
            int q = lead + (v + 1) * lanes; // the input under output vector v + 1
            above = FloatVector.fromArray(sp, a, q - up);
            at = FloatVector.fromArray(sp, a, q);
            below = FloatVector.fromArray(sp, a, q + up);
            FloatVector nextLeft = below.fma(w20, at.fma(w10, above.mul(w00)));
            FloatVector nextMid = below.fma(w21, at.fma(w11, above.fma(w01, bv)));
            FloatVector nextRight = below.fma(w22, at.fma(w12, above.mul(w02)));
            FloatVector o = mid.add(fromLeft.selectFrom(leftBefore, left), VectorMask.fromLong(sp, ~first[v]))
                    .add(fromRight.selectFrom(right, nextRight), VectorMask.fromLong(sp, ~last[v]));
            o = o.blend(low, o.compare(VectorOperators.LE, low)); // as in planeNineLoads
            if (upper) o = o.blend(high, o.compare(VectorOperators.GT, high));
            if (v < direct) o.intoMemorySegment(y, yAt + 4L * v * lanes, LE);
            else o.intoArray(out, outAt + v * lanes);
            leftBefore = left;
            left = nextLeft;
            mid = nextMid;
            right = nextRight;
        }
    }

    /**
     * One plane as {@link #plane}, each tap loaded: per output vector, the three kernel columns'
     * sums, the outer two blended to zero in the lanes of the plane's first and last columns, plus
     * the bias, clamped.
     */
    private void planeNineLoads(float[] a, float[] out, int outAt, float[] wt, int k, float b) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int up = w, lead = (int) leadFloats, n = vectors;
        long[] first = firstColumn, last = lastColumn;
        FloatVector w00 = FloatVector.broadcast(sp, wt[k]), w01 = FloatVector.broadcast(sp, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(sp, wt[k + 2]), w10 = FloatVector.broadcast(sp, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(sp, wt[k + 4]), w12 = FloatVector.broadcast(sp, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(sp, wt[k + 6]), w21 = FloatVector.broadcast(sp, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(sp, wt[k + 8]);
        FloatVector bv = FloatVector.broadcast(sp, b);
        boolean upper = clamp && hi < Float.POSITIVE_INFINITY; // false for Relu: one compare
        FloatVector low = FloatVector.broadcast(sp, clamp ? lo : Float.NEGATIVE_INFINITY);
        FloatVector high = FloatVector.broadcast(sp, upper ? hi : Float.POSITIVE_INFINITY);
        for (int v = 0; v < n; v++) {
            int q = lead + v * lanes; // the input under output vector v
            FloatVector left = FloatVector.fromArray(sp, a, q - up - 1).mul(w00);
            left = FloatVector.fromArray(sp, a, q - 1).fma(w10, left);
            left = FloatVector.fromArray(sp, a, q + up - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(sp, a, q - up).fma(w01, bv);
            mid = FloatVector.fromArray(sp, a, q).fma(w11, mid);
            mid = FloatVector.fromArray(sp, a, q + up).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(sp, a, q - up + 1).mul(w02);
            right = FloatVector.fromArray(sp, a, q + 1).fma(w12, right);
            right = FloatVector.fromArray(sp, a, q + up + 1).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(sp, first[v])))
                    .add(right.blend(0f, VectorMask.fromLong(sp, last[v])));
            // Clamp by compare and blend: max/min with Java's NaN and signed-zero rules took six
            // instructions each. A NaN compares false and stays NaN, as with max/min; -0 compares
            // equal to Relu's 0 and becomes +0, as max(-0, 0) does.
            o = o.blend(low, o.compare(VectorOperators.LE, low));
            if (upper) o = o.blend(high, o.compare(VectorOperators.GT, high));
            o.intoArray(out, outAt + v * lanes);
        }
    }

    /**
     * One plane as {@link #planeNineLoads}, four output rows per step: the vectors at flat positions
     * {@code q, q + w, q + 2w, q + 3w} (same columns, so the same column masks) load input rows
     * {@code r - 1 .. r + 4} once each per column shift (18 loads for four vectors instead of 36),
     * and sum in {@link #planeNineLoads}'s order, so the bits are the same. A row's last vector spills into
     * the next row, which computes the same values again; those groups store to Y directly. The
     * last group, whose rows or spills may pass the plane, goes through {@code out} and is copied.
     */
    private void rowQuads(float[] a, float[] out, float[] wt, int k, float b, MemorySegment y, long yAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int up = w, lead = (int) leadFloats, perRow = rowVectors;
        long[] first = firstColumnInRow, last = lastColumnInRow;
        FloatVector w00 = FloatVector.broadcast(sp, wt[k]), w01 = FloatVector.broadcast(sp, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(sp, wt[k + 2]), w10 = FloatVector.broadcast(sp, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(sp, wt[k + 4]), w12 = FloatVector.broadcast(sp, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(sp, wt[k + 6]), w21 = FloatVector.broadcast(sp, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(sp, wt[k + 8]);
        FloatVector bv = FloatVector.broadcast(sp, b);
        boolean upper = clamp && hi < Float.POSITIVE_INFINITY;
        FloatVector low = FloatVector.broadcast(sp, clamp ? lo : Float.NEGATIVE_INFINITY);
        FloatVector high = FloatVector.broadcast(sp, upper ? hi : Float.POSITIVE_INFINITY);
        int tail = h >= 5 ? ((h - 5) / 4 + 1) * 4 : 0; // the first group whose rows or spills may pass the plane
        for (int r = 0; r <= tail; r += 4) {
            boolean inPlane = r < tail;
            for (int j = 0; j < perRow; j++) {
                int p = r * up + j * lanes, q = lead + p;
                FloatVector a0 = FloatVector.fromArray(sp, a, q - up), a1 = FloatVector.fromArray(sp, a, q);
                FloatVector a2 = FloatVector.fromArray(sp, a, q + up), a3 = FloatVector.fromArray(sp, a, q + 2 * up);
                FloatVector a4 = FloatVector.fromArray(sp, a, q + 3 * up), a5 = FloatVector.fromArray(sp, a, q + 4 * up);
                FloatVector o0 = a2.fma(w21, a1.fma(w11, a0.fma(w01, bv)));
                FloatVector o1 = a3.fma(w21, a2.fma(w11, a1.fma(w01, bv)));
                FloatVector o2 = a4.fma(w21, a3.fma(w11, a2.fma(w01, bv)));
                FloatVector o3 = a5.fma(w21, a4.fma(w11, a3.fma(w01, bv)));
                VectorMask<Float> firstLanes = VectorMask.fromLong(sp, first[j]);
                a0 = FloatVector.fromArray(sp, a, q - up - 1);
                a1 = FloatVector.fromArray(sp, a, q - 1);
                a2 = FloatVector.fromArray(sp, a, q + up - 1);
                a3 = FloatVector.fromArray(sp, a, q + 2 * up - 1);
                a4 = FloatVector.fromArray(sp, a, q + 3 * up - 1);
                a5 = FloatVector.fromArray(sp, a, q + 4 * up - 1);
                o0 = o0.add(a2.fma(w20, a1.fma(w10, a0.mul(w00))).blend(0f, firstLanes));
                o1 = o1.add(a3.fma(w20, a2.fma(w10, a1.mul(w00))).blend(0f, firstLanes));
                o2 = o2.add(a4.fma(w20, a3.fma(w10, a2.mul(w00))).blend(0f, firstLanes));
                o3 = o3.add(a5.fma(w20, a4.fma(w10, a3.mul(w00))).blend(0f, firstLanes));
                VectorMask<Float> lastLanes = VectorMask.fromLong(sp, last[j]);
                a0 = FloatVector.fromArray(sp, a, q - up + 1);
                a1 = FloatVector.fromArray(sp, a, q + 1);
                a2 = FloatVector.fromArray(sp, a, q + up + 1);
                a3 = FloatVector.fromArray(sp, a, q + 2 * up + 1);
                a4 = FloatVector.fromArray(sp, a, q + 3 * up + 1);
                a5 = FloatVector.fromArray(sp, a, q + 4 * up + 1);
                o0 = o0.add(a2.fma(w22, a1.fma(w12, a0.mul(w02))).blend(0f, lastLanes));
                o1 = o1.add(a3.fma(w22, a2.fma(w12, a1.mul(w02))).blend(0f, lastLanes));
                o2 = o2.add(a4.fma(w22, a3.fma(w12, a2.mul(w02))).blend(0f, lastLanes));
                o3 = o3.add(a5.fma(w22, a4.fma(w12, a3.mul(w02))).blend(0f, lastLanes));
                o0 = o0.blend(low, o0.compare(VectorOperators.LE, low));
                o1 = o1.blend(low, o1.compare(VectorOperators.LE, low));
                o2 = o2.blend(low, o2.compare(VectorOperators.LE, low));
                o3 = o3.blend(low, o3.compare(VectorOperators.LE, low));
                if (upper) {
                    o0 = o0.blend(high, o0.compare(VectorOperators.GT, high));
                    o1 = o1.blend(high, o1.compare(VectorOperators.GT, high));
                    o2 = o2.blend(high, o2.compare(VectorOperators.GT, high));
                    o3 = o3.blend(high, o3.compare(VectorOperators.GT, high));
                }
                if (inPlane) {
                    o0.intoMemorySegment(y, yAt + 4L * p, LE);
                    o1.intoMemorySegment(y, yAt + 4L * (p + up), LE);
                    o2.intoMemorySegment(y, yAt + 4L * (p + 2 * up), LE);
                    o3.intoMemorySegment(y, yAt + 4L * (p + 3 * up), LE);
                } else {
                    int at = p - tail * up;
                    o0.intoArray(out, at);
                    o1.intoArray(out, at + up);
                    o2.intoArray(out, at + 2 * up);
                    o3.intoArray(out, at + 3 * up);
                }
            }
        }
        MemorySegment.copy(out, 0, y, F, yAt + 4L * tail * up, (h - tail) * up);
    }

    @Override
    public String toString() {
        return "F32Depthwise3x3(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
