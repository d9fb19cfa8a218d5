package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * B packed through {@link PanelPack} (transposed operands, the narrow last panel of row-major ones)
 * and through the element loop (other strides) against the packed layout written out by hand:
 * {@code [ceil(n/nr)][k][nr]}, element (p, j) of B at {@code [j / nr][p][j % nr]}, zero padded.
 */
class PanelPackTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @ParameterizedTest
    @ValueSource(ints = {512, 256, 128})
    void packsEveryLayoutAsTheElementDefinitionSays(int bits) {
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= bits
                ? VectorSpecies.of(float.class, VectorShape.forBitSize(bits)) : FloatVector.SPECIES_PREFERRED;
        F32Gemm gemm = new F32Gemm(species);
        int nr = gemm.nr();
        Random rnd = new Random(bits);
        for (int k : new int[] {1, 7, 64, 65, 130}) {
            for (int n : new int[] {1, nr - 1, nr, nr + 3, 3 * nr + 5}) {
                check(gemm, rnd, k, n, 1, k);      // transposed: column j's k floats contiguous
                check(gemm, rnd, k, n, n, 1);      // row-major, a narrow last panel when n % nr != 0
                check(gemm, rnd, k, n, n + 2, 1);  // row-major with padded rows
                check(gemm, rnd, k, n, 1, k + 3);  // transposed with padded columns
                check(gemm, rnd, k, n, 2, 2 * k);  // no contiguous axis: the element loop
            }
        }
    }

    private static void check(F32Gemm gemm, Random rnd, int k, int n, long rowStride, long colStride) {
        int nr = gemm.nr();
        long offset = 3;   // floats before B in its segment
        long srcFloats = offset + (k - 1) * rowStride + (n - 1) * colStride + 1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4 * srcFloats);
            for (long i = 0; i < srcFloats; i++) src.setAtIndex(F, i, rnd.nextFloat() - 0.5f);
            long packedFloats = gemm.packedBSize(k, n);
            MemorySegment dst = arena.allocate(4 * (packedFloats + 8));
            dst.fill((byte) 0x7f);   // padding must be written, not left as it was
            gemm.packB(src, 4 * offset, rowStride, colStride, k, n, dst, 16);
            for (int jp = 0; jp < F32Gemm.ceilDiv(n, nr); jp++) {
                for (int p = 0; p < k; p++) {
                    for (int c = 0; c < nr; c++) {
                        int j = jp * nr + c;
                        float want = j < n ? src.getAtIndex(F, offset + p * rowStride + j * colStride) : 0f;
                        long at = 4 + ((long) jp * k + p) * nr + c;
                        assertEquals(want, dst.getAtIndex(F, at), "k=" + k + " n=" + n + " strides " + rowStride
                                + "/" + colStride + ": B(" + p + ", " + j + ")");
                    }
                }
            }
            assertEquals(0x7f7f7f7f, dst.getAtIndex(ValueLayout.JAVA_INT, 4 + packedFloats), "wrote past the packed panels");
        }
    }
}
