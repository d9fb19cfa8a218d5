package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 2-D convolution (one group, constant weights, not pointwise) over few output positions,
 * such as ResNet-18's 7x7 layers, as the GEMM turned round: {@code Y^T[P, M] = col^T[P, K] .
 * W^T[K, M]}. The register tile's rows are output positions ({@link #MR} at a time: 49 positions
 * fill 49 of 54 rows) and its vector lanes output channels (two vectors to a tile), where
 * {@link F32ConvKernel}'s packed GEMM puts positions in the lanes (49 fill 49 of 64 columns) and
 * streams the weights, 9.4 MB for ResNet-18's 512->512 layers, once per column panel.
 *
 * <p>Both operands are heap arrays indexed linearly in the tile's loop, as in
 * {@link F32PointwiseFewPositions}: W^T packed once, in panels of two vectors of output channels
 * ({@code [panel][K][2 * lanes]}); the column matrix col^T written on each run straight from the
 * input in panels of {@link #MR} positions ({@code [rowPanel][K][MR]}), its rows split over threads,
 * into the calling thread's array, which the threads then share. The product walks K in blocks of
 * {@link #KC} so that a block of a weight panel stays in L1 while every position panel passes over
 * it; the tiles accumulate in a per-thread {@code [P][2 * lanes]} buffer, started at the bias, which
 * is then written to Y's rows transposed, clamped when a Relu/Clip is fused. Channel panels are
 * split over threads, so each thread streams its own part of the weights.
 *
 * <p>{@code -Dedgerun.java.fewPositionsConv=off} (read at planning) keeps these convolutions on
 * {@link F32ConvKernel}.
 */
public final class F32FewPositionsConv implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final int MR = FewPositionsTile.MR;
    /** Depth of a K block: a weight panel's block (KC x 2 vectors, 32 KB at 512 bits) stays in L1. */
    static final int KC = 256;
    /**
     * Most output positions served: the tiles' output goes to Y transposed, a gather per vector.
     * ResNet-18's 128->256 3x3 stride-2 layer (196 positions, 196 of 198 tile rows against 196 of
     * 224 lanes) took 803-810 us against 955-1015 on the packed GEMM (per-node minimum, 1 thread, load ~7).
     */
    static final int MAX_POSITIONS = 196;
    static final String PROPERTY = "edgerun.java.fewPositionsConv";

    private final KernelProvider.ConvSpec spec;
    private final FewPositionsTile tile;
    private final int lanes, nr;
    private final int batch, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    private final int k, m, p;
    private final int planeH, planeW;       // a channel plane with its padding: every position's taps fall inside
    private final int panels, rowPanels;
    private final int outRows;              // rows of the panel buffer: the tiles' rows, rounded up to whole vectors for the gathers
    private final int[] gather;             // lane i: i * nr, a column of the panel buffer
    private final float[] wt;               // [panels][k][nr]: W^T, zero past m
    private final F32GemmEpilogue epilogue; // applied to Y's rows; null when none or clamped
    private final float clampLo, clampHi;

    /**
     * Whether the Java kernels take this kernel for {@code spec}: a 2-D, one-group, non-pointwise
     * convolution with constant weights over at most {@link #MAX_POSITIONS} positions, of more
     * multiply-adds than {@link F32ConvKernel#DIRECT_MAX_MACS}, whose tiles it fills better than the
     * packed GEMM (position rows against position lanes) by a twentieth.
     */
    public static boolean preferred(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if ("off".equals(System.getProperty(PROPERTY)) || species == null || species.length() < 4) return false;
        if (spec.dtype() != DType.FLOAT || spec.spatialRank() != 2 || spec.group() != 1 || spec.constantWeight() == null) {
            return false;
        }
        long[] x = spec.inputShape(), wt = spec.weightShape(), y = spec.outputShape();
        long p = y[2] * y[3], m = wt[0], k = wt[1] * wt[2] * wt[3];
        boolean pointwise = wt[2] == 1 && wt[3] == 1 && p == x[2] * x[3];
        int nr = 2 * species.length();
        if (pointwise || p > MAX_POSITIONS || k * (m + nr) >= Integer.MAX_VALUE) return false;
        if (m * k * p <= F32ConvKernel.DIRECT_MAX_MACS) return false; // F32ConvKernel's direct GEMM: digits_cnn's 16->32 3x3 @8x8 ran 22.6 us a model run here against 21.4 there
        double turned = (double) p / ceil(p, MR) * m / ceil(m, nr);
        double packed = (double) p / ceil(p, nr) * m / ceil(m, F32Gemm.MR);
        return turned >= packed + 0.05;
    }

    private static long ceil(long a, long b) {
        return (a + b - 1) / b * b;
    }

    public F32FewPositionsConv(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || spec.spatialRank() != 2 || spec.group() != 1 || spec.constantWeight() == null) {
            throw new IllegalArgumentException("F32FewPositionsConv needs a 2-D one-group convolution with constant weights, got " + spec);
        }
        this.spec = spec;
        this.tile = FewPositionsTile.of(species);
        this.lanes = species.length();
        this.nr = 2 * lanes;
        long[] x = spec.inputShape(), ws = spec.weightShape(), y = spec.outputShape();
        batch = (int) x[0];
        c = (int) x[1];
        h = (int) x[2];
        w = (int) x[3];
        m = (int) ws[0];
        kh = (int) ws[2];
        kw = (int) ws[3];
        oh = (int) y[2];
        ow = (int) y[3];
        sh = spec.strides()[0];
        sw = spec.strides()[1];
        ph = spec.padsBegin()[0];
        pw = spec.padsBegin()[1];
        dh = spec.dilations()[0];
        dw = spec.dilations()[1];
        k = c * kh * kw;
        p = oh * ow;
        planeH = Math.max(h + ph, (oh - 1) * sh + (kh - 1) * dh + 1);
        planeW = Math.max(w + pw, (ow - 1) * sw + (kw - 1) * dw + 1);
        panels = (m + nr - 1) / nr;
        rowPanels = (p + MR - 1) / MR;
        outRows = Math.max(rowPanels * MR, (p + lanes - 1) / lanes * lanes);
        gather = new int[lanes];
        for (int i = 0; i < lanes; i++) gather[i] = i * nr;
        wt = packWeights(spec.constantWeight().data());
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(spec.epilogue());
        epilogue = clamp == null ? spec.epilogue() : null;
        clampLo = clamp != null ? clamp.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp != null ? clamp.clampHigh() : Float.POSITIVE_INFINITY;
    }

    private float[] packWeights(MemorySegment weights) {
        float[] dst = new float[panels * k * nr];
        for (int j = 0; j < m; j++) {
            int at = (j / nr) * k * nr + j % nr;
            long row = 4L * j * k;
            for (int r = 0; r < k; r++) dst[at + r * nr] = weights.get(F, row + 4L * r);
        }
        return dst;
    }

    @Override
    public long scratchBytes() {
        return 0;
    }

    @Override
    public void run(MemorySegment x, MemorySegment wIgnored, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        float[] xt = FewPositionsBuffers.get().xt(rowPanels * k * MR);
        // small products stay on the calling thread, as F32Gemm's (PARALLEL_MIN_MACS): digits_cnn's
        // 295K multiply-add layers split in two took 28-30 us per model run against 22 at 2 threads
        Parallel split = (long) m * k * p < F32Gemm.PARALLEL_MIN_MACS ? Parallel.SERIAL : par;
        for (int n = 0; n < batch; n++) {
            long xOff = 4L * n * c * h * w, yOff = 4L * n * m * p;
            if (split.threads() <= 1) {
                packColumns(x, xOff, xt, 0, k);
                panels(0, panels, xt, b, y, yOff);
            } else {
                Split body = SPLIT.get();
                body.set(this, x, xOff, xt, b, y, yOff);
                body.packing = true;
                split.forRange(k, body);
                body.packing = false;
                split.forRange(panels, body);
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of col^T into {@code xt}: row r, one (channel, kernel row, kernel
     * column), is built in a per-thread row (zero past p) from the channel's zero-padded plane (a
     * per-thread heap copy, made once per channel) and then spread over the position panels. Read
     * element by element from the segment, with the padding tested per element, these rows took
     * about a twentieth of ResNet-18's run (JFR samples).
     */
    private void packColumns(MemorySegment x, long xOff, float[] xt, int r0, int r1) {
        FewPositionsBuffers buf = FewPositionsBuffers.get();
        float[] row = buf.row(rowPanels * MR);
        float[] plane = buf.plane(planeH * planeW);
        java.util.Arrays.fill(row, p, rowPanels * MR, 0f);
        int taps = kh * kw, loaded = -1;
        for (int r = r0; r < r1; r++) {
            int ci = r / taps, ki = (r / kw) % kh, kj = r % kw;
            if (ci != loaded) {
                padPlane(x, xOff + 4L * ci * h * w, plane);
                loaded = ci;
            }
            columnRow(plane, ki, kj, row);
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

    /** One channel's {@code h x w} plane at {@code at} into {@code plane} ({@code planeH x planeW}), {@code ph} rows and {@code pw} columns of zeros before it. */
    private void padPlane(MemorySegment x, long at, float[] plane) {
        java.util.Arrays.fill(plane, 0, planeH * planeW, 0f);
        for (int iy = 0; iy < h; iy++) MemorySegment.copy(x, F, at + 4L * iy * w, plane, (iy + ph) * planeW + pw, w);
    }

    /** The {@code p} inputs that kernel tap (ki, kj) meets at each output position, from the padded plane. */
    private void columnRow(float[] plane, int ki, int kj, float[] row) {
        for (int i = 0, q = 0; i < oh; i++, q += ow) {
            int base = (i * sh + ki * dh) * planeW + kj * dw;
            if (sw == 1) {
                System.arraycopy(plane, base, row, q, ow);
            } else {
                for (int j = 0; j < ow; j++) row[q + j] = plane[base + j * sw];
            }
        }
    }

    private void panels(int from, int to, float[] xt, MemorySegment bias, MemorySegment y, long yOff) {
        FewPositionsBuffers buf = FewPositionsBuffers.get();
        float[] out = buf.out(outRows * nr);
        for (int jp = from; jp < to; jp++) {
            int j0 = jp * nr, cols = Math.min(nr, m - j0);
            startAtBias(out, bias, j0, cols);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                for (int ip = 0; ip < rowPanels; ip++) {
                    tile.accumulate(kc, xt, (ip * k + p0) * MR, wt, (jp * k + p0) * nr, out, ip * MR * nr);
                }
            }
            transposeInto(out, y, yOff, j0, cols);
        }
    }

    /** Every tile row of the panel buffer set to the bias of channels {@code [j0, j0 + cols)}, zero past them. */
    private void startAtBias(float[] out, MemorySegment bias, int j0, int cols) {
        for (int j = 0; j < nr; j++) out[j] = bias != null && j < cols ? bias.get(F, 4L * (j0 + j)) : 0f;
        for (int q = 1; q < rowPanels * MR; q++) System.arraycopy(out, 0, out, q * nr, nr);
    }

    /** Channels {@code [j0, j0 + cols)} of the panel buffer ({@code [p][nr]}) into Y's rows, clamped, then the epilogue. */
    private void transposeInto(float[] out, MemorySegment y, long yOff, int j0, int cols) {
        for (int j = 0; j < cols; j++) {
            long row = yOff + 4L * (j0 + j) * p;
            tile.column(out, j, nr, gather, p, y, row, clampLo, clampHi);
            if (epilogue != null) epilogue.apply(y, row, p);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    /** A split {@link #run}: ranges of col^T rows while packing, then ranges of channel panels. */
    private static final class Split implements RunContext.RangeBody {
        F32FewPositionsConv conv;
        boolean packing;
        MemorySegment x, bias, y;
        long xOff, yOff;
        float[] xt;

        void set(F32FewPositionsConv conv, MemorySegment x, long xOff, float[] xt, MemorySegment bias, MemorySegment y,
                 long yOff) {
            this.conv = conv;
            this.x = x;
            this.xOff = xOff;
            this.xt = xt;
            this.bias = bias;
            this.y = y;
            this.yOff = yOff;
        }

        @Override
        public void run(int from, int to) {
            if (packing) conv.packColumns(x, xOff, xt, from, to);
            else conv.panels(from, to, xt, bias, y, yOff);
        }
    }

    @Override
    public String toString() {
        return "F32FewPositionsConv(positions as tile rows, K blocks of " + KC + ") " + spec;
    }
}
