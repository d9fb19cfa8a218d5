package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * Pointwise (1x1, unit stride, unpadded) float32 convolution over few output positions, such as
 * MobileNetV2's 14x14 and 7x7 layers, as the GEMM turned round: {@code Y^T[P, M] = X^T[P, K] .
 * W^T[K, M]}. The register tile's rows are output positions ({@link #MR} at a time: 49 positions
 * fill 49 of 54 rows, 196 fill 196 of 198) and its vector lanes output channels (32 to a tile), where
 * {@link F32ImplicitConv}'s lanes run along the positions (49 fill 49 of 64 lanes, 196 fill 196 of
 * 224) and its source rows, {@code P} floats apart, mostly start off a cache line.
 *
 * <p>Both operands are heap arrays indexed by an int linear in the tile's loop variable, so that C2
 * hoists their range checks: W^T packed once, in panels of two vectors of output channels
 * ({@code [panel][K][2 * lanes]}); X^T packed on each run into a per-thread array, in panels of
 * {@link #MR} positions ({@code [rowPanel][K][MR]}). A panel's tiles go into a per-thread
 * {@code [P][2 * lanes]} buffer, bias added and a fused Relu/Clip applied in registers, which is then
 * written to Y's rows transposed. Channel panels are split over threads.
 */
final class F32PointwiseFewPositions {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final int MR = FewPositionsTile.MR;

    /**
     * Most positions served. The tiles' output is written to Y transposed, a gather per vector;
     * MobileNetV2's 14x14 layers (196 positions), whose tiles the implicit GEMM fills 7/8, lost by
     * it (1.03-1.05x the implicit GEMM's thread CPU, interleaved, load ~13), its 7x7 layers gained
     * (320->1280 0.96x, 960->320 0.84x).
     */
    static final int MAX_POSITIONS = 64;

    private final FewPositionsTile tile;
    private final int lanes, nr;
    private final int k, m, p;
    private final int panels, rowPanels;
    private final int outRows;              // rows of the panel buffer: the tiles' rows, rounded up to whole vectors for the gathers
    private final int[] gather;             // lane i: i * nr, a column of the panel buffer
    private final float[] wt;               // [panels][k][nr]: W^T, zero past m
    private final F32GemmEpilogue epilogue; // applied to Y's rows; null when none or clamped in registers
    private final float clampLo, clampHi;

    /**
     * {@code m} output channels from {@code k} input channels over {@code p} positions; weights
     * {@code [m][k]} floats from {@code wOff} bytes of {@code w}.
     */
    F32PointwiseFewPositions(VectorSpecies<Float> species, int k, int m, int p, MemorySegment w, long wOff,
                             F32GemmEpilogue epilogue) {
        this.tile = FewPositionsTile.of(species);
        this.lanes = species.length();
        this.nr = 2 * lanes;
        this.k = k;
        this.m = m;
        this.p = p;
        this.panels = (m + nr - 1) / nr;
        this.rowPanels = (p + MR - 1) / MR;
        this.outRows = Math.max(rowPanels * MR, (p + lanes - 1) / lanes * lanes);
        this.gather = new int[lanes];
        for (int i = 0; i < lanes; i++) gather[i] = i * nr;
        this.wt = new float[panels * k * nr];
        for (int j = 0; j < m; j++) {
            int at = (j / nr) * k * nr + j % nr;
            long row = wOff + 4L * j * k;
            for (int r = 0; r < k; r++) wt[at + r * nr] = w.get(F, row + 4L * r);
        }
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(epilogue);
        this.epilogue = clamp == null ? epilogue : null;
        clampLo = clamp != null ? clamp.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp != null ? clamp.clampHigh() : Float.POSITIVE_INFINITY;
    }

    /**
     * Whether a pointwise convolution of {@code p} positions (at most {@link #MAX_POSITIONS}) and
     * {@code m} output channels fills more of this kernel's tiles than of {@link F32ImplicitConv}'s
     * (position rows against position lanes), by at least a twentieth.
     */
    static boolean suits(VectorSpecies<Float> species, int k, int m, int p) {
        if (species == null || p > MAX_POSITIONS || (long) k * (m + 2L * species.length()) >= Integer.MAX_VALUE) return false;
        int lanes = species.length(), nr = 2 * lanes;
        double turned = (double) p / (((p + MR - 1) / MR) * MR) * m / (((m + nr - 1) / nr) * nr);
        double implicit = (double) p / (((p + nr - 1) / nr) * nr) * m / (((m + MR - 1) / MR) * MR);
        return turned >= implicit + 0.05;
    }

    /**
     * {@code Y = W . X + bias}, then the epilogue: X's image group ({@code [k][p]} floats) from
     * {@code xOff} bytes, Y's ({@code [m][p]}) from {@code yOff}; bias floats from {@code biasOff}
     * (null: none).
     */
    void run(MemorySegment x, long xOff, MemorySegment bias, long biasOff, MemorySegment y, long yOff, Parallel par) {
        if (par.threads() <= 1) {
            panels(0, panels, x, xOff, bias, biasOff, y, yOff);
            return;
        }
        Panels body = PANELS.get();
        body.conv = this;
        body.x = x;
        body.xOff = xOff;
        body.bias = bias;
        body.biasOff = biasOff;
        body.y = y;
        body.yOff = yOff;
        par.forRange(panels, body);
    }

    private void panels(int from, int to, MemorySegment x, long xOff, MemorySegment bias, long biasOff,
                        MemorySegment y, long yOff) {
        FewPositionsBuffers buf = FewPositionsBuffers.get();
        float[] xt = buf.xt(rowPanels * k * MR);
        float[] out = buf.out(outRows * nr);
        float[] b = buf.bias(nr);
        float[] row = buf.row(rowPanels * MR);
        java.util.Arrays.fill(row, p, rowPanels * MR, 0f);
        packPositions(x, xOff, xt, row);
        for (int jp = from; jp < to; jp++) {
            int j0 = jp * nr, cols = Math.min(nr, m - j0);
            for (int j = 0; j < nr; j++) b[j] = bias != null && j < cols ? bias.get(F, biasOff + 4L * (j0 + j)) : 0f;
            for (int ip = 0; ip < rowPanels; ip++) {
                tile.tile(k, xt, ip * k * MR, wt, jp * k * nr, b, out, ip * MR * nr, clampLo, clampHi);
            }
            transposeInto(out, y, yOff, j0, cols);
        }
    }

    /**
     * X^T in panels of MR positions: element (r, q) of X at {@code [q / MR][r][q % MR]}, zero past
     * p; each X row copied to {@code row} first (one bulk copy; element by element from the segment,
     * with a division per element, this took longer than the product).
     */
    private void packPositions(MemorySegment x, long xOff, float[] xt, float[] row) {
        for (int r = 0; r < k; r++) {
            MemorySegment.copy(x, F, xOff + 4L * r * p, row, 0, p);
            for (int ip = 0, at = r * MR, q = 0; ip < rowPanels; ip++, at += k * MR, q += MR) {
                xt[at] = row[q];
                xt[at + 1] = row[q + 1];
                xt[at + 2] = row[q + 2];
                xt[at + 3] = row[q + 3];
                xt[at + 4] = row[q + 4];
                xt[at + 5] = row[q + 5];
            }
        }
    }

    /** Channels {@code [j0, j0 + cols)} of the panel buffer ({@code [p][nr]}) into Y's rows, then the epilogue. */
    private void transposeInto(float[] out, MemorySegment y, long yOff, int j0, int cols) {
        for (int j = 0; j < cols; j++) {
            long row = yOff + 4L * (j0 + j) * p;
            tile.column(out, j, nr, gather, p, y, row, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            if (epilogue != null) epilogue.apply(y, row, p);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Panels> PANELS = ThreadLocal.withInitial(Panels::new);

    /** A split {@link #run}: ranges of channel panels. */
    private static final class Panels implements RunContext.RangeBody {
        F32PointwiseFewPositions conv;
        MemorySegment x, bias, y;
        long xOff, biasOff, yOff;

        @Override
        public void run(int from, int to) {
            conv.panels(from, to, x, xOff, bias, biasOff, y, yOff);
        }
    }
}
