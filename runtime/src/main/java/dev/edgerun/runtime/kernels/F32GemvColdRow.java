package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The first run(s) of a one-row product that {@link F32Gemv} takes on its narrow loop (at most one
 * vector of outputs: a classifier's 10 classes), on a scalar loop over a heap copy of the constant
 * weights, with the narrow loop's order of operations and so the same bits: per output, eight
 * chains of fused multiply-adds over p modulo 8, the leftover p on the first, the chains added
 * pairwise {@code ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))}, then alpha, then the addend.
 * Until C2 has compiled it the vector loop runs boxed in the interpreter (mlp_tiny's fc2, 128x10,
 * took 3-12 ms of a fresh JVM's first run); the scalar loop runs in well under a millisecond there.
 * The count of cold runs is {@link ColdRuns#configured()}, as for {@link F32DenseRow};
 * the heap copy is dropped once they are done.
 */
public final class F32GemvColdRow {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Chains of the narrow loop. */
    private static final int CHAINS = 8;

    private final int n;
    private final int k;
    private final float alpha;
    private float[] weights;   // (k, n) row-major; null once the cold runs are done
    private final ColdRuns cold; // racy on purpose: a concurrent extra run either way gives the same bits

    private F32GemvColdRow(int n, int k, float[] weights, float alpha, int runs) {
        this.n = n;
        this.k = k;
        this.weights = weights;
        this.alpha = alpha;
        this.cold = new ColdRuns(runs);
    }

    /**
     * The cold runs of a product {@code x[k] . B[k x n]} with constant B ({@code [k][n]}, or
     * {@code [n][k]} when {@code transB}) on the GEMV of {@code species}; null when that GEMV does
     * not take it on its narrow loop, or no run is to be cold.
     */
    public static F32GemvColdRow of(VectorSpecies<Float> species, int n, int k, MemorySegment b, boolean transB,
                                    float alpha) {
        return of(species, n, k, b, transB, alpha, ColdRuns.configured());
    }

    /** As above, with {@code runs} cold runs. */
    public static F32GemvColdRow of(VectorSpecies<Float> species, int n, int k, MemorySegment b, boolean transB,
                                    float alpha, int runs) {
        if (species == null || n < 1 || n > species.length() || k < 1 || runs < 1) return null;
        return new F32GemvColdRow(n, k, F32DenseRow.rowMajor(b, transB, n, k), alpha, runs);
    }

    /**
     * {@code y = alpha * x . B + addend} on the scalar loop if this is still a cold run (counted
     * here), and then true; false when the caller runs the vector GEMV. x is k contiguous floats
     * from {@code xOff}, the addend (null adds nothing) and y n floats. Allocates x's and y's
     * copies: it serves the first runs only.
     */
    public boolean run(MemorySegment x, long xOff, MemorySegment addend, long addOff, MemorySegment y, long yOff) {
        float[] w = weights;
        if (w == null || !cold.takeOne()) return false;
        if (cold.done()) weights = null;
        float[] xs = new float[k];
        MemorySegment.copy(x, F, xOff, xs, 0, k);
        float[] ys = new float[n];
        for (int j = 0; j < n; j++) {
            float sum = alpha == 1f ? chains(w, xs, j) : chains(w, xs, j) * alpha;
            ys[j] = addend == null ? sum : sum + addend.get(F, addOff + 4L * j);
        }
        MemorySegment.copy(ys, 0, y, F, yOff, n);
        return true;
    }

    private float chains(float[] w, float[] xs, int j) {
        float[] a = new float[CHAINS];
        int p = 0;
        for (; p + CHAINS <= k; p += CHAINS) {
            for (int c = 0; c < CHAINS; c++) a[c] = Math.fma(xs[p + c], w[(p + c) * n + j], a[c]);
        }
        for (; p < k; p++) a[0] = Math.fma(xs[p], w[p * n + j], a[0]);
        return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    }
}
