package dev.edgerun.runtime.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * What {@link F32Winograd} and {@link Q8Winograd} share of Winograd F(2x2, 3x3) in float: the
 * tiling of one convolution (2x2 output tiles, blocks of tile rows, a thread's buffers in scratch),
 * the weight transform {@code U = G g G^T} packed as the 16 GEMM A operands, the input transform
 * {@code B^T d B} from input rows split into even and odd columns, the 16 GEMMs
 * {@code M_xi = U_xi . V_xi}, and the first step of the output transform ({@code M A}). The
 * kernels keep what differs: how they read their input into the split rows, and what they do with
 * {@code A^T (M A)} (float: bias, clamp, output; 8-bit: rounding, requantization).
 *
 * <p>A thread's buffers ({@link #bufferBytes}), in this order: the transformed input of a block
 * ({@code V}, 16 packed B operands, {@link #vBytes}), its 16 products ({@code M}, {@link #mBytes}),
 * the split input rows of one channel ({@link #eoBytes}) and 16 vectors between the two steps of
 * a transform ({@link #tmpBytes}). Vectors never cross these methods' boundaries:
 * they take segments, offsets and scalars, so that a call the JIT does not inline boxes nothing.
 */
final class WinogradTiles {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The 16 elements of a transformed 4x4 tile: 16 GEMMs, {@code xi = 4 * row + column}. */
    static final int XI = 16;
    /** Threads' buffer sets in scratch: a block range per thread up to this many threads. */
    static final int MAX_CHUNKS = 4;
    /** Transformed input (or products) of one block: about half of L2 (1 MiB per core here). */
    static final long BLOCK_BYTES = 512 << 10;

    final F32Gemm gemm;
    final VectorSpecies<Float> species;
    final int batch, c, m, ih, iw, oh, ow, padTop, padLeft;
    /** Tile rows and tile columns: a tile is 2x2 outputs. */
    final int th, tw;
    /** Vector lanes; the GEMM's panel width; floats per split row (E or O), with room for loads at tx + 1. */
    final int lanes, nr, es;
    final int rowsPerBlock;
    /** Bytes of: one packed U_xi, one packed V_xi, one M_xi, all V, all M, the split rows, the 16 vectors. */
    final long uBytes, vXiBytes, mXiBytes, vBytes, mBytes, eoBytes, tmpBytes;
    /** A thread's buffers (see the class comment); a kernel may put its own after them. */
    final long bufferBytes;
    /**
     * Indexes for {@code selectFrom} that interleave a tile row's even ({@code y0}) and odd
     * ({@code y1}) output columns: {@code lo.selectFrom(y0, y1)} gives the first {@code lanes}
     * outputs, {@code hi.selectFrom(y0, y1)} the next (the kernels load them as vectors themselves).
     */
    final float[] interleaveLo, interleaveHi;

    /** The tiling of {@code geometry} (a 3x3 stride-1 2-D convolution; the kernels check) for {@code gemm}. */
    WinogradTiles(KernelProvider.ConvSpec geometry, F32Gemm gemm) {
        this.gemm = gemm;
        species = gemm.species();
        batch = (int) geometry.inputShape()[0];
        c = (int) geometry.inputShape()[1];
        m = (int) geometry.weightShape()[0];
        ih = (int) geometry.inputShape()[2];
        iw = (int) geometry.inputShape()[3];
        oh = (int) geometry.outputShape()[2];
        ow = (int) geometry.outputShape()[3];
        padTop = geometry.padsBegin()[0];
        padLeft = geometry.padsBegin()[1];
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
        tmpBytes = roundUp64(4L * XI * lanes);
        bufferBytes = vBytes + mBytes + eoBytes + tmpBytes;
        interleaveLo = new float[lanes];
        interleaveHi = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            int j = i / 2 + (i % 2 == 0 ? 0 : lanes);
            interleaveLo[i] = j;
            interleaveHi[i] = j + lanes / 2;
        }
    }

    // --- splitting the tile rows over threads

    /** How many buffer sets (block ranges) a run on {@code par} uses. */
    static int chunks(Parallel par) {
        return Math.min(MAX_CHUNKS, Math.max(1, par.threads()));
    }

    /** How many blocks of tile rows an image is cut into for {@code chunks} ranges (a multiple of it where the rows allow). */
    int blocks(int chunks) {
        return Math.min(roundUp(ceilDiv(th, rowsPerBlock), chunks), th);
    }

    /** The first tile row of block {@code blk} of {@code blocks} (block {@code blocks} gives the end). */
    int firstTileRow(int blk, int blocks) {
        return (int) ((long) blk * th / blocks);
    }

    // --- the weight transform

    /** The 16 packed U operands of float weights {@code w} ([m][c][3][3]) in memory of their own. */
    MemorySegment packWeights(MemorySegment w) {
        MemorySegment packed = F32Gemm.allocatePacked(XI * uBytes);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment u = temp.allocate(4L * XI * m * c, 64);
            transformWeights(w, u, 0, packed, 0);
        }
        return packed;
    }

    /** {@code U_xi[mo][ci] = (G g G^T)[xi]} into {@code u} ([16][m][c] floats), then packed as 16 A operands. */
    void transformWeights(MemorySegment w, MemorySegment u, long uOff, MemorySegment dst, long dstOff) {
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

    // --- a block: input transform, GEMMs, first output step

    /**
     * {@code B^T d B} of every tile of the block's {@code tileRows} tile rows, channel {@code ci},
     * from the split rows at {@code eo} (the kernel's {@code splitColumns}: {@code E} and {@code O},
     * {@link #es} floats each, per input row) into row {@code ci} of the 16 packed B operands at {@code v}.
     */
    void transformInput(MemorySegment scratch, long eo, int tileRows, int ci, long v, long tmp) {
        for (int ly = 0; ly < tileRows; ly++) {
            for (int tx = 0; tx < tw; tx += lanes) inputTiles(scratch, eo, ly, tx, ci, scratch, v, tmp);
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

    /** The 16 GEMMs {@code M_xi[m, tiles] = U_xi . V_xi} of a block of {@code tiles} tiles, serial (threads split the blocks). */
    void multiply(MemorySegment u, long uOff, MemorySegment scratch, long v, long mb, int tiles) {
        for (int xi = 0; xi < XI; xi++) {
            gemm.multiply(m, tiles, c, u, uOff + xi * uBytes, scratch, v + xi * vXiBytes,
                    scratch, mb + xi * mXiBytes, tiles, 1f, false, null, Parallel.SERIAL);
        }
    }

    /**
     * The first step of the output transform, {@code M A}, of tiles {@code tx .. tx+lanes} (their
     * products from {@code at}) into {@code tmp}: 8 vectors, row {@code i}'s two columns at
     * {@code tmp + 2 * i} and {@code tmp + 2 * i + 1} vectors. The kernels' {@code outputTiles}
     * load them for {@code A^T (M A)} (one method doing both steps in registers risks C1's limit,
     * as {@link #inputTiles} explains).
     */
    void productRows(MemorySegment mb, long at, long tmp) {
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
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int b) {
        return ceilDiv(a, b) * b;
    }

    static long roundUp64(long bytes) {
        return (bytes + 63) & ~63L;
    }
}
