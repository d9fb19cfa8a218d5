package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The Vector API loop of {@link RnnDot}: two fma accumulators, then a vector step, then a scalar tail. */
public final class RnnDotVector {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final VectorSpecies<Float> species;

    public RnnDotVector(VectorSpecies<Float> species) {
        this.species = species;
    }

    float dot(MemorySegment a, long aOff, MemorySegment b, long bOff, int n) {
        int lanes = species.length();
        FloatVector acc0 = FloatVector.zero(species);
        FloatVector acc1 = FloatVector.zero(species);
        int k = 0;
        for (; k + 2 * lanes <= n; k += 2 * lanes) {
            long o0 = 4L * k;
            long o1 = 4L * (k + lanes);
            acc0 = FloatVector.fromMemorySegment(species, a, aOff + o0, ByteOrder.LITTLE_ENDIAN)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o0, ByteOrder.LITTLE_ENDIAN), acc0);
            acc1 = FloatVector.fromMemorySegment(species, a, aOff + o1, ByteOrder.LITTLE_ENDIAN)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o1, ByteOrder.LITTLE_ENDIAN), acc1);
        }
        for (; k + lanes <= n; k += lanes) {
            long o = 4L * k;
            acc0 = FloatVector.fromMemorySegment(species, a, aOff + o, ByteOrder.LITTLE_ENDIAN)
                    .fma(FloatVector.fromMemorySegment(species, b, bOff + o, ByteOrder.LITTLE_ENDIAN), acc0);
        }
        float s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; k < n; k++) {
            s += a.get(F, aOff + 4L * k) * b.get(F, bOff + 4L * k);
        }
        return s;
    }
}
