package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code C[m,n] = clamp(bias[i] + A . B)} for the small products of small convolutions (DS-CNN's
 * 64x64 pointwise layers over 125 positions, MobileNet's late layers): A packed as in
 * {@link F32Gemm} ({@code MR}-row panels, {@link #packA}) into a heap array, B read where it lies, either row-major in place (a
 * pointwise convolution's input, {@code k x n} with rows {@code ldb} floats apart) or already in
 * {@link F32Gemm}'s packed panels (im2col output). The bias starts the accumulators and the clamp
 * (a fused Relu/Clip) is applied before the single store, so the output is written once: the
 * packed path ({@link F32Gemm#multiplyBiased}) packs B, writes the bias rows, accumulates onto
 * them and then passes over each row for the activation, which cost about as much as the
 * arithmetic at these sizes. The last, partial column panel of an in-place B is copied into a
 * zero-padded panel in scratch ({@link #scratchBytes}), so that no tile reads past B's end.
 *
 * <p>A is a heap array because its broadcasts, six per step of k, then run without the checks that
 * each access to a memory segment carries: DS-CNN's 64x125x64 pointwise product took 10.4 us
 * against 11.2 with A in a segment (one thread, 512-bit, medians of thread CPU time, load 5-7).
 */
public final class F32DirectGemm {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int MR = F32Gemm.MR;

    /** {@code -Dedgerun.java.directPadLastPanel=on} copies an in-place B's partial last panel into a padded one (as before). */
    private static final boolean PAD_LAST_PANEL = "on".equals(System.getProperty("edgerun.java.directPadLastPanel"));

    private final VectorSpecies<Float> species;
    private final int nr;

    /** A product on {@code species} lanes (not null: {@link F32Gemm} covers scalar). */
    public F32DirectGemm(VectorSpecies<Float> species) {
        this.species = species;
        this.nr = 2 * species.length();
    }

    /** Columns of a tile and of a packed B panel, as {@link F32Gemm#nr()}. */
    public int nr() {
        return nr;
    }

    /** Floats of A packed for an {@code m x k} product: {@code ceil(m / MR)} panels of {@code k x MR}, zero past m. */
    public static int packedAFloats(int m, int k) {
        return Math.toIntExact((long) (m + MR - 1) / MR * MR * k);
    }

    /**
     * A row-major {@code m x k} matrix (rows {@code k} floats apart from {@code srcOff} bytes of
     * {@code src}) into {@code MR}-row panels ({@code [panel][k][MR]}) at {@code dst[dstAt]},
     * rows past m zero.
     */
    public static void packA(MemorySegment src, long srcOff, int m, int k, float[] dst, int dstAt) {
        java.util.Arrays.fill(dst, dstAt, dstAt + packedAFloats(m, k), 0f);
        for (int i = 0; i < m; i++) {
            int at = dstAt + (i / MR) * MR * k + i % MR;
            long row = srcOff + 4L * i * k;
            for (int p = 0; p < k; p++) dst[at + p * MR] = src.get(F, row + 4L * p);
        }
    }

    /** Scratch for the padded last panel of an in-place B of depth {@code k}. */
    public long scratchBytes(int k) {
        return 4L * nr * k;
    }

    /**
     * The product with B in place: element (p, j) at float {@code p*ldb + j} from {@code bOff} bytes.
     * {@code bias} (nullable) has {@code m} floats from {@code biasOff} bytes; {@code lo..hi} is
     * the clamp ({@code -inf..+inf} for none). {@code scratch} holds {@link #scratchBytes} from {@code scratchOff}.
     */
    public void multiplyInPlace(int m, int n, int k, float[] pa, int paAt, MemorySegment b, long bOff, int ldb,
                                MemorySegment c, long cOff, int ldc, MemorySegment bias, long biasOff, float lo, float hi,
                                MemorySegment scratch, long scratchOff) {
        int full = n / nr;
        for (int jp = 0; jp < full; jp++) {
            panel(m, k, nr, pa, paAt, b, bOff + 4L * jp * nr, ldb, c, cOff + 4L * jp * nr, ldc, bias, biasOff, lo, hi);
        }
        int cols = n - full * nr;
        if (cols > 0 && full > 0 && !PAD_LAST_PANEL) {
            // the last nr columns as a whole panel, overlapping the one before: its columns are
            // written twice with the same bits, and no padded copy of B is made
            long back = 4L * (n - nr);
            panel(m, k, nr, pa, paAt, b, bOff + back, ldb, c, cOff + back, ldc, bias, biasOff, lo, hi);
        } else if (cols > 0) {
            padPanel(k, cols, b, bOff + 4L * full * nr, ldb, scratch, scratchOff);
            panel(m, k, cols, pa, paAt, scratch, scratchOff, nr, c, cOff + 4L * full * nr, ldc, bias, biasOff, lo, hi);
        }
    }

    /** The product with B in {@link F32Gemm}'s packed panels ({@code [ceil(n/nr)][k][nr]}) from {@code bOff} bytes. */
    public void multiplyPacked(int m, int n, int k, float[] pa, int paAt, MemorySegment pb, long bOff,
                               MemorySegment c, long cOff, int ldc, MemorySegment bias, long biasOff, float lo, float hi) {
        for (int j0 = 0; j0 < n; j0 += nr) {
            panel(m, k, Math.min(nr, n - j0), pa, paAt, pb, bOff + 4L * j0 * k, nr, c, cOff + 4L * j0, ldc,
                    bias, biasOff, lo, hi);
        }
    }

    /** Columns {@code [0, cols)} of a B panel ({@code k} rows from {@code bAt}) into a zero-padded panel at {@code dst}. */
    private void padPanel(int k, int cols, MemorySegment b, long bAt, int ldb, MemorySegment dst, long dstAt) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        VectorMask<Float> m0 = s.indexInRange(0, cols), m1 = s.indexInRange(lanes, cols);
        for (int p = 0; p < k; p++) {
            long from = bAt + 4L * p * ldb, to = dstAt + 4L * p * nr;
            FloatVector.fromMemorySegment(s, b, from, LE, m0).intoMemorySegment(dst, to, LE);
            FloatVector.fromMemorySegment(s, b, from + 4L * lanes, LE, m1).intoMemorySegment(dst, to + 4L * lanes, LE);
        }
    }

    /** One column panel of C ({@code cols <= nr} columns): every MR-row panel of A against it. */
    private void panel(int m, int k, int cols, float[] pa, int paAt, MemorySegment b, long bAt, int ldb,
                       MemorySegment c, long cAt, int ldc, MemorySegment bias, long biasOff, float lo, float hi) {
        for (int i0 = 0; i0 < m; i0 += MR) {
            tile(k, Math.min(MR, m - i0), cols, pa, paAt + i0 * k, b, bAt, ldb, c, cAt + 4L * i0 * ldc, ldc,
                    bias, biasOff + 4L * i0, lo, hi);
        }
    }

    /**
     * An MR x nr tile: {@code 2*MR} accumulators started at the rows' bias, one fma per row and
     * half-panel per step of k, clamped and stored once ({@code rows}, {@code cols} may be short).
     */
    private void tile(int k, int rows, int cols, float[] a, int aAt, MemorySegment b, long bAt, int ldb,
                      MemorySegment c, long cAt, int ldc, MemorySegment bias, long biasAt, float lo, float hi) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        long half = 4L * lanes;
        long bStep = 4L * ldb;
        // The bias is chosen as scalars and broadcast unconditionally, so that no vector phi joins
        // two starts (zero or bias vectors) before the loop: C2 sometimes compiled this tile with
        // every accumulator boxed (an allocation per fma, seen in JFR), which this made rarer
        // (1 of 4 runs against 5 of 5) but did not end; see F32ConvKernel.DIRECT_MAX_MACS.
        float r0 = 0f, r1 = 0f, r2 = 0f, r3 = 0f, r4 = 0f, r5 = 0f; // each row's bias
        if (bias != null) { // rows past m start at zero: computed, never stored
            r0 = bias.get(F, biasAt);
            if (rows > 1) r1 = bias.get(F, biasAt + 4);
            if (rows > 2) r2 = bias.get(F, biasAt + 8);
            if (rows > 3) r3 = bias.get(F, biasAt + 12);
            if (rows > 4) r4 = bias.get(F, biasAt + 16);
            if (rows > 5) r5 = bias.get(F, biasAt + 20);
        }
        FloatVector c00 = FloatVector.broadcast(s, r0), c10 = FloatVector.broadcast(s, r1);
        FloatVector c20 = FloatVector.broadcast(s, r2), c30 = FloatVector.broadcast(s, r3);
        FloatVector c40 = FloatVector.broadcast(s, r4), c50 = FloatVector.broadcast(s, r5);
        FloatVector c01 = c00, c11 = c10, c21 = c20, c31 = c30, c41 = c40, c51 = c50;
        int ap = aAt;
        long bp = bAt;
        for (int p = 0; p < k; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(s, b, bp, LE);
            FloatVector b1 = FloatVector.fromMemorySegment(s, b, bp + half, LE);
            FloatVector x = FloatVector.broadcast(s, a[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(s, a[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(s, a[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(s, a[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(s, a[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(s, a[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            ap += MR;
            bp += bStep;
        }
        // One store block, the row's accumulators picked by a switch: a helper taking vectors that
        // the JIT does not inline makes it box them (F32Gemm.Micro hands them over in an array).
        boolean full = cols == 2 * lanes;
        VectorMask<Float> m0 = s.indexInRange(0, cols);
        VectorMask<Float> m1 = s.indexInRange(lanes, cols);
        for (int r = 0; r < rows; r++) {
            FloatVector v0, v1;
            switch (r) {
                case 0 -> { v0 = c00; v1 = c01; }
                case 1 -> { v0 = c10; v1 = c11; }
                case 2 -> { v0 = c20; v1 = c21; }
                case 3 -> { v0 = c30; v1 = c31; }
                case 4 -> { v0 = c40; v1 = c41; }
                default -> { v0 = c50; v1 = c51; }
            }
            v0 = v0.max(lo).min(hi);
            v1 = v1.max(lo).min(hi);
            long at = cAt + 4L * r * ldc;
            if (full) {
                v0.intoMemorySegment(c, at, LE);
                v1.intoMemorySegment(c, at + half, LE);
            } else {
                v0.intoMemorySegment(c, at, LE, m0);
                v1.intoMemorySegment(c, at + half, LE, m1);
            }
        }
    }
}
