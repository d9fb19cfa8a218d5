package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API loop of {@link RnnDot}: two fma accumulators, then a vector step, then a scalar
 * tail. Each width is a final subclass answering a {@code static final} species: the Vector API
 * only compiles to vector instructions (and allocates no {@code FloatVector} objects) when the
 * species is a constant, as in {@link F32Gemm}'s micro-kernel. An instance field holding the
 * species made every dot product box its vectors: about 12 MB of heap per kws_lstm run.
 */
public abstract sealed class RnnDotVector
        permits RnnDotVector.W512, RnnDotVector.W256, RnnDotVector.W128, RnnDotVector.W64 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private RnnDotVector() {}

    /** The loop for {@code species}' width (64, 128, 256 or 512 bits). */
    public static RnnDotVector of(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> new W512();
            case 256 -> new W256();
            case 128 -> new W128();
            case 64 -> new W64();
            default -> throw new IllegalArgumentException("no RNN dot loop for " + species);
        };
    }

    abstract VectorSpecies<Float> s();

    final float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        VectorSpecies<Float> species = s();
        int lanes = species.length();
        FloatVector acc0 = FloatVector.zero(species);
        FloatVector acc1 = FloatVector.zero(species);
        int k = 0;
        for (; k + 2 * lanes <= n; k += 2 * lanes) {
            long o0 = 4L * k;
            long o1 = 4L * (k + lanes);
            acc0 = FloatVector.fromMemorySegment(species, a, aOff + o0, LE)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o0, LE), acc0);
            acc1 = FloatVector.fromMemorySegment(species, a, aOff + o1, LE)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o1, LE), acc1);
        }
        for (; k + lanes <= n; k += lanes) {
            long o = 4L * k;
            acc0 = FloatVector.fromMemorySegment(species, a, aOff + o, LE)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o, LE), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; k < n; k++) {
            s += a.get(F, aOff + 4L * k) * b.get(F, bOff + 4L * k);
        }
        return s;
    }

    static final class W512 extends RnnDotVector {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W256 extends RnnDotVector {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W128 extends RnnDotVector {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W64 extends RnnDotVector {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
