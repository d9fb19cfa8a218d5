package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched products through strides (attention heads read from and written to [seq, heads, d]
 * layouts) against a plain triple loop, at every vector width and scalar, with odd sizes, and with
 * the division + softmax row epilogue.
 */
class F32StridedMatMulTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * A[h] = Q[:, h, :] ([seq, heads, d] storage), B[h] = K[:, h, :]^T, Y[h] written into
     * [seq, heads, seq]; the layouts of Q.K^T with folded Transposes.
     */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128, 0})
    void headsReadAndWrittenThroughStrides(int bits) {
        for (int[] s : new int[][] {{7, 3, 5}, {32, 4, 32}, {13, 2, 17}, {1, 1, 1}}) {
            int seq = s[0], heads = s[1], d = s[2];
            check(bits, seq, heads, d, 1f, false);
            check(bits, seq, heads, d, 5.656854f, true);
        }
    }

    private static void check(int bits, int seq, int heads, int d, float divisor, boolean softmax) {
        Random r = new Random(seq * 31 + d);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment q = random(arena, r, seq * heads * d), k = random(arena, r, seq * heads * d);
            MemorySegment y = arena.allocate(4L * seq * heads * seq);
            long[] aOff = new long[heads], bOff = new long[heads], yOff = new long[heads];
            for (int h = 0; h < heads; h++) {
                aOff[h] = (long) h * d;
                bOff[h] = (long) h * d;
                yOff[h] = (long) h * seq;
            }
            F32GemmEpilogue epilogue = divisor != 1f || softmax ? new F32RowEpilogue(F32GemmTest.species(bits), divisor, softmax) : null;
            var mm = new F32StridedMatMul(new F32Gemm(F32GemmTest.species(bits)), seq, seq, d,
                    aOff, new long[] {(long) heads * d, 1}, bOff, new long[] {1, (long) heads * d}, yOff, heads * seq, epilogue);
            MemorySegment scratch = arena.allocate(mm.scratchBytes(1), 64);
            mm.run(q, k, y, scratch, Parallel.SERIAL);
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < seq; i++) {
                    double[] row = new double[seq];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < seq; j++) {
                        double sum = 0;
                        for (int p = 0; p < d; p++) {
                            sum += q.getAtIndex(F, ((long) i * heads + h) * d + p) * k.getAtIndex(F, ((long) j * heads + h) * d + p);
                        }
                        row[j] = (float) sum / divisor;
                        max = Math.max(max, row[j]);
                    }
                    double total = 0;
                    if (softmax) for (int j = 0; j < seq; j++) total += Math.exp(row[j] - max);
                    for (int j = 0; j < seq; j++) {
                        double want = softmax ? Math.exp(row[j] - max) / total : row[j];
                        float got = y.getAtIndex(F, ((long) i * heads + h) * seq + j);
                        assertEquals(want, got, 2e-5 * Math.max(1, Math.abs(want)),
                                "bits=" + bits + " seq=" + seq + " heads=" + heads + " d=" + d + " h=" + h + " (" + i + "," + j + ")");
                    }
                }
            }
        }
    }

    /**
     * Products small enough for the direct path (B of at most {@link F32StridedMatMul#DIRECT_MAX_B}
     * elements, rows of whole vector pairs): B with contiguous columns (read in place) and with
     * strided columns (transposed into scratch), row counts that leave a partial 4-row tile, padded
     * row strides, and the division + softmax epilogue, against a triple loop.
     */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void directProductsMatchTripleLoop(int bits) {
        var species = F32GemmTest.species(bits);
        int n = 2 * species.length();
        for (int m : new int[] {1, 7, 32}) {
            for (int k : new int[] {1, 5, 32}) {
                for (boolean bTransposed : new boolean[] {false, true}) {
                    checkDirect(bits, m, n, k, bTransposed, null);
                    checkDirect(bits, m, 2 * n, k, bTransposed, null);
                    checkDirect(bits, m, n, k, bTransposed, new F32RowEpilogue(species, 4f, true));
                }
            }
        }
    }

    private static void checkDirect(int bits, int m, int n, int k, boolean bTransposed, F32RowEpilogue epilogue) {
        Random r = new Random(m * 131 + n * 7 + k);
        int lda = k + 3, ldb = bTransposed ? k + 1 : n + 2, ldy = n + 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, r, m * lda), b = random(arena, r, (bTransposed ? n : k) * ldb);
            MemorySegment y = arena.allocate(4L * m * ldy);
            long[] bStrides = bTransposed ? new long[] {1, ldb} : new long[] {ldb, 1};
            var mm = new F32StridedMatMul(new F32Gemm(F32GemmTest.species(bits)), m, n, k, new long[] {0}, new long[] {lda, 1},
                    new long[] {0}, bStrides, new long[] {0}, ldy, epilogue);
            mm.run(a, b, y, arena.allocate(Math.max(64, mm.scratchBytes(1)), 64), Parallel.SERIAL);
            for (int i = 0; i < m; i++) {
                double[] row = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) a.getAtIndex(F, (long) i * lda + p) * b.getAtIndex(F, p * bStrides[0] + j * bStrides[1]);
                    }
                    row[j] = epilogue == null ? sum : (float) sum / epilogue.divisor();
                    max = Math.max(max, row[j]);
                }
                double total = 0;
                if (epilogue != null) for (int j = 0; j < n; j++) total += Math.exp(row[j] - max);
                for (int j = 0; j < n; j++) {
                    double want = epilogue != null ? Math.exp(row[j] - max) / total : row[j];
                    float got = y.getAtIndex(F, (long) i * ldy + j);
                    assertEquals(want, got, 2e-5 * Math.max(1, Math.abs(want)), "bits=" + bits + " m=" + m + " n=" + n + " k=" + k
                            + " bTransposed=" + bTransposed + " softmax=" + (epilogue != null) + " (" + i + "," + j + ")");
                }
            }
        }
    }

    /**
     * A folded softmax over rows of two vectors, four rows at once ({@link F32Softmax#shortRowsInPlace4}),
     * against the same products a row at a time ({@value F32StridedMatMul#SOFTMAX_ROWS_PROPERTY} off):
     * the same bits, with row counts that leave partial tiles and a divisor of 1 (no division).
     */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void softmaxFourRowsAtOnceEqualsOneRowAtATime(int bits) {
        var species = F32GemmTest.species(bits);
        int n = 2 * species.length();
        for (int m : new int[] {4, 7, 32, 33}) {
            for (float divisor : new float[] {1f, 5.656854f}) {
                float[] one = softmaxProduct(bits, m, n, divisor, "off"), four = softmaxProduct(bits, m, n, divisor, "on");
                for (int i = 0; i < one.length; i++) {
                    assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(four[i]),
                            "bits=" + bits + " m=" + m + " divisor=" + divisor + " [" + i + "]");
                }
            }
        }
    }

    private static float[] softmaxProduct(int bits, int m, int n, float divisor, String fourRows) {
        String previous = System.getProperty(F32StridedMatMul.SOFTMAX_ROWS_PROPERTY);
        System.setProperty(F32StridedMatMul.SOFTMAX_ROWS_PROPERTY, fourRows);
        int k = 24;
        Random r = new Random(m * 17 + n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, r, m * k), b = random(arena, r, n * k), y = arena.allocate(4L * m * n);
            var mm = new F32StridedMatMul(new F32Gemm(F32GemmTest.species(bits)), m, n, k, new long[] {0}, new long[] {k, 1},
                    new long[] {0}, new long[] {1, k}, new long[] {0}, n, new F32RowEpilogue(F32GemmTest.species(bits), divisor, true));
            mm.run(a, b, y, arena.allocate(Math.max(64, mm.scratchBytes(1)), 64), Parallel.SERIAL);
            return y.toArray(ValueLayout.JAVA_FLOAT);
        } finally {
            if (previous == null) System.clearProperty(F32StridedMatMul.SOFTMAX_ROWS_PROPERTY);
            else System.setProperty(F32StridedMatMul.SOFTMAX_ROWS_PROPERTY, previous);
        }
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void batchesSplitOverThreadsGiveTheSameResult(int threads) {
        int batches = 5, m = 9, n = 11, k = 7;
        Random r = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, r, batches * m * k), b = random(arena, r, batches * k * n);
            long[] aOff = new long[batches], bOff = new long[batches], yOff = new long[batches];
            for (int t = 0; t < batches; t++) {
                aOff[t] = (long) t * m * k;
                bOff[t] = (long) t * k * n;
                yOff[t] = (long) t * m * n;
            }
            // a threshold of 0 multiply-adds so that even these small products are split
            var split = new F32StridedMatMul(new F32Gemm(F32GemmTest.species(256), 0), m, n, k, aOff, new long[] {k, 1},
                    bOff, new long[] {n, 1}, yOff, n, null);
            var serial = new F32StridedMatMul(new F32Gemm(F32GemmTest.species(256)), m, n, k, aOff, new long[] {k, 1},
                    bOff, new long[] {n, 1}, yOff, n, null);
            MemorySegment y1 = arena.allocate(4L * batches * m * n), y2 = arena.allocate(4L * batches * m * n);
            {
                var par = new ParallelTestThreads(threads);
                split.run(a, b, y1, arena.allocate(split.scratchBytes(threads), 64), par);
            }
            serial.run(a, b, y2, arena.allocate(serial.scratchBytes(1), 64), Parallel.SERIAL);
            for (long i = 0; i < (long) batches * m * n; i++) {
                assertEquals(y2.getAtIndex(F, i), y1.getAtIndex(F, i), 1e-5f * Math.max(1, Math.abs(y2.getAtIndex(F, i))), "element " + i);
            }
        }
    }

    private static MemorySegment random(Arena arena, Random r, int n) {
        MemorySegment s = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) s.setAtIndex(F, i, (float) r.nextGaussian());
        return s;
    }
}
