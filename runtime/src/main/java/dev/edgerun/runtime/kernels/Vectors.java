package dev.edgerun.runtime.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every Java kernel uses, chosen once. The system property
 * {@code edgerun.vectorBits} forces a narrower width (128 = the NEON width of a Raspberry Pi,
 * 0 = scalar kernels only), so that every code path can be tested on one machine.
 */
public final class Vectors {
    /** Bits per vector the kernels use; 0 when they must run scalar. */
    public static final int BITS = chooseBits();

    /** Float species of {@link #BITS}; null when {@link #BITS} is 0. */
    public static final VectorSpecies<Float> F32 = BITS == 0 ? null
            : FloatVector.SPECIES_PREFERRED.vectorBitSize() <= BITS ? FloatVector.SPECIES_PREFERRED
            : VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));

    private Vectors() {}

    /** True when vector kernels may be used. */
    public static boolean enabled() {
        return BITS > 0;
    }

    private static int chooseBits() {
        int preferred;
        try {
            preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        } catch (LinkageError e) { // jdk.incubator.vector not in the module graph: scalar only
            return 0;
        }
        String forced = System.getProperty("edgerun.vectorBits");
        if (forced == null || forced.isBlank()) return preferred;
        int bits = Integer.parseInt(forced.trim());
        if (bits == 0) return 0;
        if (bits != 64 && bits != 128 && bits != 256 && bits != 512) {
            throw new IllegalArgumentException("edgerun.vectorBits must be 0, 64, 128, 256 or 512, got " + bits);
        }
        return Math.min(bits, preferred);
    }
}
