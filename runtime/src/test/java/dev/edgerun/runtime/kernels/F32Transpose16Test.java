package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The 16 x 16 register transposition ({@link F32Transpose16}) against element-by-element
 * transposition, with the column and row strides of attention's K^T and odd ones; and
 * {@link F32StridedMatMul}'s products with it against the same products with the scalar
 * transposition ({@value F32StridedMatMul#BLOCK_TRANSPOSE_PROPERTY} off): the same bits.
 */
class F32Transpose16Test {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "column stride {0}, row stride {1} floats")
    @CsvSource({"16,16", "128,32", "33,17", "512,64"})
    void everyElementMovesToItsMirror(int colStride, int dstRow) {
        Random r = new Random(colStride * 7 + dstRow);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(4L * (16 * colStride + 16), 64), dst = arena.allocate(4L * 16 * dstRow, 64);
            for (long i = 0; i < src.byteSize() / 4; i++) src.setAtIndex(F, i, r.nextFloat());
            dst.fill((byte) 0x7f);
            F32Transpose16.block(src, 4, 4L * colStride, dst, 0, 4L * dstRow); // from the second float: unaligned
            for (int p = 0; p < 16; p++) {
                for (int j = 0; j < 16; j++) {
                    assertEquals(src.getAtIndex(F, 1 + (long) j * colStride + p), dst.getAtIndex(F, (long) p * dstRow + j),
                            "(" + p + ", " + j + ")");
                }
            }
        }
    }

    @Test
    void stridedProductsEqualThoseWithTheScalarTransposition() {
        if (Vectors.F32 == null || Vectors.F32.length() != F32Transpose16.LANES) return; // 512-bit only: nothing to compare
        for (int[] s : new int[][] {{32, 32, 32, 4}, {64, 64, 64, 1}, {7, 32, 16, 3}, {32, 64, 48, 2}}) {
            int m = s[0], n = s[1], k = s[2], heads = s[3];
            assertArrayEquals(product(m, n, k, heads, "off"), product(m, n, k, heads, "on"), m + "x" + n + "x" + k);
        }
    }

    /** Q.K^T per head with K^T read through strides ([seq, heads, d] storage), the transposition as {@code blocks} says. */
    private static float[] product(int m, int n, int k, int heads, String blocks) {
        String previous = System.getProperty(F32StridedMatMul.BLOCK_TRANSPOSE_PROPERTY);
        System.setProperty(F32StridedMatMul.BLOCK_TRANSPOSE_PROPERTY, blocks);
        Random r = new Random(m * 31 + n * 7 + k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * m * heads * k), b = arena.allocate(4L * n * heads * k);
            for (long i = 0; i < a.byteSize() / 4; i++) a.setAtIndex(F, i, r.nextFloat() - 0.5f);
            for (long i = 0; i < b.byteSize() / 4; i++) b.setAtIndex(F, i, r.nextFloat() - 0.5f);
            long[] aOff = new long[heads], bOff = new long[heads], yOff = new long[heads];
            for (int h = 0; h < heads; h++) {
                aOff[h] = (long) h * k;
                bOff[h] = (long) h * k;
                yOff[h] = (long) h * m * n;
            }
            var mm = new F32StridedMatMul(F32Gemm.preferred(), m, n, k, aOff, new long[] {(long) heads * k, 1}, bOff,
                    new long[] {1, (long) heads * k}, yOff, n, new F32RowEpilogue(Vectors.F32, 4f, true));
            MemorySegment y = arena.allocate(4L * heads * m * n);
            mm.run(a, b, y, arena.allocate(Math.max(64, mm.scratchBytes(1)), 64), Parallel.SERIAL);
            return y.toArray(ValueLayout.JAVA_FLOAT);
        } finally {
            if (previous == null) System.clearProperty(F32StridedMatMul.BLOCK_TRANSPOSE_PROPERTY);
            else System.setProperty(F32StridedMatMul.BLOCK_TRANSPOSE_PROPERTY, previous);
        }
    }
}
