package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise 3x3 convolution, strides 2, unit dilations, one pixel of padding before each axis
 * (MobileNetV2's stride-2 layers: 96@112x112, 144@56x56, 192@28x28, 576@14x14).
 *
 * <p>Each plane is split once into four phase planes on a per-thread heap buffer
 * ({@link Depthwise3x3Stride2Phases}), each output vector then reading its nine taps as contiguous
 * loads with no gather, vectors running over the flat positions of several rows at once and stored
 * as they are. The split costs two two-vector selects per two input vectors, once per input;
 * {@link F32DepthwiseRows}, which this replaces for these shapes, paid one select per tap and
 * output vector, reading X through memory segments. The split reads X's segment directly: copying
 * each batch of planes to a heap array first and splitting from there (as the int8 kernel does
 * with bytes) ran 1.3-1.6x slower (F32DepthwiseBench, one thread, load 8: 96@112x112 251 against
 * 176 us, 576@14x14 51 against 32).
 *
 * <p>The left and right kernel columns read the same phase planes, the left a lane before: their
 * sums come from the same three loads, the left one shifted by a lane ({@link #plane}, six loads
 * per output vector where {@link #planeNineLoads} took nine). {@code F32DepthwiseBench}, one
 * thread, 512-bit, load 4, against the nine loads in the same process: 96@112x112 180-194 against
 * 196-210 us, 144@56x56 55-56 against 60-63, 192@28x28 20.8 against 21.4-21.9, 576@14x14 29.3-29.8
 * against 30.9-31.2. {@code -Dedgerun.java.depthwiseStride2ColumnSums=off} keeps the nine loads.
 *
 * <p>{@code -Dedgerun.java.depthwiseStride2=off} leaves these shapes on {@link F32DepthwiseRows}.
 */
public final class F32Depthwise3x3Stride2 implements KernelProvider.ConvKernel, F32DepthwiseSplit.PlaneRanges {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final boolean ENABLED = !"off".equals(System.getProperty("edgerun.java.depthwiseStride2"));

    /** Output floats of the planes packed before one copy to Y (one plane when larger). */
    private static final int OUT_BATCH_FLOATS = 2048;

    private final KernelProvider.ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int channels, h, w, oh, ow, planes;
    private final Depthwise3x3Stride2Phases phases;
    private final float[] weights;      // constant weights [C, 3, 3], or null (copied per call then)
    private final boolean clamp;
    private final float lo, hi;
    private final F32GemmEpilogue after; // an epilogue other than a clamp, applied per batch of planes; or null
    private final boolean columnSums;   // outer kernel columns summed from shared loads (plane), else each tap loaded (planeNineLoads)

    /** Whether this kernel handles {@code spec} on {@code species}. */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!ENABLED || species == null || species.length() > 64 || !F32DepthwiseConv.supports(spec)) return false;
        long[] xs = spec.inputShape(), ws = spec.weightShape(), ys = spec.outputShape();
        return ws[2] == 3 && ws[3] == 3 && spec.strides()[0] == 2 && spec.strides()[1] == 2
                && spec.dilations()[0] == 1 && spec.dilations()[1] == 1
                && spec.padsBegin()[0] == 1 && spec.padsBegin()[1] == 1
                && Depthwise3x3Stride2Phases.fits(xs, ys);
    }

    public F32Depthwise3x3Stride2(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not a 3x3 stride-2 depthwise convolution: " + spec);
        this.spec = spec;
        this.species = species;
        long[] xs = spec.inputShape(), ys = spec.outputShape();
        channels = (int) xs[1];
        h = (int) xs[2];
        w = (int) xs[3];
        oh = (int) ys[2];
        ow = (int) ys[3];
        planes = (int) xs[0] * channels;
        phases = new Depthwise3x3Stride2Phases(xs, ys, species.length());
        ActivationEpilogue c = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = c != null;
        lo = clamp ? c.clampLow() : 0f;
        hi = clamp ? c.clampHigh() : 0f;
        after = clamp ? null : spec.epilogue();
        weights = spec.constantWeight() == null ? null : spec.constantWeight().toFloatArray();
        columnSums = !"off".equals(System.getProperty("edgerun.java.depthwiseStride2ColumnSums"));
    }

    /** Per fixed plane range: an edge region for a plane whose split would read past X, and its slack. */
    @Override
    public long scratchBytes() {
        return 4L * F32DepthwiseSplit.CHUNKS * edgeFloats();
    }

    private long edgeFloats() {
        return (long) h * w + 2L * species.length();
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        F32DepthwiseSplit.run(this, planes, (long) planes * oh * ow * 9, par, x, wIn, b, y, scratch);
    }

    /** Lane indices 0, 2, 4, ... and 1, 3, 5, ... into two vectors of up to 64 lanes. */
    private static final float[] EVEN_LANES = new float[64], ODD_LANES = new float[64];

    static {
        for (int l = 0; l < 64; l++) {
            EVEN_LANES[l] = 2 * l;
            ODD_LANES[l] = 2 * l + 1;
        }
    }

    /**
     * Per thread: the phase planes of the plane being convolved, the output planes, and
     * non-constant weights; each grown, never shrunk.
     * Plain arrays: their loads carry no segment size and session checks (see {@link F32Depthwise3x3}).
     */
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[3][0]);

    /** Planes {@code [from, to)}, each split then convolved into this thread's output buffer, copied to Y every {@link #OUT_BATCH_FLOATS} floats. */
    @Override
    public void planes(MemorySegment x, MemorySegment wIn, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                       int range, int from, int to) {
        int lanes = species.length(), outPlane = oh * ow;
        int batch = Math.max(1, OUT_BATCH_FLOATS / outPlane);
        float[][] buffers = BUFFERS.get();
        float[] phaseBuffer = grown(buffers, 0, phases.bufferFloats());
        float[] packed = grown(buffers, 1, batch * outPlane + lanes); // a plane's last vector may spill past it
        float[] wt = weights;
        if (wt == null) {
            wt = grown(buffers, 2, 9 * channels);
            MemorySegment.copy(wIn, F, 0, wt, 0, 9 * channels);
        }
        int first = from; // of the planes packed and not yet copied to Y
        for (int plane = from; plane < to; plane++) {
            split(x, plane, scratch, range, phaseBuffer);
            int c = plane % channels;
            float b = bias == null ? 0f : bias.getAtIndex(F, c);
            if (columnSums) plane(phaseBuffer, packed, (plane - first) * outPlane, wt, 9 * c, b);
            else planeNineLoads(phaseBuffer, packed, (plane - first) * outPlane, wt, 9 * c, b);
            if (plane + 1 == to || plane + 1 - first == batch) {
                long yAt = 4L * first * outPlane;
                MemorySegment.copy(packed, 0, y, F, yAt, (plane + 1 - first) * outPlane);
                if (after != null) after.apply(y, yAt, (plane + 1 - first) * outPlane);
                first = plane + 1;
            }
        }
    }

    /** Plane {@code plane} of X into the phase planes; through range {@code range}'s edge region when its split would read past X. */
    private void split(MemorySegment x, int plane, MemorySegment scratch, int range, float[] p) {
        long planeAt = 4L * plane * h * w;
        if (planeAt + 4L * phases.reach <= x.byteSize()) {
            split(x, planeAt, p);
        } else {
            long edge = 4L * range * edgeFloats();
            MemorySegment.copy(x, planeAt, scratch, edge, 4L * phases.rowsRead * w);
            split(scratch, edge, p);
        }
    }

    private static float[] grown(float[][] buffers, int k, int floats) {
        if (buffers[k].length < floats) buffers[k] = new float[floats];
        return buffers[k];
    }

    /** The input plane at {@code planeAt} into its four phase planes (see {@link Depthwise3x3Stride2Phases}). */
    private void split(MemorySegment x, long planeAt, float[] p) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length(), odd = phases.phaseFloats;
        int[] from = phases.stepFrom, to = phases.stepTo;
        // made here from the constant species: an index vector kept in a field is of no class the
        // JIT knows, and its select then boxed both vectors
        FloatVector evenIndex = FloatVector.fromArray(sp, EVEN_LANES, 0), oddIndex = FloatVector.fromArray(sp, ODD_LANES, 0);
        for (int step = 0, steps = phases.steps; step < steps; step++) {
            long at = planeAt + 4L * from[step];
            FloatVector a = FloatVector.fromMemorySegment(sp, x, at, LE);
            FloatVector b = FloatVector.fromMemorySegment(sp, x, at + 4L * lanes, LE);
            evenIndex.selectFrom(a, b).intoArray(p, to[step]);
            oddIndex.selectFrom(a, b).intoArray(p, to[step] + odd);
        }
        phases.zeroBorders(p);
    }

    /**
     * One plane from its phase planes into {@code out} from {@code outAt} (its last vector may
     * spill into the next plane's place, written after it). The left and right kernel columns read
     * the same two phase planes (odd columns), the left one a lane before: per vector of flat
     * positions, six loads give the middle column's sum with the bias and the outer columns' sums
     * at the same positions; the left sum is then shifted right by a lane (a two-vector select, lane
     * 0 from the vector before) and left out in output column 0 (a masked add), and the sum
     * clamped. The same sums in the same order as {@link #planeNineLoads} (but for the sign of a
     * zero sum in column 0), with six loads instead of nine.
     */
    private void plane(float[] p, float[] out, int outAt, float[] wt, int k, float b) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length(), n = phases.vectors, down = ow, pf = phases.phaseFloats;
        int ee = 1, eo = 1 + pf, oe = 1 + 2 * pf, oo = 1 + 3 * pf;
        long[] first = phases.firstColumn;
        FloatVector w00 = FloatVector.broadcast(sp, wt[k]), w01 = FloatVector.broadcast(sp, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(sp, wt[k + 2]), w10 = FloatVector.broadcast(sp, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(sp, wt[k + 4]), w12 = FloatVector.broadcast(sp, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(sp, wt[k + 6]), w21 = FloatVector.broadcast(sp, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(sp, wt[k + 8]);
        FloatVector bv = FloatVector.broadcast(sp, b);
        boolean upper = clamp && hi < Float.POSITIVE_INFINITY;
        FloatVector low = FloatVector.broadcast(sp, clamp ? lo : Float.NEGATIVE_INFINITY);
        FloatVector high = FloatVector.broadcast(sp, upper ? hi : Float.POSITIVE_INFINITY);
        FloatVector fromLeft = FloatVector.fromArray(sp, F32Depthwise3x3.LANE_INDICES, lanes - 1);
        FloatVector leftBefore = FloatVector.zero(sp); // lane 0's left neighbour lies in column 0's masked lanes
        for (int v = 0; v < n; v++) {
            int q = v * lanes;
            FloatVector above = FloatVector.fromArray(sp, p, oo + q), at = FloatVector.fromArray(sp, p, eo + q);
            FloatVector below = FloatVector.fromArray(sp, p, oo + q + down);
            FloatVector left = below.fma(w20, at.fma(w10, above.mul(w00)));
            FloatVector right = below.fma(w22, at.fma(w12, above.mul(w02)));
            FloatVector mid = FloatVector.fromArray(sp, p, oe + q).fma(w01, bv);
            mid = FloatVector.fromArray(sp, p, ee + q).fma(w11, mid);
            mid = FloatVector.fromArray(sp, p, oe + q + down).fma(w21, mid);
            FloatVector o = mid.add(fromLeft.selectFrom(leftBefore, left), VectorMask.fromLong(sp, ~first[v])).add(right);
            o = o.blend(low, o.compare(VectorOperators.LE, low)); // as in planeNineLoads
            if (upper) o = o.blend(high, o.compare(VectorOperators.GT, high));
            o.intoArray(out, outAt + q);
            leftBefore = left;
        }
    }

    /**
     * One plane as {@link #plane}, each tap loaded: bias plus nine taps, the left column's three
     * blended to zero in output column 0, clamped.
     */
    private void planeNineLoads(float[] p, float[] out, int outAt, float[] wt, int k, float b) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length(), n = phases.vectors, down = ow, pf = phases.phaseFloats;
        int ee = 1, eo = 1 + pf, oe = 1 + 2 * pf, oo = 1 + 3 * pf;
        long[] first = phases.firstColumn;
        FloatVector w00 = FloatVector.broadcast(sp, wt[k]), w01 = FloatVector.broadcast(sp, wt[k + 1]);
        FloatVector w02 = FloatVector.broadcast(sp, wt[k + 2]), w10 = FloatVector.broadcast(sp, wt[k + 3]);
        FloatVector w11 = FloatVector.broadcast(sp, wt[k + 4]), w12 = FloatVector.broadcast(sp, wt[k + 5]);
        FloatVector w20 = FloatVector.broadcast(sp, wt[k + 6]), w21 = FloatVector.broadcast(sp, wt[k + 7]);
        FloatVector w22 = FloatVector.broadcast(sp, wt[k + 8]);
        FloatVector bv = FloatVector.broadcast(sp, b);
        boolean upper = clamp && hi < Float.POSITIVE_INFINITY;
        FloatVector low = FloatVector.broadcast(sp, clamp ? lo : Float.NEGATIVE_INFINITY);
        FloatVector high = FloatVector.broadcast(sp, upper ? hi : Float.POSITIVE_INFINITY);
        for (int v = 0; v < n; v++) {
            int q = v * lanes;
            FloatVector left = FloatVector.fromArray(sp, p, oo + q - 1).mul(w00);
            left = FloatVector.fromArray(sp, p, eo + q - 1).fma(w10, left);
            left = FloatVector.fromArray(sp, p, oo + q + down - 1).fma(w20, left);
            FloatVector mid = FloatVector.fromArray(sp, p, oe + q).fma(w01, bv);
            mid = FloatVector.fromArray(sp, p, ee + q).fma(w11, mid);
            mid = FloatVector.fromArray(sp, p, oe + q + down).fma(w21, mid);
            FloatVector right = FloatVector.fromArray(sp, p, oo + q).mul(w02);
            right = FloatVector.fromArray(sp, p, eo + q).fma(w12, right);
            right = FloatVector.fromArray(sp, p, oo + q + down).fma(w22, right);
            FloatVector o = mid.add(left.blend(0f, VectorMask.fromLong(sp, first[v]))).add(right);
            // compare and blend, as in F32Depthwise3x3: NaN stays NaN, Relu of -0 gives +0
            o = o.blend(low, o.compare(VectorOperators.LE, low));
            if (upper) o = o.blend(high, o.compare(VectorOperators.GT, high));
            o.intoArray(out, outAt + q);
        }
    }

    @Override
    public String toString() {
        return "F32Depthwise3x3Stride2(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
