package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution as an implicit GEMM: {@code Y_g[Mg, P] = W_g[Mg, Kc] . col(X_g)[Kc, P]} where the
 * column matrix is never built. Row {@code r} of it at output positions {@code q..q+lanes} is one
 * vector load from the source (the zero-padded planes of {@link F32PaddedIm2Col}, or for a 1x1
 * unit-stride convolution the input itself) at {@code kOff[r]} plus the position's offset, so the
 * register tile of {@link F32Gemm} ({@link F32Gemm#MR} output channels by two vectors of output
 * positions) loads its B vectors straight from the source. The tile starts from the bias and
 * applies a fused Relu/Clip in registers before its one store (other epilogues run on the stored
 * values), so Y is written once instead of bias fill, product and activation passes.
 *
 * <p>im2col copies every column element once while the GEMM uses it {@code Mg} times, so it cost
 * most where {@code Mg} is small (the conv autoencoder's 32->16 layer at 64x64 ran 2.3x ONNX
 * Runtime's time, ResNet-18's 64-channel layers 1.5x).
 *
 * <p>Output positions go in vector-sized segments along output rows (a row ends a segment), two
 * segments to a tile, so rows of 14 or 28 fill 14/16 of the lanes; rows much narrower than a
 * vector are left to im2col ({@link #efficiency}). Loops: blocks of {@link F32Gemm#MC} channels,
 * then blocks of {@link F32Gemm#KC} column rows (the block of packed weights stays in L2), then
 * tiles, then channel panels (a tile's source vectors stay in L1 across the panels).
 */
final class F32ImplicitConv {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int MR = F32Gemm.MR;

    private final Tile tile;
    private final int lanes;
    private final int mg, kc, panels;
    private final int[] kOff;              // per column-matrix row: float offset of its source from a position's
    private final int[] tailKOff;          // r * 2 * lanes: the packed copy of a last tile that would read past X, or null
    private final int[] src0, src1;        // per tile: float offset of each half's first position in the source
    private final int[] dst0, dst1;        // per tile: float offset of each half in an output plane
    private final int[] count0, count1;    // per tile: positions in each half (0: none)
    private final int positions;
    private final F32GemmEpilogue epilogue; // applied after the store; null when none or clamped in registers
    private final float clampLo, clampHi;

    private F32ImplicitConv(VectorSpecies<Float> species, int mg, int[] kOff, int positions, int[] segStart,
                            int[] segDst, int[] segCount, boolean tailCopy, F32GemmEpilogue epilogue) {
        this.tile = Tile.of(species);
        this.lanes = species.length();
        this.mg = mg;
        this.kc = kOff.length;
        this.panels = (mg + MR - 1) / MR;
        this.kOff = kOff;
        this.positions = positions;
        int tiles = (segStart.length + 1) / 2;
        src0 = new int[tiles];
        src1 = new int[tiles];
        dst0 = new int[tiles];
        dst1 = new int[tiles];
        count0 = new int[tiles];
        count1 = new int[tiles];
        for (int t = 0; t < tiles; t++) {
            int s = 2 * t;
            src0[t] = segStart[s];
            dst0[t] = segDst[s];
            count0[t] = segCount[s];
            boolean second = s + 1 < segStart.length;
            src1[t] = second ? segStart[s + 1] : segStart[s]; // an empty half reads what the first does
            dst1[t] = second ? segDst[s + 1] : segDst[s];
            count1[t] = second ? segCount[s + 1] : 0;
        }
        if (tailCopy) {
            tailKOff = new int[kc];
            for (int r = 0; r < kc; r++) tailKOff[r] = r * 2 * lanes;
        } else {
            tailKOff = null;
        }
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(epilogue);
        this.epilogue = clamp == null ? epilogue : null;
        clampLo = clamp != null ? clamp.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp != null ? clamp.clampHigh() : Float.POSITIVE_INFINITY;
    }

    /**
     * A 1x1 unit-stride unpadded convolution of {@code kc} input channels over {@code positions}:
     * the source is X itself, row r of the column matrix its channel r.
     */
    static F32ImplicitConv pointwise(VectorSpecies<Float> species, int mg, int kc, int positions,
                                     F32GemmEpilogue epilogue) {
        int lanes = species.length();
        int segs = (positions + lanes - 1) / lanes;
        int[] start = new int[segs], count = new int[segs];
        for (int s = 0; s < segs; s++) {
            start[s] = s * lanes;
            count[s] = Math.min(lanes, positions - s * lanes);
        }
        int[] kOff = new int[kc];
        for (int r = 0; r < kc; r++) kOff[r] = Math.toIntExact((long) r * positions);
        return new F32ImplicitConv(species, mg, kOff, positions, start, start, count, positions % (2 * lanes) != 0,
                epilogue);
    }

    /** A convolution whose source is the padded planes of {@code padded} ({@code oh x ow} outputs). */
    static F32ImplicitConv padded(VectorSpecies<Float> species, int mg, F32PaddedIm2Col padded, int oh, int ow,
                                  F32GemmEpilogue epilogue) {
        int lanes = species.length();
        int perRow = (ow + lanes - 1) / lanes;
        int segs = oh * perRow;
        int[] start = new int[segs], dst = new int[segs], count = new int[segs];
        for (int i = 0, s = 0; i < oh; i++) {
            for (int j = 0; j < ow; j += lanes, s++) {
                start[s] = Math.toIntExact(padded.rowOffset(i) + j);
                dst[s] = i * ow + j;
                count[s] = Math.min(lanes, ow - j);
            }
        }
        int[] kOff = new int[padded.kc()];
        for (int r = 0; r < kOff.length; r++) kOff[r] = Math.toIntExact(padded.tapOffset(r));
        return new F32ImplicitConv(species, mg, kOff, oh * ow, start, dst, count, false, epilogue);
    }

    /** Share of the tiles' lanes that hold output positions ({@code ow} positions per row, rows apart). */
    static double efficiency(VectorSpecies<Float> species, int ow) {
        int lanes = species.length();
        return (double) ow / (((ow + lanes - 1) / lanes) * lanes);
    }

    /** Whether the source offsets of a padded source of {@code floats} fit in an int. */
    static boolean fitsOffsets(long floats) {
        return floats < Integer.MAX_VALUE / 2;
    }

    /** Floats of one group's packed weights ({@link #packWeights}). */
    int packedWeightFloats() {
        return panels * MR * kc;
    }

    /**
     * Packs {@code groups} groups of weights ({@code [groups * mg][kc]} floats from {@code wOff}
     * bytes of {@code w}) into {@code dst}: per group, panels of {@link F32Gemm#MR} rows laid out
     * {@code [panel][kc][MR]} as {@link F32Gemm#packA} does, zero rows past {@code mg}. A heap array
     * and not a segment: the tile indexes it by an int linear in its loop variable, so C2 hoists the
     * range check out of the loop, where each A broadcast from a segment cost about 20 instructions
     * of long-index range-check arithmetic and stack reloads per two FMAs.
     */
    void packWeights(MemorySegment w, long wOff, int groups, float[] dst) {
        int perGroup = packedWeightFloats();
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < panels * MR; i++) {
                int at = g * perGroup + (i / MR) * MR * kc + i % MR;
                long row = wOff + 4L * ((long) g * mg + i) * kc;
                for (int p = 0; p < kc; p++) dst[at + p * MR] = i < mg ? w.get(F, row + 4L * p) : 0f;
            }
        }
    }

    /** Scratch bytes: the packed copy of a last tile that would read past X. */
    long scratchBytes() {
        return tailKOff == null ? 0 : 4L * kc * 2 * lanes;
    }

    /**
     * {@code Y = W . col + bias}, then the epilogue. {@code src} at {@code srcOff} bytes is the
     * source (X's group, or its padded planes); the group's weights ({@link #packWeights}) from
     * float {@code aOff} of {@code pa};
     * Y's group at {@code yOff}; bias floats at {@code biasOff} (null: none); {@code scratch} at
     * {@code scratchOff} holds the tail copy.
     */
    void run(MemorySegment src, long srcOff, float[] pa, int aOff, MemorySegment y, long yOff,
             MemorySegment bias, long biasOff, MemorySegment scratch, long scratchOff, Parallel par) {
        int tiles = src0.length;
        if (tailKOff != null) copyTail(src, srcOff, scratch, scratchOff);
        int threads = par.threads(); // the caller passes SERIAL for products too small to split
        if (threads <= 1) {
            units(0, panels, 0, tiles, src, srcOff, pa, aOff, y, yOff, bias, biasOff, scratch, scratchOff);
            return;
        }
        Units body = UNITS.get();
        // many tiles: each thread a range of them over all channels; few: ranges of channel panels
        body.tileParts = tiles >= 8 * threads ? 2 * threads : 1;
        body.panelParts = body.tileParts > 1 ? 1 : Math.min(panels, 2 * threads);
        body.conv = this;
        body.src = src;
        body.srcOff = srcOff;
        body.pa = pa;
        body.aOff = aOff;
        body.y = y;
        body.yOff = yOff;
        body.bias = bias;
        body.biasOff = biasOff;
        body.scratch = scratch;
        body.scratchOff = scratchOff;
        par.forRange(body.tileParts * body.panelParts, body);
    }

    /** The last tile's positions of every source row, zero-padded to a whole tile, at {@code at}. */
    private void copyTail(MemorySegment x, long xOff, MemorySegment scratch, long at) {
        int t = src0.length - 1;
        int from = src0[t], n = count0[t] + count1[t];
        for (int r = 0; r < kc; r++) {
            long row = at + 4L * tailKOff[r];
            MemorySegment.copy(x, xOff + 4L * (kOff[r] + from), scratch, row, 4L * n);
            for (int j = n; j < 2 * lanes; j++) scratch.set(F, row + 4L * j, 0f);
        }
    }

    private void units(int p0, int p1, int t0, int t1, MemorySegment src, long srcOff, float[] pa, int aOff,
                       MemorySegment y, long yOff, MemorySegment bias, long biasOff, MemorySegment scratch,
                       long scratchOff) {
        int mcPanels = F32Gemm.MC / MR;
        int lastTile = src0.length - 1;
        long yRow = 4L * positions;
        for (int mb = p0; mb < p1; mb += mcPanels) {
            int mbEnd = Math.min(p1, mb + mcPanels);
            for (int k0 = 0; k0 < kc; k0 += F32Gemm.KC) {
                int k1 = Math.min(kc, k0 + F32Gemm.KC);
                boolean first = k0 == 0, last = k1 == kc;
                for (int t = t0; t < t1; t++) {
                    boolean copied = tailKOff != null && t == lastTile;
                    MemorySegment b = copied ? scratch : src;
                    long bOff = copied ? scratchOff : srcOff;
                    int[] offs = copied ? tailKOff : kOff;
                    long s0 = copied ? 0 : 4L * src0[t], s1 = copied ? 4L * lanes : 4L * src1[t];
                    long y0 = yOff + 4L * dst0[t], y1 = yOff + 4L * dst1[t];
                    for (int ip = mb; ip < mbEnd; ip++) {
                        int m0 = ip * MR;
                        int rows = Math.min(MR, mg - m0);
                        tile.tile(k0, k1, offs, b, bOff + s0, bOff + s1, pa, aOff + m0 * kc, y, y0 + m0 * yRow, y1 + m0 * yRow,
                                yRow, rows, count0[t], count1[t], first, last, bias, biasOff + 4L * m0, clampLo, clampHi);
                        if (last && epilogue != null) {
                            for (int r = 0; r < rows; r++) {
                                epilogue.apply(y, y0 + (m0 + r) * yRow, count0[t]);
                                if (count1[t] > 0) epilogue.apply(y, y1 + (m0 + r) * yRow, count1[t]);
                            }
                        }
                    }
                }
            }
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Units> UNITS = ThreadLocal.withInitial(Units::new);

    /** A split {@link #run}: unit u is tile range {@code u % tileParts} of channel-panel range {@code u / tileParts}. */
    private static final class Units implements RunContext.RangeBody {
        F32ImplicitConv conv;
        int tileParts, panelParts;
        MemorySegment src, y, bias, scratch;
        float[] pa;
        int aOff;
        long srcOff, yOff, biasOff, scratchOff;

        @Override
        public void run(int from, int to) {
            int tiles = conv.src0.length, panels = conv.panels;
            for (int u = from; u < to; u++) {
                int tp = u % tileParts, pp = u / tileParts;
                conv.units(pp * panels / panelParts, (pp + 1) * panels / panelParts,
                        tp * tiles / tileParts, (tp + 1) * tiles / tileParts,
                        src, srcOff, pa, aOff, y, yOff, bias, biasOff, scratch, scratchOff);
            }
        }
    }

    /**
     * The register tile: {@link F32Gemm#MR} rows of packed A by two vectors of positions whose
     * column-matrix row r lies at {@code at0 + 4*offs[r]} and {@code at1 + 4*offs[r]} of {@code b}.
     * Species from a {@code static final} per subclass, as in {@link F32Gemm}'s micro-kernel.
     */
    abstract static class Tile {
        abstract VectorSpecies<Float> s();

        static Tile of(VectorSpecies<Float> species) {
            return switch (species.vectorBitSize()) {
                case 512 -> new Tile512();
                case 256 -> new Tile256();
                case 128 -> new Tile128();
                case 64 -> new Tile64();
                default -> throw new IllegalArgumentException("no implicit-GEMM tile for " + species);
            };
        }

        /**
         * Rows {@code [k0, k1)} of the product (weights: the panel from float {@code aPanel} of {@code a})
         * into rows {@code [0, rows)} of the halves at {@code y0},
         * {@code y1} ({@code yRow} bytes between channels), {@code n0}/{@code n1} positions each;
         * {@code first}: onto the bias (zero without one), else onto Y; {@code last}: clamped.
         */
        final void tile(int k0, int k1, int[] offs, MemorySegment b, long at0, long at1, float[] a, int aPanel,
                        MemorySegment y, long y0, long y1, long yRow, int rows, int n0, int n1, boolean first,
                        boolean last, MemorySegment bias, long biasAt, float lo, float hi) {
            VectorSpecies<Float> s = s();
            FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
            FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
            for (int r = k0; r < k1; r++) {
                long o = 4L * offs[r];
                FloatVector b0 = FloatVector.fromMemorySegment(s, b, at0 + o, LE);
                FloatVector b1 = FloatVector.fromMemorySegment(s, b, at1 + o, LE);
                int ap = aPanel + MR * r;
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
            }
            // one store block, the row's accumulators picked by a switch (see F32Gemm.Micro.tile)
            int lanes = s.length();
            boolean full = n0 == lanes && n1 == lanes;
            VectorMask<Float> m0 = s.indexInRange(0, n0);
            VectorMask<Float> m1 = s.indexInRange(0, n1);
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
                long at = y0 + r * yRow, bt = y1 + r * yRow;
                if (first) {
                    if (bias != null) {
                        float bv = bias.get(F, biasAt + 4L * r);
                        v0 = v0.add(bv);
                        v1 = v1.add(bv);
                    }
                } else if (full) {
                    v0 = v0.add(FloatVector.fromMemorySegment(s, y, at, LE));
                    v1 = v1.add(FloatVector.fromMemorySegment(s, y, bt, LE));
                } else {
                    v0 = v0.add(FloatVector.fromMemorySegment(s, y, at, LE, m0));
                    v1 = v1.add(FloatVector.fromMemorySegment(s, y, bt, LE, m1));
                }
                if (last) {
                    v0 = v0.max(lo).min(hi);
                    v1 = v1.max(lo).min(hi);
                }
                if (full) {
                    v0.intoMemorySegment(y, at, LE);
                    v1.intoMemorySegment(y, bt, LE);
                } else {
                    v0.intoMemorySegment(y, at, LE, m0);
                    v1.intoMemorySegment(y, bt, LE, m1);
                }
            }
        }
    }

    static final class Tile512 extends Tile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile256 extends Tile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile128 extends Tile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile64 extends Tile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
