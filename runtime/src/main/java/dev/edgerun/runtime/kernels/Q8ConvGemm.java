package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java 8-bit 1-D/2-D convolution as a float GEMM over integer values (see
 * {@link Q8ConvViaF32} for why float and when the sums are exact): per image and group,
 * {@code acc[Mg, P] = W_g[Mg, Kc] . col(x_g - zx)[Kc, P]} with the int8 weights packed once as
 * float at compile time, the column matrix written into packed panels: by {@link Q8Im2Col}
 * straight from the 8-bit input for 1x1 unit-stride convolutions (the widening is the packing),
 * else from the group's input widened once (a k x k kernel reads each input k*k times, and copying
 * floats is cheaper than converting each time) by {@link F32PaddedIm2Col} (with vectors; large
 * column matrices are built and multiplied a block at a time while in cache, as F32ConvKernel
 * does) or {@link F32Im2Col}, then requantized into the
 * 8-bit output: with 512-bit vectors by {@link Q8Gemm} straight from the registers of each finished
 * tile, else each row of {@code acc} by {@link Q8Quantize#requantize} (int32 bias added exactly).
 * Scratch: the packed columns, the accumulators (fused: only for reductions deeper than one K block)
 * and the widened input of one group. Thread-safe; rows of the column matrix, GEMM
 * tiles and requantized rows are split over the threads of {@link Parallel}.
 */
final class Q8ConvGemm implements KernelProvider.Q8ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Packed columns built and multiplied per block while in cache (as F32ConvKernel: 512 KiB). */
    private static final long BLOCK_BYTES = 512 << 10;
    /** Packed weights of a group up to this size stay in cache across blocks (as F32ConvKernel). */
    private static final long BLOCK_MAX_WEIGHT_BYTES = 1 << 20;
    /**
     * Fixed ranges of the pointwise column blocks, each with its own buffers: eight, so that
     * {@link Parallel} can balance eight parts at two threads (a helper that starts late, or is
     * descheduled while holding a part, leaves less work behind it), as
     * {@link Q8DepthwiseConv#PLANE_SPLIT_MIN_MACS} found for the large depthwise layers;
     * {@code -Dedgerun.java.q8BlockSplit=off}: the {@link F32PaddedIm2Col#CHUNKS} of the padded path.
     * The blocks are smaller by as much, so the scratch is the same.
     */
    private static final int POINTWISE_BLOCK_CHUNKS = 8;
    /**
     * Fewest panels per column block: a block of one panel widens each input row in a call of its
     * own per panel, which cost more than the cache the block saves. MobileNetV2's projections at
     * 14x14 (7 panels in 8 ranges), packed whole instead (CandBench -Xbatch, 1 thread, least thread
     * CPU of 41 interleaved rounds, load 7-8): 384->64 66.5 us against 78.6 in blocks of one panel,
     * 384->96 81.2 against 90.0, 576->96 118.0 against 126.9.
     */
    static final int MIN_BLOCK_PANELS = 2;
    /** {@value}: {@code off} keeps the pointwise column blocks in {@link F32PaddedIm2Col#CHUNKS} ranges; read when a kernel is made. */
    static final String BLOCK_SPLIT_PROPERTY = "edgerun.java.q8BlockSplit";

    private final KernelProvider.Q8ConvSpec spec;
    private final VectorSpecies<Float> species; // null: scalar
    private final F32Gemm gemm;
    private final int batch, channels, outChannels, cg, mg, kc, positions;
    private final int h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow; // 1-D: the height terms are 1 and 0
    private final long inPlane;
    private final long weightGroupBytes; // packed A of one group
    private final boolean pointwise;     // 1x1, unit stride, no padding: the input rows are the columns
    private final MemorySegment packedW; // without fused: [group] packed A of the int8 weights as float; else null
    private final float[] packedA;       // with fused: the same on the heap (see Q8Gemm: C2 hoists its range check); else null
    private final int weightGroupFloats; // packed A of one group
    private final Q8Gemm fused;          // requantizes in the GEMM's store, or null: a separate pass
    private final Q8Gemm.Requant requant;
    private final Q8Reusable<Call> calls = new Q8Reusable<>(Call::new);
    private final F32PaddedIm2Col padded; // vector im2col through zero-padded planes, or null
    private final F32PaddedIm2Col[] chunkPads; // with padded: pads the planes of one chunk of channels each
    private final int[] chunkStart;            // first channel of each chunk, then cg
    private final long planeBytes;             // one channel's padded plane
    private final int blockPanels;       // > 0: columns built and multiplied this many panels at a time
    private final int blockChunks;       // fixed ranges of blocks, each with its own column (and partial-sum) buffer
    private final long blockBytes, blockAccBytes; // per chunk of blocks: packed columns, partial sums
    // scratch: [packed columns][float accumulators][widened input][padded planes]
    private final long colBytes, accOff, accBytes, widenOff, padOff;

    /** Whether this kernel handles the geometry: 1 or 2 spatial axes. */
    static boolean supports(KernelProvider.ConvSpec g) {
        return g.spatialRank() == 1 || g.spatialRank() == 2;
    }

    Q8ConvGemm(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        this(spec, species, new F32Gemm(species));
    }

    /** With {@code gemm} on {@code species}; its {@link F32Gemm#parallelFor} also decides whether im2col and requantizing are split (tests pass a threshold of 0). */
    Q8ConvGemm(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species, F32Gemm gemm) {
        KernelProvider.ConvSpec g = spec.geometry();
        if (!supports(g)) throw new IllegalArgumentException("Q8ConvGemm handles 1-D and 2-D convolutions, got " + g);
        this.spec = spec;
        this.species = species;
        this.gemm = gemm;
        long[] xs = g.inputShape(), ws = g.weightShape(), ys = g.outputShape();
        boolean twoD = g.spatialRank() == 2;
        batch = (int) xs[0];
        channels = (int) xs[1];
        outChannels = (int) ws[0];
        cg = channels / g.group();
        mg = outChannels / g.group();
        h = twoD ? (int) xs[2] : 1;
        w = (int) xs[xs.length - 1];
        kh = twoD ? (int) ws[2] : 1;
        kw = (int) ws[ws.length - 1];
        oh = twoD ? (int) ys[2] : 1;
        ow = (int) ys[ys.length - 1];
        int last = g.spatialRank() - 1;
        sh = twoD ? g.strides()[0] : 1;
        sw = g.strides()[last];
        ph = twoD ? g.padsBegin()[0] : 0;
        pw = g.padsBegin()[last];
        dh = twoD ? g.dilations()[0] : 1;
        dw = g.dilations()[last];
        inPlane = (long) h * w;
        positions = oh * ow;
        kc = cg * kh * kw;
        weightGroupBytes = 4 * F32Gemm.packedASize(mg, kc);
        pointwise = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && positions == inPlane;
        weightGroupFloats = (int) Math.min(Integer.MAX_VALUE, F32Gemm.packedASize(mg, kc));
        // a Java array holds the packed weights of the fused product: at most 2^31 - 9 floats
        boolean arrayFits = (long) weightGroupFloats * g.group() <= Integer.MAX_VALUE - 8;
        fused = arrayFits && Q8Gemm.supports(species, spec.bias()) ? new Q8Gemm(gemm) : null;
        requant = fused == null ? null : requantOf(spec);
        // 1x1 kernels with strides read a quarter of the input or less: padding all of it costs more (as F32ConvKernel)
        padded = pointwise || kh * kw == 1 || !F32PaddedIm2Col.supports(species, sw) ? null
                : new F32PaddedIm2Col(species, cg, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, gemm.nr());
        chunkStart = new int[F32PaddedIm2Col.CHUNKS + 1];
        for (int k = 0; k <= F32PaddedIm2Col.CHUNKS; k++) chunkStart[k] = k * cg / F32PaddedIm2Col.CHUNKS;
        chunkPads = padded == null ? null : chunkPaddings();
        planeBytes = padded == null ? 0 : padded.paddedBytes() / cg;
        long fullColumns = align64(4 * gemm.packedBSize(kc, positions));
        long panelBytes = 4L * kc * gemm.nr();
        int panels = (positions + gemm.nr() - 1) / gemm.nr();
        int chunks = pointwise && !"off".equals(System.getProperty(BLOCK_SPLIT_PROPERTY)) ? POINTWISE_BLOCK_CHUNKS
                : F32PaddedIm2Col.CHUNKS;
        blockChunks = chunks;
        // pointwise as F32ConvKernel: at least one block per chunk, so that threads share the work evenly
        int perBlock = (int) Math.max(1, pointwise ? Math.min(BLOCK_BYTES / panelBytes, (panels + chunks - 1) / chunks)
                : BLOCK_BYTES / panelBytes);
        boolean blocked = fused != null && (padded != null || pointwise) && weightGroupBytes <= BLOCK_MAX_WEIGHT_BYTES
                && fullColumns > (pointwise ? BLOCK_BYTES / 2 : 2 * BLOCK_BYTES) && perBlock < panels
                && perBlock >= MIN_BLOCK_PANELS;
        blockPanels = blocked ? perBlock : 0;
        blockBytes = blocked ? perBlock * panelBytes : 0;
        boolean partials = fused == null || Q8Gemm.partialSums(kc); // float accumulators: a separate pass, or a deep reduction
        blockAccBytes = blocked && partials ? align64(4L * mg * perBlock * gemm.nr()) : 0;
        colBytes = blocked ? chunks * blockBytes : fullColumns;
        accOff = colBytes;
        accBytes = !partials ? 0 : blocked ? chunks * blockAccBytes : align64(4L * mg * positions);
        widenOff = accOff + accBytes;
        padOff = widenOff + (pointwise ? 0 : align64(4L * cg * inPlane));
        packedA = fused != null ? packWeightArray(g) : null;
        packedW = fused == null ? packWeights(g) : null;
    }

    /** Padding of each chunk's channels alone: a channel's padded plane does not depend on the others. */
    private F32PaddedIm2Col[] chunkPaddings() {
        F32PaddedIm2Col[] pads = new F32PaddedIm2Col[F32PaddedIm2Col.CHUNKS];
        for (int k = 0; k < pads.length; k++) {
            int n = chunkStart[k + 1] - chunkStart[k];
            if (n > 0) pads[k] = new F32PaddedIm2Col(species, n, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, gemm.nr());
        }
        return pads;
    }

    private static long align64(long bytes) {
        return (bytes + 63) & ~63L;
    }

    /** The requantization of {@code spec}'s output channels with their int32 biases as floats (exact: see {@link Q8Gemm#supports}). */
    static Q8Gemm.Requant requantOf(KernelProvider.Q8ConvSpec spec) {
        float[] bias = new float[spec.multipliers().length];
        for (int m = 0; spec.bias() != null && m < bias.length; m++) bias[m] = spec.bias()[m];
        return new Q8Gemm.Requant(bias, spec.multipliers(), spec.yZeroPoint(), spec.yMin(), spec.yMax());
    }

    /**
     * The int8 weights as floats packed for {@link Q8Gemm}, per group as {@link F32Gemm#packA} lays
     * them out ({@code [panel][kc][MR]}, zero rows past mg), groups {@link #weightGroupFloats} apart.
     */
    private float[] packWeightArray(KernelProvider.ConvSpec g) {
        MemorySegment q = g.constantWeight().data();
        int mr = F32Gemm.MR;
        float[] packed = new float[weightGroupFloats * g.group()];
        for (int grp = 0; grp < g.group(); grp++) {
            for (int i = 0; i < mg; i++) {
                int at = grp * weightGroupFloats + (i / mr) * mr * kc + i % mr;
                long row = ((long) grp * mg + i) * kc;
                for (int p = 0; p < kc; p++) packed[at + p * mr] = q.get(ValueLayout.JAVA_BYTE, row + p);
            }
        }
        return packed;
    }

    /** As {@link #packWeightArray}, into a segment for {@link F32Gemm#multiply} (without {@link #fused}). */
    private MemorySegment packWeights(KernelProvider.ConvSpec g) {
        MemorySegment q = g.constantWeight().data();
        long n = g.constantWeight().elementCount();
        MemorySegment f = F32Gemm.allocatePacked(4 * n);
        for (long i = 0; i < n; i++) f.setAtIndex(F, i, q.get(ValueLayout.JAVA_BYTE, i));
        MemorySegment packed = F32Gemm.allocatePacked(weightGroupBytes * g.group());
        for (int grp = 0; grp < g.group(); grp++) {
            F32Gemm.packA(f, 4L * grp * mg * kc, kc, 1, mg, kc, packed, grp * weightGroupBytes);
        }
        return packed;
    }

    /** Packed columns, accumulators, and (unless pointwise) the widened input of one group and its padded planes. */
    @Override
    public long scratchBytes() {
        return padOff + (padded == null ? 0 : padded.paddedBytes());
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int group = spec.geometry().group();
        Parallel split = gemm.parallelFor((long) mg * kc * positions, par);
        // elements against the GEMM's multiply-add threshold: each costs at least a multiply-add
        Parallel columnsPar = gemm.parallelFor((long) kc * positions, par);
        Call c = calls.claim();
        c.x = x;
        c.y = y;
        c.scratch = scratch;
        try {
            for (int n = 0; n < batch; n++) {
                for (int g = 0; g < group; g++) {
                    c.xOff = ((long) n * channels + (long) g * cg) * inPlane;
                    c.yOff = ((long) n * outChannels + (long) g * mg) * positions;
                    c.firstM = g * mg;
                    c.group = g;
                    // widened once (a k x k kernel reads each input k*k times), then padded while in cache
                    if (padded != null) widenAndPad(c, split);
                    else if (!pointwise) widen(c, columnsPar);
                    if (blockPanels > 0) {
                        blocks(c, split);
                    } else {
                        wholeColumns(c, columnsPar);
                        product(c, par);
                    }
                }
            }
        } finally {
            c.x = c.y = c.scratch = null;
            calls.release(c);
        }
    }

    /** The parts of a call that split over threads, each over its own range (rows, channels, chunks). */
    private enum Stage { PADDED_COLUMNS, COLUMNS, REQUANTIZE_ROWS, WIDEN_AND_PAD, WIDEN, BLOCKS }

    /**
     * One call's operands and its current image and group, and the range body of whichever
     * {@link Stage} it hands to the threads; kept for the next call ({@link Q8Reusable}).
     */
    private final class Call implements RunContext.RangeBody {
        MemorySegment x, y, scratch;
        long xOff, yOff;    // the group's input and output
        int group;          // the group (its packed weights in packedA or packedW)
        int firstM;         // the group's first output channel
        private Stage stage;

        /** Runs {@code stage} over {@code [0, n)} on the threads of {@code par}. */
        void split(Stage stage, int n, Parallel par) {
            this.stage = stage;
            par.forRange(n, this);
        }

        @Override
        public void run(int from, int to) {
            switch (stage) {
                case PADDED_COLUMNS -> padded.columns(scratch, padOff, from, to, 0, positions, scratch, 0);
                case COLUMNS -> columnRows(pointwise ? x : scratch, pointwise ? xOff : widenOff, scratch, from, to);
                case REQUANTIZE_ROWS -> requantizeRows(scratch, y, yOff, firstM, from, to);
                case WIDEN_AND_PAD -> {
                    for (int k = from; k < to; k++) widenAndPadChunk(x, xOff, scratch, k);
                }
                case WIDEN -> widenChannels(x, xOff, scratch, from, to);
                case BLOCKS -> {
                    int count = blockCount(), chunks = blockChunks;
                    for (int k = from; k < to; k++) {
                        blockRange(k * count / chunks, (k + 1) * count / chunks, k, x, xOff, group, y, yOff, firstM, scratch);
                    }
                }
            }
        }
    }

    /** The whole packed column matrix at the start of scratch: from the 8-bit input when pointwise, else from its widened (and padded) copy. */
    private void wholeColumns(Call c, Parallel par) {
        if (par.threads() > 1) {
            c.split(padded == null ? Stage.COLUMNS : Stage.PADDED_COLUMNS, kc, par);
        } else if (padded == null) {
            columnRows(pointwise ? c.x : c.scratch, pointwise ? c.xOff : widenOff, c.scratch, 0, kc);
        } else {
            padded.columns(c.scratch, padOff, 0, kc, 0, positions, c.scratch, 0);
        }
    }

    /** The group's product over the whole column matrix, requantized into y: in registers, or as a separate pass over float sums. */
    private void product(Call c, Parallel par) {
        MemorySegment scratch = c.scratch;
        if (fused != null) {
            fused.multiply(mg, positions, kc, packedA, c.group * weightGroupFloats, scratch, 0, scratch, accOff, c.y, c.yOff,
                    positions, requant, c.firstM, par);
            return;
        }
        gemm.multiply(mg, positions, kc, packedW, c.group * weightGroupBytes, scratch, 0, scratch, accOff, positions, 1f,
                false, null, par);
        Parallel rowsPar = gemm.parallelFor((long) mg * positions, par);
        if (rowsPar.threads() <= 1) {
            requantizeRows(scratch, c.y, c.yOff, c.firstM, 0, mg);
        } else {
            c.split(Stage.REQUANTIZE_ROWS, mg, rowsPar);
        }
    }

    /**
     * The group's input widened (at {@link #widenOff}) and padded (at {@link #padOff}) a chunk of
     * channels at a time, chunks split over threads: one hand-over between the threads, not one
     * per pass.
     */
    private void widenAndPad(Call c, Parallel par) {
        if (par.threads() <= 1) {
            for (int k = 0; k < chunkPads.length; k++) widenAndPadChunk(c.x, c.xOff, c.scratch, k);
        } else {
            c.split(Stage.WIDEN_AND_PAD, chunkPads.length, par);
        }
    }

    private void widenAndPadChunk(MemorySegment x, long xOff, MemorySegment scratch, int k) {
        int c0 = chunkStart[k], c1 = chunkStart[k + 1];
        if (c0 == c1) return;
        widenChannels(x, xOff, scratch, c0, c1);
        chunkPads[k].padInput(scratch, widenOff + 4L * c0 * inPlane, scratch, padOff + c0 * planeBytes, Parallel.SERIAL);
    }

    /** The group's input as exact floats {@code x - zx} at {@link #widenOff}, channels split over threads. */
    private void widen(Call c, Parallel par) {
        if (par.threads() <= 1) {
            widenChannels(c.x, c.xOff, c.scratch, 0, cg);
        } else {
            c.split(Stage.WIDEN, cg, par);
        }
    }

    private void widenChannels(MemorySegment x, long xOff, MemorySegment scratch, int c0, int c1) {
        Q8Quantize.widen(species, x, xOff + c0 * inPlane, scratch, widenOff + 4 * c0 * inPlane, (c1 - c0) * inPlane,
                spec.xZeroPoint(), spec.xSigned());
    }

    /**
     * The product a column block at a time: each block's packed columns are built (from the padded
     * input, or widened from the 8-bit input when pointwise) and multiplied (requantized from
     * registers) while in cache; blocks split over threads in fixed ranges, each with its own column
     * and partial-sum buffers.
     */
    private void blocks(Call c, Parallel split) {
        if (split.threads() <= 1) {
            blockRange(0, blockCount(), 0, c.x, c.xOff, c.group, c.y, c.yOff, c.firstM, c.scratch);
        } else {
            c.split(Stage.BLOCKS, blockChunks, split);
        }
    }

    /** Column blocks of the product. */
    private int blockCount() {
        return (positions + blockPanels * gemm.nr() - 1) / (blockPanels * gemm.nr());
    }

    private void blockRange(int b0, int b1, int chunk, MemorySegment x, long xOff, int group, MemorySegment y, long yOff,
                            int firstM, MemorySegment scratch) {
        long colAt = chunk * blockBytes;
        long accAt = accOff + chunk * blockAccBytes;
        int step = blockPanels * gemm.nr();
        for (int blk = b0; blk < b1; blk++) {
            int q0 = blk * step, q1 = Math.min(positions, q0 + step);
            if (pointwise) {
                Q8Im2Col.pointwiseBlock(species, x, xOff, spec.xZeroPoint(), spec.xSigned(), positions, q0, q1, kc, gemm.nr(),
                        scratch, colAt);
            } else {
                padded.columns(scratch, padOff, 0, kc, q0, q1, scratch, colAt);
            }
            fused.multiply(mg, q1 - q0, kc, packedA, group * weightGroupFloats, scratch, colAt, scratch, accAt, y,
                    yOff + q0, positions, requant, firstM, Parallel.SERIAL);
        }
    }

    /** Rows {@code [r0, r1)} of the packed column matrix: from the 8-bit input when pointwise, else from its widened copy. */
    private void columnRows(MemorySegment x, long xOff, MemorySegment col, int r0, int r1) {
        if (pointwise) {
            Q8Im2Col.pointwiseRows(species, x, xOff, spec.xZeroPoint(), spec.xSigned(), positions, kc, gemm.nr(), r0, r1, col, 0);
        } else {
            F32Im2Col.rows2d(x, xOff, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, kc, gemm.nr(), r0, r1, col, 0);
        }
    }

    /** Rows {@code [i0, i1)} of the group's accumulators (output channels {@code firstM + i}) into y. */
    private void requantizeRows(MemorySegment acc, MemorySegment y, long yOff, int firstM, int i0, int i1) {
        int[] bias = spec.bias();
        float[] multipliers = spec.multipliers();
        for (int i = i0; i < i1; i++) {
            int m = firstM + i;
            Q8Quantize.requantize(species, acc, accOff + 4L * i * positions, y, yOff + (long) i * positions, positions,
                    bias == null ? 0 : bias[m], multipliers[m], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    @Override
    public String toString() {
        String how = (pointwise ? ", pointwise" : padded != null ? ", padded im2col" : "")
                + (blockPanels > 0 ? " in blocks of " + blockPanels + " panels" : "");
        return "Q8ConvGemm(" + (species == null ? "scalar" : species.vectorBitSize() + "-bit")
                + (fused != null ? ", requantized in registers" : "") + how + ") " + spec;
    }
}
