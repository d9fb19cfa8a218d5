package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit pointwise convolution over few positions (MobileNetV2's 7x7 layers) on the float
 * kernel for them, {@link F32PointwiseFewPositions} (the GEMM turned round: tile rows are positions,
 * vector lanes output channels): per image, the input widened to exact floats {@code x - zx}, the
 * integer sums formed in float32 with the int8 weights converted once (exact as in
 * {@link Q8ConvGemm}), then each output channel's row requantized by {@link Q8Quantize#requantize}
 * (int32 bias added exactly), the bytes Q8ConvGemm's separate pass gives. The widened input and
 * the sums are small (49 positions), so the two passes cost little next to the product, whose
 * tiles 49 positions fill 49 of 54 rows where Q8ConvGemm's fill 49 of 64 lanes: see
 * {@link #supports}. Scratch: the widened input and the float sums. Thread-safe; channel panels
 * split over the threads of {@link Parallel}.
 */
final class Q8PointwiseFewPositions implements KernelProvider.Q8ConvKernel {
    private final KernelProvider.Q8ConvSpec spec;
    private final VectorSpecies<Float> species;
    private final int batch, depth, outChannels, positions;
    private final F32PointwiseFewPositions product;
    private final long sumsOff; // scratch: [widened input][float sums]

    /**
     * Shallower reductions stay with Q8ConvGemm. Measured on MobileNetV2's 7x7 layers
     * (Q8MobileNetBench with -Xbatch, 1 thread, interleaved, least thread CPU of 31 rounds, load
     * 13-14; Q8ConvGemm's time over this kernel's): 960->160 1.10, 960->320 1.10, 320->1280 0.99,
     * 160->960 0.86.
     */
    static final int MIN_DEPTH = 512;

    /**
     * Whether {@code spec} is a pointwise convolution at least {@link #MIN_DEPTH} deep that
     * {@link F32PointwiseFewPositions} takes (its rule: few positions, tiles filled at least a
     * twentieth better than the GEMM's).
     */
    static boolean supports(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (species == null || !g.isPlainPointwise2d()) return false;
        long[] xs = g.inputShape(), ws = g.weightShape();
        return ws[1] >= MIN_DEPTH && F32PointwiseFewPositions.suits(species, (int) ws[1], (int) ws[0], (int) (xs[2] * xs[3]));
    }

    Q8PointwiseFewPositions(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        if (!supports(spec, species)) throw new IllegalArgumentException("not an 8-bit pointwise convolution over few positions: " + spec);
        this.spec = spec;
        this.species = species;
        long[] xs = spec.geometry().inputShape(), ws = spec.geometry().weightShape();
        batch = (int) xs[0];
        depth = (int) xs[1];
        outChannels = (int) ws[0];
        positions = (int) (xs[2] * xs[3]);
        MemorySegment q = spec.geometry().constantWeight().data();
        MemorySegment weights = F32Gemm.allocatePacked(4L * outChannels * depth);
        for (long i = 0; i < (long) outChannels * depth; i++) weights.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, q.get(ValueLayout.JAVA_BYTE, i));
        product = new F32PointwiseFewPositions(species, depth, outChannels, positions, weights, 0, null);
        sumsOff = (4L * depth * positions + 63) & ~63L;
    }

    @Override
    public long scratchBytes() {
        return sumsOff + 4L * outChannels * positions;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int[] bias = spec.bias();
        float[] multipliers = spec.multipliers();
        for (int n = 0; n < batch; n++) {
            Q8Quantize.widen(species, x, (long) n * depth * positions, scratch, 0, (long) depth * positions,
                    spec.xZeroPoint(), spec.xSigned());
            product.run(scratch, 0, null, 0, scratch, sumsOff, par);
            long yAt = (long) n * outChannels * positions;
            for (int m = 0; m < outChannels; m++) {
                Q8Quantize.requantize(species, scratch, sumsOff + 4L * m * positions, y, yAt + (long) m * positions, positions,
                        bias == null ? 0 : bias[m], multipliers[m], spec.yZeroPoint(), spec.yMin(), spec.yMax());
            }
        }
    }

    @Override
    public String toString() {
        return "Q8PointwiseFewPositions(" + species.vectorBitSize() + "-bit) " + spec;
    }
}
