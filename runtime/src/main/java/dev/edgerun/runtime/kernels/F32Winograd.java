package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3x3 stride-1 float convolution by Winograd F(2x2, 3x3): each 2x2 output tile is
 * {@code A^T [(G g G^T) . (B^T d B)] A} over the 4x4 input patch {@code d}, so the products become
 * 16 GEMMs {@code M_xi[m, tiles] = U_xi[m, c] . V_xi[c, tiles]} with 2.25x fewer multiply-adds
 * than the direct convolution. The weights are transformed ({@code U = G g G^T}) and packed once
 * when constant. The planes are processed a block of tile rows at a time, so that the transformed
 * input and the 16 products of a block stay in cache: each block transforms its input (vectors
 * over the tiles of a tile row, read from the input split into even and odd columns), runs the 16
 * GEMMs through {@link F32Gemm}, and transforms the products back, adding the bias and a fused
 * Relu/Clip in registers. Blocks are split over threads in contiguous ranges, each thread with its
 * own buffers. The tiling and the transforms it shares with {@link Q8Winograd} are in
 * {@link WinogradTiles}; this class reads the float input and writes the float output.
 */
public final class F32Winograd implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int XI = WinogradTiles.XI;
    private static final int MAX_CHUNKS = WinogradTiles.MAX_CHUNKS;
    /**
     * Fewest input channels (the GEMMs' depth): with 3 or 8 the transforms cost about what they
     * save (3->16 @64x64: 1.26x the im2col time, 8->16: 0.86x). Output channels may be few: the
     * conv autoencoder's 32->3 @64x64 head took 0.74-0.81x the im2col time (serial, load ~10).
     */
    static final int MIN_CHANNELS = 16;
    /**
     * Smallest output plane side (as oneDNN's Winograd rule): ResNet-18's 512->512 @7x7 took 2.39x
     * the im2col time (16 tiles cover 8x8 for 7x7 outputs, and 16 GEMMs of 16 columns stream 16 MB
     * of transformed weights).
     */
    static final int MIN_SIDE = 14;

    private final KernelProvider.ConvSpec spec;
    private final WinogradTiles tiles;
    private final VectorSpecies<Float> species;
    private final long chunkBytes;       // a thread's buffers: the tiling's (WinogradTiles.bufferBytes) only
    private final MemorySegment packedU; // 16 packed A [m x c]; null: transformed per run into scratch
    private final boolean clamp;
    private final float clampLo, clampHi;
    private final F32GemmEpilogue after; // an epilogue that is not a clamp: applied per output row, or null

    /**
     * Whether the Java kernels use this kernel where it applies ({@link #preferred}): yes unless
     * {@code -Dedgerun.java.winograd=off} (read at planning). It was opt-in from 1cddbc0 because
     * in fresh processes ResNet-18 with Java kernels got slower with it (C2 deoptimized
     * {@code F32Gemm.Micro.tile} again and again, and the recompiled GEMM was about 2x slower for
     * every layer). Session 7 removed those deoptimizations (the Vector API warm-up's confined
     * arena had polluted the segment checks' profile, f5ac0cc; the micro-kernel's store left its
     * FMA loop, 35ba7d0). Fresh processes since, bench --compare --kernels java, ResNet-18, native/ORT
     * ratio with it against without (quiet, alternated): 1 thread 1.226, 1.227 against 1.518, 1.473;
     * 2 threads 1.483, 1.600 against 1.686, 1.955.
     */
    public static boolean enabled() {
        return !"off".equals(System.getProperty("edgerun.java.winograd"));
    }

    /**
     * Whether the Java kernels take this kernel for {@code spec}: where it applies and the
     * convolution is too deep and too wide for {@link F32ConvKernel}'s implicit GEMM, which beat
     * it on the shallow or narrow layers of the conv autoencoder (bench --compare ratio 1.24 and
     * 1.31 without Winograd against 1.32 and 1.37 with it for every layer, 1 thread, quiet).
     */
    public static boolean preferred(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (!enabled() || !supports(spec, species)) return false;
        long[] w = spec.weightShape();
        return w[1] * w[2] * w[3] > F32ConvKernel.IMPLICIT_MAX_DEPTH && w[0] > F32ConvKernel.IMPLICIT_MAX_NARROW_OUTPUTS;
    }

    /** Whether {@code spec} is a convolution this kernel takes with vectors of {@code species}. */
    public static boolean supports(KernelProvider.ConvSpec spec, VectorSpecies<Float> species) {
        if (species == null || species.length() < 4 || spec.dtype() != DType.FLOAT) return false;
        if (spec.spatialRank() != 2 || spec.group() != 1) return false;
        long[] w = spec.weightShape(), y = spec.outputShape();
        return w[2] == 3 && w[3] == 3 && spec.strides()[0] == 1 && spec.strides()[1] == 1
                && spec.dilations()[0] == 1 && spec.dilations()[1] == 1
                && w[1] >= MIN_CHANNELS && y[2] >= MIN_SIDE && y[3] >= MIN_SIDE;
    }

    public F32Winograd(KernelProvider.ConvSpec spec, F32Gemm gemm) {
        this.spec = spec;
        this.species = gemm.species();
        if (species == null || species.length() < 4 || spec.spatialRank() != 2 || spec.group() != 1
                || spec.weightShape()[2] != 3 || spec.weightShape()[3] != 3) {
            throw new IllegalArgumentException("F32Winograd needs a 3x3 2-D convolution with vectors of 4+ lanes, got " + spec);
        }
        tiles = new WinogradTiles(spec, gemm);
        chunkBytes = tiles.bufferBytes;
        ActivationEpilogue cl = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = cl != null;
        clampLo = clamp ? cl.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp ? cl.clampHigh() : Float.POSITIVE_INFINITY;
        after = clamp ? null : spec.epilogue();
        packedU = spec.constantWeight() == null ? null : tiles.packWeights(spec.constantWeight().data());
    }

    @Override
    public long scratchBytes() {
        return MAX_CHUNKS * chunkBytes + (packedU == null ? XI * tiles.uBytes + 4L * XI * tiles.m * tiles.c : 0);
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment u = packedU;
        if (u == null) {
            long at = MAX_CHUNKS * chunkBytes;
            tiles.transformWeights(w, scratch, at + XI * tiles.uBytes, scratch, at);
            u = scratch;
        }
        long uOff = packedU == null ? MAX_CHUNKS * chunkBytes : 0;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        int chunks = WinogradTiles.chunks(par);
        int blocks = tiles.blocks(chunks);
        int ch = Math.min(chunks, blocks);
        for (int n = 0; n < tiles.batch; n++) {
            long xOff = 4L * n * tiles.c * tiles.ih * tiles.iw, yOff = 4L * n * tiles.m * tiles.oh * tiles.ow;
            if (ch <= 1) {
                blockRange(0, blocks, 0, blocks, x, xOff, u, uOff, b, y, yOff, scratch);
            } else {
                Chunks body = CHUNKS.get();
                body.set(this, ch, blocks, x, xOff, u, uOff, b, y, yOff, scratch);
                par.forRange(ch, body);
            }
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Chunks> CHUNKS = ThreadLocal.withInitial(Chunks::new);

    /** One image's tile-row blocks in {@code chunks} ranges, each with its own part of the scratch. */
    private static final class Chunks implements RunContext.RangeBody {
        private F32Winograd conv;
        private int chunks;
        private int blocks;
        private MemorySegment x;
        private long xOff;
        private MemorySegment u;
        private long uOff;
        private MemorySegment bias;
        private MemorySegment y;
        private long yOff;
        private MemorySegment scratch;

        void set(F32Winograd conv, int chunks, int blocks, MemorySegment x, long xOff, MemorySegment u, long uOff,
                 MemorySegment bias, MemorySegment y, long yOff, MemorySegment scratch) {
            this.conv = conv;
            this.chunks = chunks;
            this.blocks = blocks;
            this.x = x;
            this.xOff = xOff;
            this.u = u;
            this.uOff = uOff;
            this.bias = bias;
            this.y = y;
            this.yOff = yOff;
            this.scratch = scratch;
        }

        @Override
        public void run(int from, int to) {
            for (int k = from; k < to; k++) {
                conv.blockRange(k * blocks / chunks, (k + 1) * blocks / chunks, k, blocks, x, xOff, u, uOff, bias, y, yOff,
                        scratch);
            }
        }
    }

    private void blockRange(int b0, int b1, int chunk, int blocks, MemorySegment x, long xOff, MemorySegment u,
                            long uOff, MemorySegment bias, MemorySegment y, long yOff, MemorySegment scratch) {
        int tw = tiles.tw, lanes = tiles.lanes;
        long v = chunk * chunkBytes, mb = v + tiles.vBytes, eo = mb + tiles.mBytes, tmp = eo + tiles.eoBytes;
        for (int blk = b0; blk < b1; blk++) {
            int ty0 = tiles.firstTileRow(blk, blocks), ty1 = tiles.firstTileRow(blk + 1, blocks);
            int count = (ty1 - ty0) * tw; // tiles in the block
            for (int ci = 0; ci < tiles.c; ci++) {
                splitColumns(x, xOff + 4L * ci * tiles.ih * tiles.iw, ty0, ty1, scratch, eo);
                tiles.transformInput(scratch, eo, ty1 - ty0, ci, v, tmp);
            }
            tiles.multiply(u, uOff, scratch, v, mb, count);
            for (int mo = 0; mo < tiles.m; mo++) {
                float bv = bias == null ? 0f : bias.get(F, 4L * mo);
                long plane = yOff + 4L * mo * tiles.oh * tiles.ow;
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) {
                        outputTiles(scratch, mb + 4L * ((long) mo * count + ly * tw + tx), bv, y, plane, ty0 + ly, tx, tmp);
                    }
                    if (after != null) applyAfter(y, plane, ty0 + ly);
                }
            }
        }
    }

    /**
     * The input rows of tile rows {@code [ty0, ty1)} of one channel, zero padded, split into even
     * ({@code E}) and odd ({@code O}) columns: tile {@code tx} reads {@code E[tx], O[tx], E[tx+1],
     * O[tx+1]} of its four rows, each a vector load over consecutive tiles.
     */
    private void splitColumns(MemorySegment x, long plane, int ty0, int ty1, MemorySegment eo, long at) {
        JavaKernelsSpecies zero = JavaKernelsSpecies.of(species);
        int rows = 2 * (ty1 - ty0) + 2;
        int ih = tiles.ih, iw = tiles.iw, padLeft = tiles.padLeft, es = tiles.es;
        int end = Math.min(iw, 2 * tiles.tw + 2 - padLeft); // input columns that land in the padded row
        int evenFrom = padLeft & 1;                         // first input column at an even padded column
        for (int lr = 0; lr < rows; lr++) {
            int iy = 2 * ty0 - tiles.padTop + lr;
            long e = at + 8L * lr * es, o = e + 4L * es;
            zero.zeroFloats(eo, e, 2L * es);
            if (iy < 0 || iy >= ih) continue;
            long row = plane + 4L * iy * iw;
            // no bounds tests inside these loops: with them C2 deoptimized the method again and again
            for (int ix = evenFrom; ix < end; ix += 2) eo.set(F, e + 2L * (ix + padLeft), x.get(F, row + 4L * ix));
            for (int ix = 1 - evenFrom; ix < end; ix += 2) eo.set(F, o + 2L * (ix + padLeft - 1), x.get(F, row + 4L * ix));
        }
    }

    /**
     * {@code A^T M A} + bias (clamped when a Relu/Clip is fused) of tiles {@code tx .. tx+lanes} of
     * tile row {@code ty}: the two output rows, their even and odd columns interleaved. The rows of
     * {@code M A} pass through {@code tmp} ({@link WinogradTiles#productRows}).
     */
    private void outputTiles(MemorySegment mb, long at, float bias, MemorySegment y, long plane, int ty, int tx, long tmp) {
        tiles.productRows(mb, at, tmp);
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = tiles.lanes, oh = tiles.oh, ow = tiles.ow;
        long vec = 4L * lanes;
        int count = Math.min(2 * lanes, ow - 2 * tx);
        VectorMask<Float> k0 = s.indexInRange(0, count), k1 = s.indexInRange(lanes, count);
        FloatVector lo = FloatVector.fromArray(s, tiles.interleaveLo, 0), hi = FloatVector.fromArray(s, tiles.interleaveHi, 0);
        long row = plane + 4L * ((long) 2 * ty * ow + 2 * tx);
        // output row a: rows 0 + 1 + 2 of M A (a = 0) or 1 - 2 - 3 (a = 1), their two columns interleaved
        for (int a = 0; a < 2 && 2 * ty + a < oh; a++) {
            long t = tmp + 2 * vec * a;
            FloatVector q0 = FloatVector.fromMemorySegment(s, mb, t, LE);
            FloatVector q1 = FloatVector.fromMemorySegment(s, mb, t + vec, LE);
            FloatVector q2 = FloatVector.fromMemorySegment(s, mb, t + 2 * vec, LE);
            FloatVector q3 = FloatVector.fromMemorySegment(s, mb, t + 3 * vec, LE);
            FloatVector q4 = FloatVector.fromMemorySegment(s, mb, t + 4 * vec, LE);
            FloatVector q5 = FloatVector.fromMemorySegment(s, mb, t + 5 * vec, LE);
            FloatVector y0, y1;
            if (a == 0) {
                y0 = q0.add(q2).add(q4).add(bias);
                y1 = q1.add(q3).add(q5).add(bias);
            } else { // q0..q5 are rows 1, 2, 3 here
                y0 = q0.sub(q2).sub(q4).add(bias);
                y1 = q1.sub(q3).sub(q5).add(bias);
            }
            if (clamp) {
                y0 = y0.max(clampLo).min(clampHi);
                y1 = y1.max(clampLo).min(clampHi);
            }
            lo.selectFrom(y0, y1).intoMemorySegment(y, row + 4L * a * ow, LE, k0);
            hi.selectFrom(y0, y1).intoMemorySegment(y, row + 4L * a * ow + vec, LE, k1);
        }
    }

    private void applyAfter(MemorySegment y, long plane, int ty) {
        int ow = tiles.ow;
        after.apply(y, plane + 4L * 2 * ty * ow, ow);
        if (2 * ty + 1 < tiles.oh) after.apply(y, plane + 4L * (2 * ty + 1) * ow, ow);
    }

    @Override
    public String toString() {
        return "F32Winograd(F(2x2,3x3), " + tiles.rowsPerBlock + " tile rows per block) " + spec;
    }
}
