package dev.edgerun.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.kernels.ReduceF32Rows;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The vector row reductions at 512, 256 and 128 bits and scalar, against double-precision sums. */
class ReduceF32RowsTest {
    private static final int[] SIZES = {1, 3, 7, 15, 16, 17, 63, 64, 65, 129, 1000, 1031};

    private static VectorSpecies<Float> species(int bits) {
        return bits == 0 ? null : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    @Test
    void sumSquaresAndExtremesMatchTheReferenceAtEveryWidth() {
        Random r = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                MemorySegment seg = arena.allocate(4L * (n + 3));
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = r.nextFloat() * 4 - 2;
                    seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i + 3, v[i]); // unaligned start: offset 12 bytes
                }
                double sum = 0, sq = 0;
                float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
                for (float x : v) {
                    sum += x;
                    sq += (double) x * x;
                    max = Math.max(max, x);
                    min = Math.min(min, x);
                }
                for (int bits : new int[] {512, 256, 128, 0}) {
                    VectorSpecies<Float> k = species(bits);
                    String at = "n=" + n + " bits=" + bits;
                    assertEquals(sum, ReduceF32Rows.sum(k, seg, 12, n), 1e-5 * n, at);
                    assertEquals(sq, ReduceF32Rows.sumOfSquares(k, seg, 12, n), 1e-5 * n, at);
                    assertEquals(max, ReduceF32Rows.extreme(k, seg, 12, n, true), 0f, at);
                    assertEquals(min, ReduceF32Rows.extreme(k, seg, 12, n, false), 0f, at);
                }
            }
        }
    }

    @Test
    void nanPropagatesThroughMax() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4L * 37);
            seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 20, Float.NaN);
            for (int bits : new int[] {FloatVector.SPECIES_PREFERRED.vectorBitSize(), 128, 0}) {
                assertEquals(Float.NaN, ReduceF32Rows.extreme(species(bits), seg, 0, 37, true), "bits=" + bits);
            }
        }
    }
}
