package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java 8-bit convolution ({@link KernelProvider.Q8ConvSpec}) computed on the float32 FMA path
 * with integer-valued operands: the Vector API cannot reach the int8 dot-product instructions
 * (VNNI), and its widening integer multiplies are no faster than float FMA, so the integer sums are
 * formed by the float convolution kernels ({@link F32ConvKernel}, {@link F32DepthwiseConv}) with
 * the int8 weights converted to float once here. It serves what {@link Q8ConvGemm} and
 * {@link Q8DepthwiseConv} do not (3-D convolutions, 1-D depthwise ones). A run has three passes:
 * <ol>
 *   <li>{@code xf = (float) (x - xZeroPoint)}, vectorized;</li>
 *   <li>{@code accf = conv(xf, w)} by the float kernel (no bias);</li>
 *   <li>per output channel {@code y = saturate(rint(float((int) accf + bias) * multiplier) + yZeroPoint)}
 *       into {@code [yMin, yMax]}, vectorized.</li>
 * </ol>
 *
 * <p>Exactness: each product {@code (x - zx) * w} is an integer of magnitude at most
 * {@code 255 * 128 < 2^15}, and float32 adds integers exactly while every partial sum stays below
 * {@code 2^24} in magnitude, which holds for any reduction depth up to 512 and in practice for much
 * deeper ones (activations and weights are rarely all at their extremes). Beyond {@code 2^24} a sum
 * is rounded to a float32 neighbour, a relative error of at most {@code 2^-24} per addition, far
 * below one output step once multiplied by the requantization multiplier, but the result may then
 * differ by one from exact int32 arithmetic when it lands next to a rounding boundary. The bias is
 * added as an int32 after the sum, so it is exact whatever its size.
 *
 * <p>Scratch (from {@link #scratchBytes()}) holds {@code xf}, {@code accf} and the float kernel's
 * own scratch; the slices of a scratch segment are made once and reused while the caller passes the
 * same segment, so steady-state runs allocate nothing. Thread-safe.
 */
final class Q8ConvViaF32 implements KernelProvider.Q8ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final KernelProvider.Q8ConvSpec spec;
    private final KernelProvider.ConvKernel floatConv;
    private final VectorSpecies<Float> species; // null: scalar loops
    private final int planesIn, planesOut, outChannels;
    private final long inPlane, outPlane;      // elements per (image, channel) plane
    private final long xfBytes, accBytes;      // scratch regions, 64-byte multiples
    private volatile Slices slices;
    private final Q8Reusable<Planes> splits = new Q8Reusable<>(Planes::new);

    /** The scratch regions of one scratch segment (identity of {@code scratch} decides reuse). */
    private record Slices(MemorySegment scratch, MemorySegment xf, MemorySegment acc, MemorySegment inner) {}

    /**
     * @param floatKernels the provider of the float convolution (same species)
     */
    Q8ConvViaF32(KernelProvider.Q8ConvSpec spec, KernelProvider floatKernels, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        this.spec = spec;
        this.species = species;
        long[] xs = g.inputShape(), ys = g.outputShape();
        outChannels = (int) ys[1];
        planesIn = (int) (xs[0] * xs[1]);
        planesOut = (int) (ys[0] * ys[1]);
        inPlane = product(xs, 2);
        outPlane = product(ys, 2);
        xfBytes = align64(4 * planesIn * inPlane);
        accBytes = align64(4 * planesOut * outPlane);
        var floatSpec = new KernelProvider.ConvSpec(DType.FLOAT, xs, g.weightShape(), ys, g.group(), g.strides(),
                g.padsBegin(), g.dilations(), integerWeightsAsFloat(g.constantWeight()), null);
        floatConv = floatKernels.conv(floatSpec).orElseThrow(
                () -> new IllegalStateException(floatKernels + " has no float convolution for " + floatSpec));
    }

    /**
     * Whether {@code spec} is a convolution that float runs on {@link F32FewPositionsConv} (deep, over
     * few positions: ResNet-18's layer3 and layer4), whose int8 sums this kernel then forms on it too:
     * {@link Q8ConvGemm}'s packed panels, which float used there before, took 25.2-26.0 ms of resnet18's
     * int8 run against float's 21.2-21.9 ms with F32FewPositionsConv (1 thread, Java kernels).
     */
    static boolean takesFewPositions(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        // the int8 weights stand in for their float copy: the choice reads shapes and that weights are constant
        var asFloat = new KernelProvider.ConvSpec(DType.FLOAT, g.inputShape(), g.weightShape(), g.outputShape(), g.group(),
                g.strides(), g.padsBegin(), g.dilations(), g.constantWeight(), null);
        return F32FewPositionsConv.preferred(asFloat, species);
    }

    /** The int8 weights as float32 values (exact), in memory the garbage collector frees with the kernel. */
    private static Tensor integerWeightsAsFloat(Tensor w) {
        if (w == null || w.dtype() != DType.INT8) {
            throw new IllegalArgumentException("8-bit convolution needs constant int8 weights, got " + w);
        }
        long n = w.elementCount();
        MemorySegment f = F32Gemm.allocatePacked(4 * n);
        for (long i = 0; i < n; i++) f.setAtIndex(F, i, w.data().get(ValueLayout.JAVA_BYTE, i));
        return Tensor.wrap(DType.FLOAT, w.shape(), f);
    }

    @Override
    public long scratchBytes() {
        return xfBytes + accBytes + floatConv.scratchBytes();
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Slices s = slicesOf(scratch);
        if (par.threads() <= 1) {
            widenPlanes(x, s.xf, 0, planesIn);
            floatConv.run(s.xf, MemorySegment.NULL, MemorySegment.NULL, s.acc, s.inner, par);
            requantizePlanes(s.acc, y, 0, planesOut);
            return;
        }
        Planes body = splits.claim();
        body.set(x, y, s);
        try {
            par.forRange(planesIn, body);
            floatConv.run(s.xf, MemorySegment.NULL, MemorySegment.NULL, s.acc, s.inner, par);
            body.requantize = true;
            par.forRange(planesOut, body);
        } finally {
            body.set(null, null, null);
            splits.release(body);
        }
    }

    /** The planes {@code [from, to)} of one split call: widened, or (once {@code requantize}) requantized; reused across calls. */
    private final class Planes implements RunContext.RangeBody {
        private MemorySegment x, y;
        private Slices s;
        boolean requantize;

        void set(MemorySegment x, MemorySegment y, Slices s) {
            this.x = x;
            this.y = y;
            this.s = s;
            requantize = false;
        }

        @Override
        public void run(int from, int to) {
            if (requantize) requantizePlanes(s.acc, y, from, to);
            else widenPlanes(x, s.xf, from, to);
        }
    }

    private Slices slicesOf(MemorySegment scratch) {
        Slices s = slices;
        if (s == null || s.scratch != scratch) {
            s = new Slices(scratch, scratch.asSlice(0, xfBytes), scratch.asSlice(xfBytes, accBytes),
                    scratch.asSlice(xfBytes + accBytes, floatConv.scratchBytes()));
            slices = s;
        }
        return s;
    }

    private void widenPlanes(MemorySegment x, MemorySegment xf, int from, int to) {
        long start = from * inPlane;
        Q8Quantize.widen(species, x, start, xf, 4 * start, (to - from) * inPlane, spec.xZeroPoint(), spec.xSigned());
    }

    private void requantizePlanes(MemorySegment acc, MemorySegment y, int from, int to) {
        int[] bias = spec.bias();
        float[] multipliers = spec.multipliers();
        for (int p = from; p < to; p++) {
            int m = p % outChannels;
            long at = p * outPlane;
            Q8Quantize.requantize(species, acc, 4 * at, y, at, outPlane, bias == null ? 0 : bias[m], multipliers[m],
                    spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    private static long product(long[] dims, int from) {
        long p = 1;
        for (int i = from; i < dims.length; i++) p *= dims[i];
        return p;
    }

    private static long align64(long bytes) {
        return (bytes + 63) & ~63L;
    }

    @Override
    public String toString() {
        return "Q8ConvViaF32(" + floatConv + ") " + spec;
    }
}
