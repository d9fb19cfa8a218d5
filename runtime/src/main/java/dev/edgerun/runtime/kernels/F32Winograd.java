package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
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
 * own buffers.
 */
public final class F32Winograd implements KernelProvider.ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int XI = 16;
    /** Threads' buffer sets in scratch: a block range per thread up to this many threads. */
    static final int MAX_CHUNKS = 4;
    /** Transformed input (or products) of one block: about half of L2 (1 MiB per core here). */
    static final long BLOCK_BYTES = 512 << 10;
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
    private final F32Gemm gemm;
    private final VectorSpecies<Float> species;
    private final int batch, c, m, ih, iw, oh, ow, padTop, padLeft, th, tw;
    private final int lanes, nr, es, rowsPerBlock;
    private final long uBytes, vXiBytes, mXiBytes, vBytes, mBytes, eoBytes, chunkBytes;
    private final MemorySegment packedU; // 16 packed A [m x c]; null: transformed per run into scratch
    private final float[] interleaveLo, interleaveHi;
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
        this.gemm = gemm;
        this.species = gemm.species();
        if (species == null || species.length() < 4 || spec.spatialRank() != 2 || spec.group() != 1
                || spec.weightShape()[2] != 3 || spec.weightShape()[3] != 3) {
            throw new IllegalArgumentException("F32Winograd needs a 3x3 2-D convolution with vectors of 4+ lanes, got " + spec);
        }
        batch = (int) spec.inputShape()[0];
        c = (int) spec.inputShape()[1];
        m = (int) spec.weightShape()[0];
        ih = (int) spec.inputShape()[2];
        iw = (int) spec.inputShape()[3];
        oh = (int) spec.outputShape()[2];
        ow = (int) spec.outputShape()[3];
        padTop = spec.padsBegin()[0];
        padLeft = spec.padsBegin()[1];
        th = (oh + 1) / 2;
        tw = (ow + 1) / 2;
        lanes = species.length();
        nr = gemm.nr();
        es = roundUp(tw, lanes) + lanes; // tile loads at tx .. tx + lanes stay inside a row
        long rowBytes = 4L * XI * tw * Math.max(c, m);
        rowsPerBlock = (int) Math.max(1, Math.min(th, BLOCK_BYTES / rowBytes));
        int tilesMax = rowsPerBlock * tw;
        uBytes = 4 * F32Gemm.packedASize(m, c);
        vXiBytes = 4 * gemm.packedBSize(c, tilesMax);
        mXiBytes = 4L * m * tilesMax;
        vBytes = roundUp64(XI * vXiBytes);
        mBytes = roundUp64(XI * mXiBytes + 4L * lanes); // tail loads of a tile row may read past the last
        eoBytes = roundUp64(4L * 2 * es * (2 * rowsPerBlock + 2));
        chunkBytes = vBytes + mBytes + eoBytes + 4L * XI * lanes; // + 16 vectors between transform steps
        interleaveLo = new float[lanes];
        interleaveHi = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            int j = i / 2 + (i % 2 == 0 ? 0 : lanes);
            interleaveLo[i] = j;
            interleaveHi[i] = j + lanes / 2;
        }
        ActivationEpilogue cl = ActivationEpilogue.clampOf(spec.epilogue());
        clamp = cl != null;
        clampLo = clamp ? cl.clampLow() : Float.NEGATIVE_INFINITY;
        clampHi = clamp ? cl.clampHigh() : Float.POSITIVE_INFINITY;
        after = clamp ? null : spec.epilogue();
        if (spec.constantWeight() != null) {
            packedU = F32Gemm.allocatePacked(XI * uBytes);
            try (Arena temp = Arena.ofConfined()) {
                MemorySegment u = temp.allocate(4L * XI * m * c, 64);
                transformWeights(spec.constantWeight().data(), u, 0, packedU, 0);
            }
        } else {
            packedU = null;
        }
    }

    @Override
    public long scratchBytes() {
        return MAX_CHUNKS * chunkBytes + (packedU == null ? XI * uBytes + 4L * XI * m * c : 0);
    }

    /** {@code U_xi[mo][ci] = (G g G^T)[xi]} into {@code u} ([16][m][c] floats), then packed as 16 A operands. */
    private void transformWeights(MemorySegment w, MemorySegment u, long uOff, MemorySegment dst, long dstOff) {
        for (int mo = 0; mo < m; mo++) {
            for (int ci = 0; ci < c; ci++) {
                long g = 4L * 9 * ((long) mo * c + ci);
                for (int i = 0; i < 4; i++) {
                    float h0 = gRow(w, g, i, 0), h1 = gRow(w, g, i, 1), h2 = gRow(w, g, i, 2);
                    float[] row = {h0, 0.5f * (h0 + h1 + h2), 0.5f * (h0 - h1 + h2), h2};
                    for (int j = 0; j < 4; j++) {
                        u.set(F, uOff + 4L * (((long) (i * 4 + j) * m + mo) * c + ci), row[j]);
                    }
                }
            }
        }
        for (int xi = 0; xi < XI; xi++) {
            F32Gemm.packA(u, uOff + 4L * xi * m * c, c, 1, m, c, dst, dstOff + xi * uBytes);
        }
    }

    /** Row {@code i} of {@code G g} (4x3), column {@code b}: G's rows are g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2. */
    private static float gRow(MemorySegment w, long g, int i, int b) {
        float g0 = w.get(F, g + 4L * b), g1 = w.get(F, g + 4L * (3 + b)), g2 = w.get(F, g + 4L * (6 + b));
        return switch (i) {
            case 0 -> g0;
            case 1 -> 0.5f * (g0 + g1 + g2);
            case 2 -> 0.5f * (g0 - g1 + g2);
            default -> g2;
        };
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        MemorySegment u = packedU;
        if (u == null) {
            long at = MAX_CHUNKS * chunkBytes;
            transformWeights(w, scratch, at + XI * uBytes, scratch, at);
            u = scratch;
        }
        long uOff = packedU == null ? MAX_CHUNKS * chunkBytes : 0;
        MemorySegment b = bias != null && bias.byteSize() > 0 ? bias : null;
        int chunks = Math.min(MAX_CHUNKS, Math.max(1, par.threads()));
        int blocks = roundUp(ceilDiv(th, rowsPerBlock), chunks);
        blocks = Math.min(blocks, th);
        int ch = Math.min(chunks, blocks);
        for (int n = 0; n < batch; n++) {
            long xOff = 4L * n * c * ih * iw, yOff = 4L * n * m * oh * ow;
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
        long v = chunk * chunkBytes, mb = v + vBytes, eo = mb + mBytes, tmp = eo + eoBytes;
        for (int blk = b0; blk < b1; blk++) {
            int ty0 = (int) ((long) blk * th / blocks), ty1 = (int) ((long) (blk + 1) * th / blocks);
            int tiles = (ty1 - ty0) * tw;
            for (int ci = 0; ci < c; ci++) {
                splitColumns(x, xOff + 4L * ci * ih * iw, ty0, ty1, scratch, eo);
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) inputTiles(scratch, eo, ly, tx, ci, scratch, v, tmp);
                }
            }
            for (int xi = 0; xi < XI; xi++) {
                gemm.multiply(m, tiles, c, u, uOff + xi * uBytes, scratch, v + xi * vXiBytes,
                        scratch, mb + xi * mXiBytes, tiles, 1f, false, null, Parallel.SERIAL);
            }
            for (int mo = 0; mo < m; mo++) {
                float bv = bias == null ? 0f : bias.get(F, 4L * mo);
                long plane = yOff + 4L * mo * oh * ow;
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) {
                        outputTiles(scratch, mb + 4L * ((long) mo * tiles + ly * tw + tx), bv, y, plane, ty0 + ly, tx, tmp);
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
        int end = Math.min(iw, 2 * tw + 2 - padLeft); // input columns that land in the padded row
        int evenFrom = padLeft & 1;                   // first input column at an even padded column
        for (int lr = 0; lr < rows; lr++) {
            int iy = 2 * ty0 - padTop + lr;
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
     * {@code B^T d B} of tiles {@code tx .. tx+lanes} of local tile row {@code ly}, channel
     * {@code ci}, into row {@code ci} of the 16 packed B operands (column = tile index in the
     * block). Where the tiles cross into the next B panel the vector is stored in two masked parts.
     * The rows of {@code d B} pass through {@code tmp} (16 vectors, in L1): one method doing both
     * steps in registers was too large for C1 ("out of virtual registers") and ran interpreted,
     * boxing every vector, for seconds.
     */
    private void inputTiles(MemorySegment eo, long at, int ly, int tx, int ci, MemorySegment vb, long v, long tmp) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        long vec = 4L * lanes;
        // rows of d B: d0 - d2, d1 + d2, d2 - d1, d1 - d3 (d0 = E[tx], d1 = O[tx], d2 = E[tx+1], d3 = O[tx+1])
        for (int r = 0; r < 4; r++) {
            long e = at + 8L * (2 * ly + r) * es + 4L * tx, o = e + 4L * es;
            FloatVector d0 = FloatVector.fromMemorySegment(s, eo, e, LE);
            FloatVector d1 = FloatVector.fromMemorySegment(s, eo, o, LE);
            FloatVector d2 = FloatVector.fromMemorySegment(s, eo, e + 4, LE);
            FloatVector d3 = FloatVector.fromMemorySegment(s, eo, o + 4, LE);
            long t = tmp + 4 * vec * r;
            d0.sub(d2).intoMemorySegment(eo, t, LE);
            d1.add(d2).intoMemorySegment(eo, t + vec, LE);
            d2.sub(d1).intoMemorySegment(eo, t + 2 * vec, LE);
            d1.sub(d3).intoMemorySegment(eo, t + 3 * vec, LE);
        }
        int count = Math.min(lanes, tw - tx);
        int col = ly * tw + tx;
        int lane = col % nr, first = Math.min(count, nr - lane);
        long at1 = v + 4L * ((long) (col / nr) * nr * c + (long) ci * nr + lane);
        long at2 = first < count ? v + 4L * ((long) (col / nr + 1) * nr * c + (long) ci * nr) - 4L * first : at1;
        VectorMask<Float> m1 = s.indexInRange(0, first);
        VectorMask<Float> m2 = s.indexInRange(0, count).andNot(m1); // not indexInRange(-first, ..): a negative offset allocated a mask per call
        // columns of B^T (d B), rows w0..w3 -> w0 - w2, w1 + w2, w2 - w1, w1 - w3; xi = 4 * row + column
        for (int j = 0; j < 4; j++) {
            long t = tmp + vec * j;
            FloatVector w0 = FloatVector.fromMemorySegment(s, eo, t, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(s, eo, t + 4 * vec, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(s, eo, t + 8 * vec, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(s, eo, t + 12 * vec, LE);
            long o1 = at1 + j * vXiBytes, o2 = at2 + j * vXiBytes, x4 = 4 * vXiBytes;
            FloatVector r = w0.sub(w2);
            r.intoMemorySegment(vb, o1, LE, m1);
            r.intoMemorySegment(vb, o2, LE, m2);
            r = w1.add(w2);
            r.intoMemorySegment(vb, o1 + x4, LE, m1);
            r.intoMemorySegment(vb, o2 + x4, LE, m2);
            r = w2.sub(w1);
            r.intoMemorySegment(vb, o1 + 2 * x4, LE, m1);
            r.intoMemorySegment(vb, o2 + 2 * x4, LE, m2);
            r = w1.sub(w3);
            r.intoMemorySegment(vb, o1 + 3 * x4, LE, m1);
            r.intoMemorySegment(vb, o2 + 3 * x4, LE, m2);
        }
    }

    /**
     * {@code A^T M A} + bias (clamped when a Relu/Clip is fused) of tiles {@code tx .. tx+lanes} of
     * tile row {@code ty}: the two output rows, their even and odd columns interleaved. The rows of
     * {@code M A} pass through {@code tmp}, as in {@link #inputTiles}.
     */
    private void outputTiles(MemorySegment mb, long at, float bias, MemorySegment y, long plane, int ty, int tx, long tmp) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        long vec = 4L * lanes;
        // rows i of M A: M_i0 + M_i1 + M_i2, M_i1 - M_i2 - M_i3
        for (int i = 0; i < 4; i++) {
            long p = at + 4 * i * mXiBytes;
            FloatVector p0 = FloatVector.fromMemorySegment(s, mb, p, LE);
            FloatVector p1 = FloatVector.fromMemorySegment(s, mb, p + mXiBytes, LE);
            FloatVector p2 = FloatVector.fromMemorySegment(s, mb, p + 2 * mXiBytes, LE);
            FloatVector p3 = FloatVector.fromMemorySegment(s, mb, p + 3 * mXiBytes, LE);
            p0.add(p1).add(p2).intoMemorySegment(mb, tmp + 2 * vec * i, LE);
            p1.sub(p2).sub(p3).intoMemorySegment(mb, tmp + 2 * vec * i + vec, LE);
        }
        int count = Math.min(2 * lanes, ow - 2 * tx);
        VectorMask<Float> k0 = s.indexInRange(0, count), k1 = s.indexInRange(lanes, count);
        FloatVector lo = FloatVector.fromArray(s, interleaveLo, 0), hi = FloatVector.fromArray(s, interleaveHi, 0);
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
        after.apply(y, plane + 4L * 2 * ty * ow, ow);
        if (2 * ty + 1 < oh) after.apply(y, plane + 4L * (2 * ty + 1) * ow, ow);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    private static long roundUp64(long bytes) {
        return (bytes + 63) & ~63L;
    }

    @Override
    public String toString() {
        return "F32Winograd(F(2x2,3x3), " + rowsPerBlock + " tile rows per block) " + spec;
    }
}
