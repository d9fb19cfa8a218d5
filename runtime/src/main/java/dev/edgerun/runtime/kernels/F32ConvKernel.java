package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * General float32 convolution as GEMM: per image and group, {@code Y_g[Mg, P] = W_g[Mg, Kc] .
 * col(X_g)[Kc, P]} where {@code Kc = C/group * prod(kernel)} and {@code P} is the number of output
 * positions. The column matrix is written straight into packed panels: by {@link F32PaddedIm2Col}
 * (vectors, through zero-padded planes) for 1-D and 2-D convolutions with column stride 1 or 2, by
 * {@link F32Im2Col} otherwise; a 1x1 unit-stride unpadded convolution packs the input itself (no
 * im2col). Where the whole matrix would not stay in cache, it is built and multiplied a column
 * block at a time, blocks split over threads. The bias is written first
 * and the product accumulated onto it ({@link F32Gemm#multiplyBiased}); constant weights are
 * packed once here. Products that fit unblocked and run on one thread go to {@link F32DirectGemm}
 * instead (bias and a fused Relu/Clip in registers; a pointwise input read in place, not packed).
 * So do pointwise products with constant weights over more than a few positions
 * ({@link #isDirectPointwise}), at any thread count. Larger shallow or narrow products ({@link #IMPLICIT_MAX_DEPTH}) go to {@link F32ImplicitConv}:
 * no column matrix, the GEMM's tile loads its B vectors from the padded planes or the input itself.
 */
public final class F32ConvKernel implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final KernelProvider.ConvSpec spec;
    private final F32Gemm gemm;
    private final int batch, channels, outChannels, group, cg, mg, kc, positions, inPlane;
    private final int[] in, kernel, out;
    private final boolean pointwise;
    private final boolean fast2d;
    private final long weightGroupBytes; // packed A of one group
    private final long colBytes;
    private final MemorySegment packedW; // null when the weights are packed per run
    private final F32PaddedIm2Col padded; // vector im2col through padded planes, or null
    private final long padOff;            // its padded input in scratch, after the columns (and weights packed per run)
    private final int blockPanels;        // column block in B panels; 0: the whole column matrix at once
    private final long blockBytes;        // one block's packed columns (CHUNKS of them in scratch)
    private final F32DirectGemm direct;   // unblocked products with bias and clamp in registers; or null
    private final float[] directW;        // its constant weights packed (all groups); null: packed per run
    private final boolean directPointwise; // a pointwise product on direct at any thread count (split by column panels)
    private final float clampLo, clampHi; // its clamp: the fused Relu/Clip, else -inf..+inf
    private final F32ImplicitConv implicit; // the product without a column matrix; or null
    private final float[] implicitW;        // its constant weights packed (all groups); null: packed per run
    private final F32PointwiseFewPositions fewPositions; // a pointwise product turned round (constant weights, one group); or null

    /**
     * Products up to this many multiply-adds (per group) go to {@link F32DirectGemm}, where its
     * saving on packing and the separate bias/activation passes counts (DS-CNN's 64x64 pointwise
     * layers over 125 positions: 0.5 M); larger ones stay with {@link F32Gemm}. Not for speed alone:
     * in a process that also ran the int8 twin of MobileNetV2, C2 sometimes compiled the direct
     * tile with its accumulators boxed, and the float model's pointwise layers (6-20 M) made it
     * run 40-50 ms instead of 15 (6 of 11 runs); with those layers on the packed GEMM, 5 of 5 ran 15-16.5 ms.
     * (That was with A read from a memory segment. With A in a heap array, MobileNetV2's pointwise
     * layers went back to the direct tile ({@link #isDirectPointwise}); in 3 of 3 processes that ran
     * its static int8 twin beside it the float model's median stayed 13-15.5 ms, as the build
     * before did, load 9-10.)
     */
    static final long DIRECT_MAX_MACS = 1 << 20;

    /** Packed columns per block when blocking: stays in L2 while the GEMM runs over it. */
    static final long BLOCK_BYTES = 512 << 10;
    /** Blocking only while a group's weights fit in L2 next to the block: the GEMM streams them once per block. */
    static final long BLOCK_MAX_WEIGHT_BYTES = 1 << 20;

    public F32ConvKernel(KernelProvider.ConvSpec spec, F32Gemm gemm) {
        if (spec.dtype() != DType.FLOAT) throw new IllegalArgumentException("F32ConvKernel needs float32, got " + spec);
        this.spec = spec;
        this.gemm = gemm;
        int rank = spec.spatialRank();
        batch = (int) spec.inputShape()[0];
        channels = (int) spec.inputShape()[1];
        outChannels = (int) spec.weightShape()[0];
        group = spec.group();
        cg = channels / group;
        mg = outChannels / group;
        in = new int[rank];
        kernel = new int[rank];
        out = new int[rank];
        int kprod = 1, pos = 1, plane = 1;
        boolean unit = true;
        for (int a = 0; a < rank; a++) {
            in[a] = (int) spec.inputShape()[a + 2];
            kernel[a] = (int) spec.weightShape()[a + 2];
            out[a] = (int) spec.outputShape()[a + 2];
            kprod *= kernel[a];
            pos *= out[a];
            plane *= in[a];
            unit &= kernel[a] == 1 && spec.strides()[a] == 1 && spec.padsBegin()[a] == 0;
        }
        kc = cg * kprod;
        positions = pos;
        inPlane = plane;
        pointwise = unit && pos == plane;
        fast2d = rank <= 2;
        weightGroupBytes = 4 * F32Gemm.packedASize(mg, kc);
        // 1x1 kernels with strides read a quarter of the input or less: padding all of it cost more
        padded = pointwise || rank > 2 || kprod == 1 ? null : paddedIm2Col(spec, gemm, rank);
        long fullColumns = 4 * gemm.packedBSize(kc, positions);
        long panelBytes = 4L * kc * gemm.nr();
        int panels = (positions + gemm.nr() - 1) / gemm.nr();
        int chunks = F32PaddedIm2Col.CHUNKS;
        // at least one block per chunk where the panels allow, so that threads share the work evenly
        int perBlock = (int) Math.max(1, Math.min(BLOCK_BYTES / panelBytes, (panels + chunks - 1) / chunks));
        boolean blocked = (padded != null || pointwise) && weightGroupBytes <= BLOCK_MAX_WEIGHT_BYTES
                && fullColumns > BLOCK_BYTES / 2 && perBlock < panels;
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(spec.epilogue());
        boolean clampOnly = spec.epilogue() == null || clamp != null;
        boolean small = !blocked && kc <= F32Gemm.KC && (long) mg * kc * positions <= DIRECT_MAX_MACS;
        directPointwise = gemm.species() != null && clampOnly && isDirectPointwise(spec);
        direct = gemm.species() != null && clampOnly && (small || directPointwise) ? new F32DirectGemm(gemm.species()) : null;
        fewPositions = direct == null && pointwise && group == 1 && spec.constantWeight() != null
                && !"off".equals(System.getProperty(FEW_POSITIONS_PROPERTY))
                && F32PointwiseFewPositions.suits(gemm.species(), kc, mg, positions)
                ? new F32PointwiseFewPositions(gemm.species(), kc, mg, positions, spec.constantWeight().data(), 0,
                        spec.epilogue()) : null;
        implicit = direct == null && fewPositions == null ? implicitConv(spec, gemm.species()) : null;
        blocked &= implicit == null && fewPositions == null && !directPointwise;
        blockPanels = blocked ? perBlock : 0;
        blockBytes = blocked ? perBlock * panelBytes : 0;
        colBytes = implicit != null ? implicit.scratchBytes() : fewPositions != null ? 0
                : directPointwise ? direct.scratchBytes(kc) : blocked ? F32PaddedIm2Col.CHUNKS * blockBytes : fullColumns;
        directW = direct != null && spec.constantWeight() != null
                ? packDirectWeights(spec.constantWeight().data(), new float[F32DirectGemm.packedAFloats(mg, kc) * group]) : null;
        if (implicit != null && spec.constantWeight() != null) {
            implicitW = new float[implicit.packedWeightFloats() * group];
            implicit.packWeights(spec.constantWeight().data(), 0, group, implicitW);
        } else {
            implicitW = null;
        }
        boolean packedGemm = implicit == null && fewPositions == null && !directPointwise; // the packed GEMM may run
        if (packedGemm && spec.constantWeight() != null) {
            packedW = F32Gemm.allocatePacked(weightGroupBytes * group);
            packWeights(spec.constantWeight().data(), packedW, 0);
        } else {
            packedW = null;
        }
        padOff = colBytes + (packedW == null && packedGemm ? weightGroupBytes * group : 0);
        clampLo = clamp != null ? clamp.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp != null ? clamp.clampHigh() : Float.POSITIVE_INFINITY;
    }

    /**
     * The implicit GEMM where it applies and gained: a pointwise convolution, or one through
     * padded planes whose output rows fill at least {@link #IMPLICIT_MIN_EFFICIENCY} of its vector
     * lanes; either at most {@link #IMPLICIT_MAX_DEPTH} deep or with at most
     * {@link #IMPLICIT_MAX_NARROW_OUTPUTS} output channels per group.
     * {@code -Dedgerun.java.implicitConv=off} keeps im2col.
     */
    private F32ImplicitConv implicitConv(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species) {
        if (species == null || "off".equals(System.getProperty(IMPLICIT_PROPERTY))) return null;
        if (kc > IMPLICIT_MAX_DEPTH && mg > IMPLICIT_MAX_NARROW_OUTPUTS) return null;
        if (pointwise) {
            return F32ImplicitConv.fitsOffsets((long) kc * positions)
                    ? F32ImplicitConv.pointwise(species, mg, kc, positions, spec.epilogue()) : null;
        }
        if (padded == null || !F32ImplicitConv.fitsOffsets(padded.paddedBytes() / 4)) return null;
        int ow = out[out.length - 1], oh = out.length == 2 ? out[0] : 1;
        if (F32ImplicitConv.efficiency(species, ow) < IMPLICIT_MIN_EFFICIENCY) return null;
        return F32ImplicitConv.padded(species, mg, padded, oh, ow, spec.epilogue());
    }

    static final String IMPLICIT_PROPERTY = "edgerun.java.implicitConv";
    /** {@code -Dedgerun.java.directPointwise=off} keeps pointwise convolutions on the implicit or (blocked) packed GEMM. */
    static final String DIRECT_POINTWISE_PROPERTY = "edgerun.java.directPointwise";

    /**
     * Pointwise products with constant weights over more positions than
     * {@link F32PointwiseFewPositions} serves go to {@link F32DirectGemm} reading the input in
     * place, split by column panels when threaded. Measured against the kernels they had before (1
     * thread, 512-bit, F32ConvBench with both builds in one process, interleaved medians of thread
     * CPU, load 9): MobileNetV2's projections 576->96 at 14x14 804 us against 2600 (blocked packed
     * GEMM, which packs each block of the input and accumulates over K blocks through Y); its
     * expansions on the implicit GEMM 16->96 at 112x112 0.78x, 24->144 at 56x56 0.82x, 96->576 at
     * 14x14 0.88x, and 32->16 at 112x112 0.95x. MobileNetV2 as a whole: 0.915 of the thread CPU per
     * run of the build before these changes (both interleaved in one process, 80 rounds, load 9).
     */
    private boolean isDirectPointwise(KernelProvider.ConvSpec spec) {
        return pointwise && positions > F32PointwiseFewPositions.MAX_POSITIONS && spec.constantWeight() != null
                && !"off".equals(System.getProperty(DIRECT_POINTWISE_PROPERTY));
    }
    /** {@code -Dedgerun.java.fewPositions=off} keeps pointwise convolutions of few positions on the implicit GEMM. */
    static final String FEW_POSITIONS_PROPERTY = "edgerun.java.fewPositions";
    /**
     * im2col costs a copy per column element, which the GEMM then uses {@code mg} times: the
     * implicit GEMM gained where columns are reused little, and lost a little where the packed
     * GEMM's contiguous B panel counts more. Measured per layer (1 thread, im2col = 1; kernel-only
     * thread CPU medians and per-node medians in MobileNetV2, ResNet-18 and the conv autoencoder,
     * load 5-8): depth 27-288 gained (0.69-0.97: the stems, MobileNetV2's expansion layers, the
     * autoencoder's encoder); depth 320-960 lost (1.01-1.07: MobileNetV2's projections of 7x7 and
     * 14x14 planes; ResNet-18's 3x3 layers of depth 576-2304, 0.94-1.08) unless the output channels
     * are few (autoencoder 64->32 at depth 576: 0.74, 32->16: 0.60). That was with the weights in a
     * segment (a range check per A broadcast); with them in a heap array deep pointwise layers gained
     * too (MobileNetV2 576->96 at 14x14: 0.66 of im2col's thread CPU, 960->320 at 7x7: 0.85,
     * 320->1280 at 7x7: 0.99; interleaved, load ~10), but the shallow layers that share its tile
     * lost: C2 compiles one tile for all, and with deep layers among its callers the 16-27 deep
     * products (MobileNetV2's stem, 16->96 and 24->144 expansions) ran 1.16-1.28x slower
     * (interleaved, load ~20); pointwise layers with constant weights over more than 64 positions
     * now go to {@link F32DirectGemm} instead ({@link #isDirectPointwise}). The limit also chooses {@link F32Winograd}: at 4096, ResNet-18 lost
     * Winograd and ran 1.42-2.0x ONNX Runtime against 1.33-1.39 (load ~12).
     */
    static final int IMPLICIT_MAX_DEPTH = 300;
    static final int IMPLICIT_MAX_NARROW_OUTPUTS = 32;
    /** Rows of 14 or 28 positions fill 7/8 of 16-lane vectors and gain; rows of 7 (7/16) stay with im2col. */
    static final double IMPLICIT_MIN_EFFICIENCY = 0.85;

    private F32PaddedIm2Col paddedIm2Col(KernelProvider.ConvSpec spec, F32Gemm gemm, int rank) {
        int[] s = spec.strides(), p = spec.padsBegin(), d = spec.dilations();
        int a = rank - 1; // the column axis
        if (!F32PaddedIm2Col.supports(gemm.species(), s[a])) return null;
        return rank == 2
                ? new F32PaddedIm2Col(gemm.species(), cg, in[0], in[1], kernel[0], kernel[1], s[0], s[1], p[0], p[1],
                        d[0], d[1], out[0], out[1], gemm.nr())
                : new F32PaddedIm2Col(gemm.species(), cg, 1, in[0], 1, kernel[0], 1, s[0], 0, p[0], 1, d[0],
                        1, out[0], gemm.nr());
    }

    /** Every group's weights into {@code dst} as {@link F32DirectGemm}'s A; returns {@code dst}. */
    private float[] packDirectWeights(MemorySegment w, float[] dst) {
        int groupFloats = F32DirectGemm.packedAFloats(mg, kc);
        for (int g = 0; g < group; g++) F32DirectGemm.packA(w, 4L * g * mg * kc, mg, kc, dst, g * groupFloats);
        return dst;
    }

    private void packWeights(MemorySegment w, MemorySegment dst, long dstOff) {
        for (int g = 0; g < group; g++) {
            F32Gemm.packA(w, 4L * g * mg * kc, kc, 1, mg, kc, dst, dstOff + g * weightGroupBytes);
        }
    }

    @Override
    public long scratchBytes() {
        return padOff + (padded == null ? 0 : padded.paddedBytes());
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        if (implicit != null) {
            runImplicit(x, w, bias, y, scratch, par);
            return;
        }
        if (fewPositions != null) {
            MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
            Parallel split = gemm.parallelFor((long) mg * kc * positions, par);
            for (int n = 0; n < batch; n++) {
                fewPositions.run(x, 4L * n * channels * inPlane, b, 0, y, 4L * n * outChannels * positions, split);
            }
            return;
        }
        boolean serial = gemm.parallelFor((long) mg * kc * positions, par).threads() <= 1;
        float[] dw = direct == null || !(serial || directPointwise) ? null
                : directW != null ? directW : packDirectWeights(w, perRunWeights(F32DirectGemm.packedAFloats(mg, kc) * group));
        int dwGroup = direct == null ? 0 : F32DirectGemm.packedAFloats(mg, kc);
        MemorySegment pw = packedW;
        long pwOff = 0;
        if (pw == null && dw == null) { // the packed GEMM's weights, packed per run
            pw = scratch;
            pwOff = colBytes;
            packWeights(w, scratch, pwOff);
        }
        boolean hasBias = bias != null && bias.byteSize() > 0;
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < group; g++) {
                long xOff = 4L * ((long) n * channels + (long) g * cg) * inPlane;
                long yOff = 4L * ((long) n * outChannels + (long) g * mg) * positions;
                MemorySegment b = hasBias ? bias : null;
                long a = pwOff + g * weightGroupBytes;
                if (dw != null && pointwise && serial) { // B is the input itself, read in place
                    direct.multiplyInPlace(mg, positions, kc, dw, g * dwGroup, x, xOff, positions, y, yOff, positions,
                            b, 4L * g * mg, clampLo, clampHi, scratch, 0);
                    continue;
                }
                if (dw != null && pointwise) {
                    directSplit(dw, g * dwGroup, x, xOff, y, yOff, b, 4L * g * mg, scratch, par);
                    continue;
                }
                if (blockPanels > 0 && padded == null) { // pointwise: the input itself packed a block at a time
                    blocks(x, xOff, pw, a, b, g, y, yOff, scratch, gemm.parallelFor((long) mg * kc * positions, par));
                    continue;
                }
                if (padded == null) {
                    buildColumns(x, xOff, scratch, par);
                } else {
                    Parallel split = gemm.parallelFor((long) mg * kc * positions, par);
                    padded.padInput(x, xOff, scratch, padOff, split);
                    if (blockPanels > 0) {
                        blocks(x, xOff, pw, a, b, g, y, yOff, scratch, split);
                        continue;
                    }
                    if (split.threads() <= 1) {
                        padded.columns(scratch, padOff, 0, kc, 0, positions, scratch, 0);
                    } else {
                        PaddedRows body = PADDED_ROWS.get();
                        body.conv = this;
                        body.scratch = scratch;
                        split.forRange(kc, body);
                    }
                }
                if (dw != null) {
                    direct.multiplyPacked(mg, positions, kc, dw, g * dwGroup, scratch, 0, y, yOff, positions, b, 4L * g * mg,
                            clampLo, clampHi);
                } else {
                    gemm.multiplyBiased(mg, positions, kc, pw, a, scratch, 0, y, yOff, positions, b, 4L * g * mg,
                            spec.epilogue(), par);
                }
            }
        }
    }

    /**
     * The in-place direct product split over threads by column panels, each range writing its own
     * columns of Y; only the range with the last, partial panel uses scratch (at its start).
     */
    private void directSplit(float[] dw, int aAt, MemorySegment x, long xOff, MemorySegment y, long yOff,
                             MemorySegment bias, long biasOff, MemorySegment scratch, Parallel par) {
        DirectPanels body = DIRECT_PANELS.get();
        body.conv = this;
        body.dw = dw;
        body.aAt = aAt;
        body.x = x;
        body.xOff = xOff;
        body.y = y;
        body.yOff = yOff;
        body.bias = bias;
        body.biasOff = biasOff;
        body.scratch = scratch;
        par.forRange((positions + direct.nr() - 1) / direct.nr(), body);
    }

    /** Each group through {@link #implicit}; weights not constant are packed into a per-thread array first. */
    private void runImplicit(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y,
                             MemorySegment scratch, Parallel par) {
        float[] pw = implicitW;
        if (pw == null) {
            pw = perRunWeights(implicit.packedWeightFloats() * group);
            implicit.packWeights(w, 0, group, pw);
        }
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        Parallel split = gemm.parallelFor((long) mg * kc * positions, par);
        for (int n = 0; n < batch; n++) {
            for (int g = 0; g < group; g++) {
                long xOff = 4L * ((long) n * channels + (long) g * cg) * inPlane;
                long yOff = 4L * ((long) n * outChannels + (long) g * mg) * positions;
                if (padded != null) padded.padInput(x, xOff, scratch, padOff, split);
                implicit.run(padded != null ? scratch : x, padded != null ? padOff : xOff,
                        pw, g * implicit.packedWeightFloats(), y, yOff, b, 4L * g * mg, scratch, 0, split);
            }
        }
    }

    // Per-thread weights packed per run for the implicit or direct GEMM (grown to the largest seen; kept).
    private static final ThreadLocal<float[]> PER_RUN_WEIGHTS = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] perRunWeights(int floats) {
        float[] a = PER_RUN_WEIGHTS.get();
        if (a.length < floats) {
            a = new float[floats];
            PER_RUN_WEIGHTS.set(a);
        }
        return a;
    }

    /**
     * The product a column block at a time: each block's packed columns are built from the padded
     * input (or, for a pointwise convolution, packed from the input itself) and multiplied while in
     * cache. Blocks split over threads in fixed ranges, each with its
     * own block buffer, so both cores run im2col and GEMM with no hand-over between the two.
     */
    private void blocks(MemorySegment x, long xOff, MemorySegment pw, long a, MemorySegment bias, int g,
                        MemorySegment y, long yOff, MemorySegment scratch, Parallel split) {
        int count = (positions + blockPanels * gemm.nr() - 1) / (blockPanels * gemm.nr());
        int chunks = F32PaddedIm2Col.CHUNKS;
        if (split.threads() <= 1) {
            blockRange(0, count, 0, x, xOff, pw, a, bias, g, y, yOff, scratch);
        } else {
            Blocks body = BLOCKS.get();
            body.conv = this;
            body.count = count;
            body.x = x;
            body.xOff = xOff;
            body.pw = pw;
            body.a = a;
            body.bias = bias;
            body.g = g;
            body.y = y;
            body.yOff = yOff;
            body.scratch = scratch;
            split.forRange(chunks, body);
        }
    }

    private void blockRange(int b0, int b1, int chunk, MemorySegment x, long xOff, MemorySegment pw, long a,
                            MemorySegment bias, int g, MemorySegment y, long yOff, MemorySegment scratch) {
        long colAt = chunk * blockBytes;
        int step = blockPanels * gemm.nr();
        for (int blk = b0; blk < b1; blk++) {
            int q0 = blk * step, q1 = Math.min(positions, q0 + step);
            if (padded != null) {
                padded.columns(scratch, padOff, 0, kc, q0, q1, scratch, colAt);
            } else { // packBPanels writes panel jp at jp panels from its base: shift the base back to the block
                int jp0 = blk * blockPanels;
                gemm.packBPanels(x, xOff, positions, 1, kc, positions, jp0, jp0 + (q1 - q0 + gemm.nr() - 1) / gemm.nr(),
                        scratch, colAt - 4L * jp0 * gemm.nr() * kc);
            }
            gemm.multiplyBiased(mg, q1 - q0, kc, pw, a, scratch, colAt, y, yOff + 4L * q0, positions, bias, 4L * g * mg,
                    spec.epilogue(), Parallel.SERIAL);
        }
    }

    /**
     * im2col into packed B; split over threads only when its {@code kc * positions} elements reach
     * the GEMM's threshold ({@link F32Gemm#parallelFor}): copying an element costs at least a
     * multiply-add, and small convolutions lost time to the hand-over.
     */
    private void buildColumns(MemorySegment x, long xOff, MemorySegment col, Parallel par) {
        Parallel split = gemm.parallelFor((long) kc * positions, par);
        if (pointwise) {
            gemm.packB(x, xOff, positions, 1, kc, positions, col, 0);
        } else if (split.threads() <= 1) {
            columnRows(x, xOff, col, 0, kc);
        } else {
            ColumnRows body = COLUMN_ROWS.get();
            body.conv = this;
            body.x = x;
            body.xOff = xOff;
            body.col = col;
            split.forRange(kc, body);
        }
    }

    private void columnRows(MemorySegment x, long xOff, MemorySegment col, int r0, int r1) {
        int[] s = spec.strides(), p = spec.padsBegin(), d = spec.dilations();
        if (fast2d && in.length == 2) {
            F32Im2Col.rows2d(x, xOff, in[0], in[1], kernel[0], kernel[1], s[0], s[1], p[0], p[1], d[0], d[1],
                    out[0], out[1], kc, gemm.nr(), r0, r1, col, 0);
        } else if (fast2d && in.length == 1) {
            F32Im2Col.rows2d(x, xOff, 1, in[0], 1, kernel[0], 1, s[0], 0, p[0], 1, d[0],
                    1, out[0], kc, gemm.nr(), r0, r1, col, 0);
        } else {
            F32Im2Col.rowsNd(x, xOff, in, kernel, out, s, p, d, kc, gemm.nr(), r0, r1, col, 0);
        }
    }

    // A split call's arguments, one object per calling thread and kind of split (see Parallel).
    private static final ThreadLocal<PaddedRows> PADDED_ROWS = ThreadLocal.withInitial(PaddedRows::new);
    private static final ThreadLocal<Blocks> BLOCKS = ThreadLocal.withInitial(Blocks::new);
    private static final ThreadLocal<ColumnRows> COLUMN_ROWS = ThreadLocal.withInitial(ColumnRows::new);
    private static final ThreadLocal<DirectPanels> DIRECT_PANELS = ThreadLocal.withInitial(DirectPanels::new);

    /** Column panels {@code [from, to)} of {@link #directSplit}'s product. */
    private static final class DirectPanels implements RunContext.RangeBody {
        F32ConvKernel conv;
        float[] dw;
        int aAt;
        MemorySegment x, y, bias, scratch;
        long xOff, yOff, biasOff;

        @Override
        public void run(int from, int to) {
            F32ConvKernel c = conv;
            int q0 = from * c.direct.nr(), q1 = Math.min(c.positions, to * c.direct.nr());
            c.direct.multiplyInPlace(c.mg, q1 - q0, c.kc, dw, aAt, x, xOff + 4L * q0, c.positions, y, yOff + 4L * q0,
                    c.positions, bias, biasOff, c.clampLo, c.clampHi, scratch, 0);
        }
    }

    /** Rows of the column matrix from the padded planes at {@code padOff} of {@code scratch}, into its start. */
    private static final class PaddedRows implements RunContext.RangeBody {
        F32ConvKernel conv;
        MemorySegment scratch;

        @Override
        public void run(int r0, int r1) {
            conv.padded.columns(scratch, conv.padOff, r0, r1, 0, conv.positions, scratch, 0);
        }
    }

    /** {@link #blocks} split in {@link F32PaddedIm2Col#CHUNKS} ranges of its {@code count} column blocks. */
    private static final class Blocks implements RunContext.RangeBody {
        F32ConvKernel conv;
        int count;
        MemorySegment x;
        long xOff;
        MemorySegment pw;
        long a;
        MemorySegment bias;
        int g;
        MemorySegment y;
        long yOff;
        MemorySegment scratch;

        @Override
        public void run(int from, int to) {
            int chunks = F32PaddedIm2Col.CHUNKS;
            for (int c = from; c < to; c++) {
                conv.blockRange(c * count / chunks, (c + 1) * count / chunks, c, x, xOff, pw, a, bias, g, y, yOff, scratch);
            }
        }
    }

    /** im2col rows of the image group at {@code xOff} into {@code col}. */
    private static final class ColumnRows implements RunContext.RangeBody {
        F32ConvKernel conv;
        MemorySegment x;
        long xOff;
        MemorySegment col;

        @Override
        public void run(int r0, int r1) {
            conv.columnRows(x, xOff, col, r0, r1);
        }
    }

    @Override
    public String toString() {
        if (implicit != null) return "F32Conv(implicit gemm" + (pointwise ? ", pointwise" : ", padded") + ") " + spec;
        if (fewPositions != null) return "F32Conv(pointwise, positions as tile rows) " + spec;
        if (directPointwise) return "F32Conv(direct gemm, pointwise, split by column panels) " + spec;
        String how = (pointwise ? ", pointwise" : padded != null ? ", padded im2col" : "")
                + (blockPanels > 0 ? " in blocks of " + blockPanels + " panels" : "")
                + (direct != null ? ", direct when serial" : "");
        return "F32Conv(im2col+gemm" + how + ") " + spec;
    }
}
