package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java 8-bit 2-D depthwise convolution, in blocks of channels small enough to stay in cache:
 * per block, the 8-bit input planes are widened to exact floats {@code x - zx}, convolved by
 * {@link F32DepthwiseConv} (the int8 weights converted to float once; integer sums exact, see
 * {@link Q8ConvViaF32}), and requantized into the 8-bit output while still in cache. Memory
 * traffic is that of the 8-bit tensors; the float copies live only per block.
 *
 * <p>Blocks have the same channel count (a divisor of the channel count), so one float kernel
 * serves them all, reading each block's weights from a slice made at compile time. Scratch holds
 * one block's float input and accumulators and the float kernel's scratch; its slices are made
 * once per scratch segment. Thread-safe; the planes of a block are split over threads.
 */
final class Q8DepthwiseConv implements KernelProvider.Q8ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Float elements of one block's input planes aimed at (128 KiB: within L2 with the output). */
    private static final long BLOCK_ELEMENTS = 32 * 1024;

    private final KernelProvider.Q8ConvSpec spec;
    private final VectorSpecies<Float> species; // null: scalar
    private final KernelProvider.ConvKernel blockConv;
    private final int batch, channels, blockChannels;
    private final long inPlane, outPlane;
    private final MemorySegment[] blockWeights; // per block: [blockChannels, 1, kh, kw] floats
    private final long xfBytes, accBytes;
    private volatile Slices slices;

    private record Slices(MemorySegment scratch, MemorySegment xf, MemorySegment acc, MemorySegment inner) {}

    static boolean supports(KernelProvider.ConvSpec g) {
        return F32DepthwiseConv.supports(g);
    }

    Q8DepthwiseConv(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!supports(g)) throw new IllegalArgumentException("not a 2-D depthwise convolution: " + g);
        this.spec = spec;
        this.species = species;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        batch = (int) xs[0];
        channels = (int) xs[1];
        inPlane = xs[2] * xs[3];
        outPlane = ys[2] * ys[3];
        blockChannels = blockChannels(channels, Math.max(inPlane, outPlane));
        long[] bx = {1, blockChannels, xs[2], xs[3]}, bw = {blockChannels, 1, ws[2], ws[3]}, by = {1, blockChannels, ys[2], ys[3]};
        var blockSpec = new KernelProvider.ConvSpec(DType.FLOAT, bx, bw, by, blockChannels, g.strides(), g.padsBegin(),
                g.dilations(), null, null);
        blockConv = new F32DepthwiseConv(blockSpec, species);
        long taps = ws[2] * ws[3];
        MemorySegment wf = F32Gemm.allocatePacked(4 * channels * taps);
        MemorySegment q = g.constantWeight().data();
        for (long i = 0; i < channels * taps; i++) wf.setAtIndex(F, i, q.get(ValueLayout.JAVA_BYTE, i));
        blockWeights = new MemorySegment[channels / blockChannels];
        for (int b = 0; b < blockWeights.length; b++) {
            blockWeights[b] = wf.asSlice(4L * b * blockChannels * taps, 4L * blockChannels * taps);
        }
        xfBytes = align64(4L * blockChannels * inPlane);
        accBytes = align64(4L * blockChannels * outPlane);
    }

    /** The largest divisor of {@code channels} (at least 2) whose planes fit {@link #BLOCK_ELEMENTS}. */
    static int blockChannels(int channels, long plane) {
        long fit = Math.max(2, BLOCK_ELEMENTS / Math.max(1, plane));
        if (channels <= fit) return channels;
        for (int d = (int) fit; d >= 2; d--) {
            if (channels % d == 0) return d;
        }
        for (int d = 2; d < channels; d++) {
            if (channels % d == 0) return d; // no divisor below the target: the smallest one above
        }
        return channels;
    }

    @Override
    public long scratchBytes() {
        return xfBytes + accBytes + blockConv.scratchBytes();
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Slices s = slicesOf(scratch);
        int blocks = blockWeights.length;
        long blockIn = blockChannels * inPlane;
        for (int n = 0; n < batch; n++) {
            for (int b = 0; b < blocks; b++) {
                long first = (long) n * channels + (long) b * blockChannels; // first plane of the block
                Q8Quantize.widen(species, x, first * inPlane, s.xf, 0, blockIn, spec.xZeroPoint(), spec.xSigned());
                blockConv.run(s.xf, blockWeights[b], MemorySegment.NULL, s.acc, s.inner, par);
                requantize(s.acc, y, first * outPlane, b * blockChannels);
            }
        }
    }

    private void requantize(MemorySegment acc, MemorySegment y, long yOff, int firstChannel) {
        int[] bias = spec.bias();
        float[] multipliers = spec.multipliers();
        for (int c = 0; c < blockChannels; c++) {
            int m = firstChannel + c;
            Q8Quantize.requantize(species, acc, 4L * c * outPlane, y, yOff + c * outPlane, outPlane,
                    bias == null ? 0 : bias[m], multipliers[m], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    private Slices slicesOf(MemorySegment scratch) {
        Slices s = slices;
        if (s == null || s.scratch != scratch) {
            s = new Slices(scratch, scratch.asSlice(0, xfBytes), scratch.asSlice(xfBytes, accBytes),
                    scratch.asSlice(xfBytes + accBytes, blockConv.scratchBytes()));
            slices = s;
        }
        return s;
    }

    private static long align64(long bytes) {
        return (bytes + 63) & ~63L;
    }

    @Override
    public String toString() {
        return "Q8DepthwiseConv(" + blockChannels + " channels per block, " + blockConv + ") " + spec;
    }
}
