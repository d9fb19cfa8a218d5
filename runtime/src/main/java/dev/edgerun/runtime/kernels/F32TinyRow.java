package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * A one-row product {@code y = alpha * x . B + addend} with constant B so small (at most
 * {@link #MAX_MACS} multiply-adds, at most one vector of outputs: DS-CNN's 64 -> 12 classifier)
 * that a scalar loop costs about what {@link F32Gemv}'s narrow vector loop does once compiled, and
 * far less before: that loop runs once per model run, so C2 reaches it late, and until then C1
 * runs its vectors boxed. DS-CNN's fc node took 6.9 us per run for the first 3-4 s of a JVM on a
 * loaded machine (pm.sh minimum over 30 runs after a 3 s warm-up: 2.6-6.9 us in 4 of 9 processes
 * at load 5-8), 0.08-0.18 us once compiled; here 0.24-0.26 us in every process (the same figure,
 * profiling included). Two outputs per pass over x measured no faster (0.27-0.28 us).
 *
 * <p>Same bits as the narrow vector loop: per output, eight chains of fused multiply-adds over p
 * modulo 8, the leftover p on the first, the chains added pairwise
 * {@code ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))}, then alpha, then the addend (as
 * {@link F32GemvColdRow}, which serves the first runs of larger products, allocating).
 * Allocates nothing. {@code -Dedgerun.java.tinyRow=off} (read at planning) keeps the vector loop.
 */
public final class F32TinyRow {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final String PROPERTY = "edgerun.java.tinyRow";
    /** Most multiply-adds served: mlp_tiny's 128 -> 10 layer (1,280) stays on the vector loop, faster there once compiled. */
    public static final int MAX_MACS = 1024;

    private final int n;
    private final int k;
    private final float alpha;
    private final float[] weights;   // (n, k): output j's weights contiguous

    /**
     * Whether a one-row product of {@code k x n} constant weights runs here: the Java GEMV of
     * {@code species} would take it on its narrow loop (at most one vector of outputs), and it has
     * at most {@link #MAX_MACS} multiply-adds.
     */
    public static boolean suits(VectorSpecies<Float> species, int n, int k) {
        return species != null && n >= 1 && n <= species.length() && k >= 1 && (long) n * k <= MAX_MACS
                && !"off".equals(System.getProperty(PROPERTY));
    }

    /** The product with B {@code [k][n]}, or {@code [n][k]} when {@code transB}. */
    public F32TinyRow(int n, int k, MemorySegment b, boolean transB, float alpha) {
        this.n = n;
        this.k = k;
        this.alpha = alpha;
        this.weights = new float[n * k];
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                weights[j * k + p] = b.getAtIndex(F, transB ? (long) j * k + p : (long) p * n + j);
            }
        }
    }

    /** {@code y[n] = alpha * x[k] . B + addend[n]}; x, addend (null adds nothing) and y contiguous from their offsets (bytes). */
    public void run(MemorySegment x, long xOff, MemorySegment addend, long addOff, MemorySegment y, long yOff) {
        float[] w = weights;
        for (int j = 0; j < n; j++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
            int at = j * k;
            long xp = xOff;
            int p = 0;
            for (; p + 8 <= k; p += 8, at += 8, xp += 32) {
                a0 = Math.fma(x.get(F, xp), w[at], a0);
                a1 = Math.fma(x.get(F, xp + 4), w[at + 1], a1);
                a2 = Math.fma(x.get(F, xp + 8), w[at + 2], a2);
                a3 = Math.fma(x.get(F, xp + 12), w[at + 3], a3);
                a4 = Math.fma(x.get(F, xp + 16), w[at + 4], a4);
                a5 = Math.fma(x.get(F, xp + 20), w[at + 5], a5);
                a6 = Math.fma(x.get(F, xp + 24), w[at + 6], a6);
                a7 = Math.fma(x.get(F, xp + 28), w[at + 7], a7);
            }
            for (; p < k; p++, at++, xp += 4) a0 = Math.fma(x.get(F, xp), w[at], a0);
            float sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
            if (alpha != 1f) sum *= alpha;
            if (addend != null) sum += addend.get(F, addOff + 4L * j);
            y.set(F, yOff + 4L * j, sum);
        }
    }
}
