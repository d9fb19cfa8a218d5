package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Turns a species passed as a value into a JIT constant. The Vector API compiles to vector
 * instructions only when the species is a constant; a species read from a field or parameter is
 * not, and the code then runs up to ten times slower. Kernels therefore start their hot loops with
 * {@code VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();}: each width is its own
 * final class answering a {@code static final} species, and since a process uses one width the
 * call site sees one class, is inlined, and {@code s} folds to a constant. Tests that mix widths
 * in one JVM get correct, slower code.
 */
public abstract sealed class JavaKernelsSpecies {
    private static final JavaKernelsSpecies W512 = new Width512();
    private static final JavaKernelsSpecies W256 = new Width256();
    private static final JavaKernelsSpecies W128 = new Width128();
    private static final JavaKernelsSpecies W64 = new Width64();

    private JavaKernelsSpecies() {}

    /** The float species, a constant of the concrete class. */
    public abstract VectorSpecies<Float> f32();

    /**
     * Zeroes {@code floats} floats of {@code s} from byte {@code at} (the padding of the padded
     * planes the convolution kernels copy their inputs into), whole vectors then a scalar tail.
     */
    public final void zeroFloats(MemorySegment s, long at, long floats) {
        VectorSpecies<Float> sp = f32();
        FloatVector zero = FloatVector.zero(sp);
        int lanes = sp.length();
        long q = 0;
        for (; q + lanes <= floats; q += lanes) zero.intoMemorySegment(s, at + 4 * q, ByteOrder.LITTLE_ENDIAN);
        for (; q < floats; q++) s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at + 4 * q, 0f);
    }

    public static JavaKernelsSpecies of(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> W512;
            case 256 -> W256;
            case 128 -> W128;
            case 64 -> W64;
            default -> throw new IllegalArgumentException("no float species of " + species.vectorBitSize() + " bits");
        };
    }

    private static final class Width512 extends JavaKernelsSpecies {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override public VectorSpecies<Float> f32() { return S; }
    }

    private static final class Width256 extends JavaKernelsSpecies {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override public VectorSpecies<Float> f32() { return S; }
    }

    private static final class Width128 extends JavaKernelsSpecies {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override public VectorSpecies<Float> f32() { return S; }
    }

    private static final class Width64 extends JavaKernelsSpecies {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override public VectorSpecies<Float> f32() { return S; }
    }
}
