package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit 3x3 stride-1 convolution by Winograd F(4x4, 3x3) in float arithmetic: each 4x4 output
 * tile is {@code A^T [(G g G^T) . (B^T d B)] A} over its 6x6 input patch, 36 GEMMs
 * {@code M_xi = U_xi . V_xi} through {@link F32Gemm} with 4x fewer multiply-adds than the direct
 * convolution ({@link Q8Winograd}'s F(2x2, 3x3): 2.25x). Float convolutions keep F(2x2), whose
 * transforms stay accurate for any input; here the inputs are integers, so:
 * <ul>
 *   <li>the weights are transformed with {@code 24 G} ({@code U = 576 G g G^T}: integers below
 *       2^17, exact in float), and the output transform divides by 576;</li>
 *   <li>the input transform {@code B^T d B} of integers {@code x - zx} gives integers below 2^15;</li>
 *   <li>each output sum is rounded to the nearest integer and requantized into bytes by
 *       {@link Q8Quantize#requantize} (int32 bias, per channel multiplier, fused Relu/Clip), as
 *       {@link Q8Winograd} does.</li>
 * </ul>
 * Not bit-exact: the GEMM sums of those larger integers round in float32 once beyond 2^24, and an
 * integer sum off by one moves an output by one step where it lies next to a rounding boundary
 * ({@code Q8Winograd4x4Test} counts them against exact int32 arithmetic; all within one step).
 *
 * <p>As in {@link WinogradTiles}, the planes are processed a block of tile rows at a time and the
 * transforms work on vectors of consecutive tiles of one tile row: each input row of a block is
 * split into its four column phases ({@code P_k[t] = x[4t + k]}, so that patch column {@code j}
 * of tiles {@code tx..} is the vector at {@code P_(j mod 4)[tx + j / 4]}), and the four output
 * columns of a tile row are interleaved back with two rounds of {@code selectFrom}. Where two or
 * more tile rows fit in a vector (28x28 planes: 7 tiles a row), a vector holds that many rows.
 * Gathering the patches over tiles numbered across rows instead took 1.5-2.1 ms on ResNet-18's
 * 56x56 layers against Q8Winograd's 1.2 ms. The split rows are per thread
 * ({@link #PHASES}); V, M and the float output rows are in scratch. The packed transformed weights
 * take 36/16 of {@link Q8Winograd}'s (ResNet-18's layer1 and layer2: 9.0 MiB against 4.0).
 * {@code -Dedgerun.java.q8winograd4x4=off} leaves these layers to {@link Q8Winograd}.
 */
final class Q8Winograd4x4 implements KernelProvider.Q8ConvKernel {
    /** The 36 elements of a transformed 6x6 patch: 36 GEMMs, {@code xi = 6 * row + column}. */
    static final int XI = 36;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** 576 = 24^2: the integer transform {@code 24 G} on both sides of the weights. */
    private static final float UNSCALE = 1f / 576f;
    /** Below this magnitude adding and subtracting {@link Q8Lanes#MAGIC} rounds a float half to even. */
    private static final float ROUNDABLE = 1 << 22;
    /** Transformed input (or products) of one block: about half of L2 (1 MiB per core here). */
    private static final long BLOCK_BYTES = 512 << 10;
    /**
     * Smallest output plane side this kernel is chosen for. Not measured below: ResNet-18's 14x14
     * layers have 16 tiles, half a 32-column GEMM panel (and at 2 threads two blocks of 8), where
     * F(2x2) has 49 tiles in panels two-thirds full or more.
     */
    static final int MIN_SIDE = 28;
    /** Rows of {@code 24 G} (6x3): G of F(4x4, 3x3) times 24. */
    private static final int[][] G24 = {{6, 0, 0}, {-4, -4, -4}, {-4, 4, -4}, {1, 2, 4}, {1, -2, 4}, {0, 0, 24}};

    private final KernelProvider.Q8ConvSpec spec;
    private final F32Gemm gemm;
    private final VectorSpecies<Float> species;
    private final int lanes, nr;
    private final int batch, c, m, ih, iw, oh, ow, padTop, padLeft;
    /** Tile rows and columns; floats per column phase of a split row (room for loads at tx + 1); floats per output row buffer. */
    private final int th, tw, es, rowFloats;
    private final int rowsPerBlock;
    /**
     * Tile rows a vector of tiles holds: {@code lanes / tw} where two or more fit (ResNet-18's
     * 28x28 planes: 7 tiles a row, two rows), else 1.
     */
    private final int stack;
    private final long uBytes, vXiBytes, mXiBytes, vBytes, mBytes, outBytes, chunkBytes;
    /** {@code selectFrom} indexes interleaving two vectors' lanes: the first half of each, then the second. */
    private final float[] interleaveLo, interleaveHi;
    /** {@code selectFrom} indexes taking the even (odd) lanes of two vectors. */
    private final float[] evenLanes, oddLanes;
    private final MemorySegment packedU;
    private final int[] bias;
    private final Q8WinogradBlocks split = new Q8WinogradBlocks(this::blockRange);

    /** Whether the Java kernels may use this kernel: yes unless {@code -Dedgerun.java.q8winograd4x4=off} (read at planning). */
    static boolean enabled() {
        return !"off".equals(System.getProperty("edgerun.java.q8winograd4x4"));
    }

    /**
     * Whether the Java kernels take this kernel for {@code spec}: where they take {@link Q8Winograd},
     * on output planes of at least {@link #MIN_SIDE} a side, with 512-bit vectors (the only width measured).
     */
    static boolean preferred(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        long[] y = spec.geometry().outputShape();
        return enabled() && species != null && species.vectorBitSize() == 512 && y[2] >= MIN_SIDE && y[3] >= MIN_SIDE
                && Q8Winograd.preferred(spec, species);
    }

    Q8Winograd4x4(KernelProvider.Q8ConvSpec spec, F32Gemm gemm) {
        KernelProvider.ConvSpec g = spec.geometry();
        this.spec = spec;
        this.gemm = gemm;
        this.species = gemm.species();
        long[] w = g.weightShape();
        if (species == null || species.length() < 4 || g.spatialRank() != 2 || g.group() != 1 || w[2] != 3 || w[3] != 3
                || g.strides()[0] != 1 || g.strides()[1] != 1 || g.dilations()[0] != 1 || g.dilations()[1] != 1
                || g.constantWeight() == null || g.constantWeight().dtype() != DType.INT8) {
            throw new IllegalArgumentException("Q8Winograd4x4 needs a 3x3 stride-1 2-D convolution with constant int8"
                    + " weights and vectors of 4+ lanes, got " + spec + " with " + species);
        }
        lanes = species.length();
        nr = gemm.nr();
        batch = (int) g.inputShape()[0];
        c = (int) g.inputShape()[1];
        m = (int) w[0];
        ih = (int) g.inputShape()[2];
        iw = (int) g.inputShape()[3];
        oh = (int) g.outputShape()[2];
        ow = (int) g.outputShape()[3];
        padTop = g.padsBegin()[0];
        padLeft = g.padsBegin()[1];
        th = (oh + 3) / 4;
        tw = (ow + 3) / 4;
        es = roundUp(tw, lanes) + lanes;
        rowFloats = 4 * roundUp(tw, lanes);
        stack = 2 * tw <= lanes ? lanes / tw : 1;
        rowsPerBlock = rowsPerBlock((int) Math.max(1, Math.min(th, BLOCK_BYTES / (4L * XI * tw * Math.max(c, m)))));
        int tilesMax = rowsPerBlock * tw;
        uBytes = 4 * F32Gemm.packedASize(m, c);
        vXiBytes = 4 * gemm.packedBSize(c, tilesMax);
        mXiBytes = 4L * m * tilesMax;
        vBytes = roundUp64(XI * vXiBytes);
        mBytes = roundUp64(XI * mXiBytes + 4L * lanes); // a tile row's last vector may read past the block's last tile
        outBytes = roundUp64(4L * 4 * rowFloats);
        chunkBytes = vBytes + mBytes + outBytes;
        interleaveLo = new float[lanes];
        interleaveHi = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            int j = i / 2 + (i % 2 == 0 ? 0 : lanes);
            interleaveLo[i] = j;
            interleaveHi[i] = j + lanes / 2;
        }
        evenLanes = new float[lanes];
        oddLanes = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            evenLanes[i] = 2 * i;
            oddLanes[i] = 2 * i + 1;
        }
        bias = new int[m];
        if (spec.bias() != null) System.arraycopy(spec.bias(), 0, bias, 0, m);
        packedU = packWeights(g.constantWeight().data());
    }

    /**
     * Tile rows per block, at most {@code most}: the count whose tiles fill the GEMM's column panels
     * best (the fewest rows among equals: V and M of a block then stay in L2).
     */
    private int rowsPerBlock(int most) {
        int best = 1;
        double bestFill = 0;
        for (int r = 1; r <= most; r++) {
            double fill = (double) (r * tw) / roundUp(r * tw, nr);
            if (fill > bestFill + 1e-9) {
                best = r;
                bestFill = fill;
            }
        }
        return best;
    }

    // --- the weight transform

    /** {@code U_xi = (24 G) g (24 G)^T} of every (output, input) channel pair, packed as 36 GEMM A operands. */
    private MemorySegment packWeights(MemorySegment int8) {
        MemorySegment packed = F32Gemm.allocatePacked(XI * uBytes);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment u = temp.allocate(4L * XI * m * c, 64);
            int[] gk = new int[9];
            for (int mo = 0; mo < m; mo++) {
                for (int ci = 0; ci < c; ci++) {
                    long at = 9L * ((long) mo * c + ci);
                    for (int k = 0; k < 9; k++) gk[k] = int8.get(ValueLayout.JAVA_BYTE, at + k);
                    for (int xi = 0; xi < XI; xi++) {
                        u.setAtIndex(ValueLayout.JAVA_FLOAT, ((long) xi * m + mo) * c + ci, transformed(gk, xi / 6, xi % 6));
                    }
                }
            }
            for (int xi = 0; xi < XI; xi++) F32Gemm.packA(u, 4L * xi * m * c, c, 1, m, c, packed, xi * uBytes);
        }
        return packed;
    }

    /** Element (i, j) of {@code (24 G) g (24 G)^T}: an integer below 2^17 in magnitude. */
    private static float transformed(int[] g, int i, int j) {
        int sum = 0;
        for (int k = 0; k < 3; k++) {
            for (int l = 0; l < 3; l++) sum += G24[i][k] * g[3 * k + l] * G24[j][l];
        }
        return sum;
    }

    @Override
    public long scratchBytes() {
        return WinogradTiles.MAX_CHUNKS * chunkBytes;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int chunks = WinogradTiles.chunks(par);
        int blocks = Math.min(roundUp(ceilDiv(th, rowsPerBlock), chunks), th);
        for (int n = 0; n < batch; n++) {
            long xOff = (long) n * c * ih * iw, yOff = (long) n * m * oh * ow;
            split.image(chunks, blocks, x, xOff, y, yOff, scratch, par);
        }
    }

    private void blockRange(int b0, int b1, int chunk, int blocks, MemorySegment x, long xOff, MemorySegment y,
                            long yOff, MemorySegment scratch) {
        long v = chunk * chunkBytes, mb = v + vBytes, out = mb + mBytes;
        float[] phases = phases();
        for (int blk = b0; blk < b1; blk++) {
            int ty0 = (int) ((long) blk * th / blocks), ty1 = (int) ((long) (blk + 1) * th / blocks);
            int count = (ty1 - ty0) * tw;
            for (int ci = 0; ci < c; ci++) {
                splitRows(x, xOff + (long) ci * ih * iw, ty0, ty1, phases);
                for (int ly = 0; ly < ty1 - ty0; ly += stack) {
                    int rows = Math.min(stack, ty1 - ty0 - ly);
                    for (int tx = 0; tx < tw; tx += lanes) inputTiles(phases, ly, tx, rows, ci, scratch, v);
                }
            }
            for (int xi = 0; xi < XI; xi++) {
                gemm.multiply(m, count, c, packedU, xi * uBytes, scratch, v + xi * vXiBytes,
                        scratch, mb + xi * mXiBytes, count, 1f, false, null, Parallel.SERIAL);
            }
            for (int mo = 0; mo < m; mo++) {
                long plane = yOff + (long) mo * oh * ow;
                for (int ly = 0; ly < ty1 - ty0; ly += stack) {
                    for (int tx = 0; tx < tw; tx += lanes) {
                        outputTiles(scratch, mb + 4L * ((long) mo * count + ly * tw + tx), out + 16L * tx, phases);
                    }
                    for (int q = 0; q < stack && ly + q < ty1 - ty0; q++) {
                        requantizeRows(scratch, out + 16L * q * tw, y, plane, ty0 + ly + q, mo);
                    }
                }
            }
        }
    }

    /**
     * Padded input rows {@code 4 ty0 .. 4 ty1 + 2} of one channel as floats {@code x - zx} (zero on
     * the padding), each split into its four column phases: padded column {@code 4t + k} at
     * {@code phases[(4 r + k) es + t]}.
     */
    private void splitRows(MemorySegment x, long plane, int ty0, int ty1, float[] phases) {
        int rows = 4 * (ty1 - ty0) + 2;
        int zx = spec.xZeroPoint();
        boolean signed = spec.xSigned();
        int from = Math.max(0, padLeft), to = Math.min(4 * tw + 2, iw + padLeft); // padded columns that hold input
        for (int r = 0; r < rows; r++) {
            int iy = 4 * ty0 + r - padTop, at = 4 * r * es;
            Arrays.fill(phases, at, at + 4 * es, 0f);
            if (iy < 0 || iy >= ih) continue;
            long src = plane + (long) iy * iw - padLeft;
            if (lanes == 16) {
                splitRow16(x, src, from, to, signed, zx, phases, at);
                continue;
            }
            for (int p = from; p < to; p++) {
                int b = x.get(ValueLayout.JAVA_BYTE, src + p);
                phases[at + (p & 3) * es + (p >> 2)] = (signed ? b : b & 0xff) - zx;
            }
        }
    }

    /**
     * One padded row (512-bit vectors): widened into the float row after the transform vectors,
     * then its columns split four ways by two rounds of {@code selectFrom} (even, odd lanes).
     */
    private void splitRow16(MemorySegment x, long src, int from, int to, boolean signed, int zx, float[] phases, int at) {
        int row = tmpAt() + 40 * lanes, len = 4 * roundUp(tw + 1, lanes);
        Arrays.fill(phases, row, row + len, 0f);
        int p = from;
        for (; p + 16 <= to; p += 16) widen16(x, src + p, signed, zx, phases, row + p);
        for (; p < to; p++) {
            int b = x.get(ValueLayout.JAVA_BYTE, src + p);
            phases[row + p] = (signed ? b : b & 0xff) - zx;
        }
        FloatVector even = FloatVector.fromArray(species, evenLanes, 0), odd = FloatVector.fromArray(species, oddLanes, 0);
        for (int t = 0; 4 * t < len; t += lanes) {
            int q = row + 4 * t;
            FloatVector r0 = FloatVector.fromArray(species, phases, q), r1 = FloatVector.fromArray(species, phases, q + 16);
            FloatVector r2 = FloatVector.fromArray(species, phases, q + 32), r3 = FloatVector.fromArray(species, phases, q + 48);
            FloatVector e01 = even.selectFrom(r0, r1), o01 = odd.selectFrom(r0, r1);
            FloatVector e23 = even.selectFrom(r2, r3), o23 = odd.selectFrom(r2, r3);
            even.selectFrom(e01, e23).intoArray(phases, at + t);
            even.selectFrom(o01, o23).intoArray(phases, at + es + t);
            odd.selectFrom(e01, e23).intoArray(phases, at + 2 * es + t);
            odd.selectFrom(o01, o23).intoArray(phases, at + 3 * es + t);
        }
    }

    /** 16 bytes from {@code at} as floats {@code x - zx} into {@code dst} from {@code to} (512-bit vectors). */
    private static void widen16(MemorySegment x, long at, boolean signed, int zx, float[] dst, int to) {
        ByteVector b = ByteVector.fromMemorySegment(ByteVector.SPECIES_128, x, at, LE);
        IntVector i = (IntVector) b.convertShape(signed ? VectorOperators.B2I : VectorOperators.ZERO_EXTEND_B2I,
                IntVector.SPECIES_512, 0);
        ((FloatVector) i.sub(zx).convert(VectorOperators.I2F, 0)).intoArray(dst, to);
    }

    /**
     * {@code B^T d B} of tiles {@code tx .. tx+lanes} of local tile row {@code ly}, channel
     * {@code ci}, into row {@code ci} of the 36 packed B operands (column = tile index in the
     * block; split in two masked parts where the tiles cross into the next B panel). The rows of
     * {@code d B} pass through the transform vectors. Vectors never cross a method boundary (the
     * methods take arrays, segments and offsets), so that a call the JIT does not inline boxes
     * nothing, as in {@link WinogradTiles}.
     */
    private void inputTiles(float[] phases, int ly, int tx, int rows, int ci, MemorySegment vb, long v) {
        int vec = lanes, tmp = tmpAt();
        for (int i = 0; i < 6; i++) {
            int r = 4 * (4 * ly + i) * es + tx;
            if (rows > 1) {
                int at = stackedAt();
                stackRows(phases, r, rows, at);
                inputRow(phases, at, vec, at + 4 * vec, at + 5 * vec, tmp + 6 * vec * i);
            } else {
                inputRow(phases, r, es, r + 1, r + es + 1, tmp + 6 * vec * i);
            }
        }
        int count = rows > 1 ? rows * tw : Math.min(lanes, tw - tx);
        int col = ly * tw + tx;
        int lane = col % nr, first = Math.min(count, nr - lane);
        long at1 = v + 4L * ((long) (col / nr) * nr * c + (long) ci * nr + lane);
        long at2 = first < count ? v + 4L * ((long) (col / nr + 1) * nr * c + (long) ci * nr) - 4L * first : at1;
        for (int j = 0; j < 6; j++) inputColumn(phases, tmp + vec * j, vb, at1 + j * vXiBytes, at2 + j * vXiBytes, first, count);
    }

    /**
     * Patch row {@code i} of {@code rows} stacked tile rows (tile row {@code ly + q} in lanes
     * {@code [q tw, (q + 1) tw)}): its six vectors {@code x_j} into six consecutive vectors from
     * {@code to}. The patch row of tile row {@code ly} is at split-row offset {@code r}, the next
     * tile row's 16 split rows further.
     */
    private void stackRows(float[] phases, int r, int rows, int to) {
        for (int j = 0; j < 6; j++) {
            int from = r + (j < 4 ? j * es : (j - 4) * es + 1);
            FloatVector x = FloatVector.fromArray(species, phases, from);
            for (int q = 1; q < rows; q++) {
                x = x.blend(FloatVector.fromArray(species, phases, from + 16 * q * es - q * tw),
                        species.indexInRange(0, q * tw).not());
            }
            x.intoArray(phases, to + j * lanes);
        }
    }

    /**
     * Row {@code B^T x} of one patch row into six vectors from {@code to}: {@code x_0..x_3} from
     * {@code r}, {@code step} apart (a split row's phases, or stacked vectors), {@code x_4} and
     * {@code x_5} at {@code at4} and {@code at5} (phases 0 and 1 one tile on): t0 = 4x0 - 5x2 + x4,
     * t1,2 = (x4 - 4x2) +- (x3 - 4x1), t3,4 = (x4 - x2) +- 2(x3 - x1), t5 = 4x1 - 5x3 + x5.
     */
    private void inputRow(float[] phases, int r, int step, int at4, int at5, int to) {
        int vec = lanes;
        FloatVector x0 = FloatVector.fromArray(species, phases, r);
        FloatVector x1 = FloatVector.fromArray(species, phases, r + step);
        FloatVector x2 = FloatVector.fromArray(species, phases, r + 2 * step);
        FloatVector x3 = FloatVector.fromArray(species, phases, r + 3 * step);
        FloatVector x4 = FloatVector.fromArray(species, phases, at4);
        FloatVector x5 = FloatVector.fromArray(species, phases, at5);
        FloatVector a = x4.sub(x2.mul(4f)), b = x3.sub(x1.mul(4f));
        FloatVector e = x4.sub(x2), f = x3.sub(x1).mul(2f);
        x0.mul(4f).sub(x2.mul(5f)).add(x4).intoArray(phases, to);
        a.add(b).intoArray(phases, to + vec);
        a.sub(b).intoArray(phases, to + 2 * vec);
        e.add(f).intoArray(phases, to + 3 * vec);
        e.sub(f).intoArray(phases, to + 4 * vec);
        x1.mul(4f).sub(x3.mul(5f)).add(x5).intoArray(phases, to + 5 * vec);
    }

    /**
     * {@code B^T z} of one column of {@code d B} (six vectors from {@code from}, six apart) into
     * V_(6r + j), r = 0..5, {@code 6 vXiBytes} apart: lanes {@code [0, first)} from {@code at1},
     * {@code [first, count)} from {@code at2}.
     */
    private void inputColumn(float[] phases, int from, MemorySegment vb, long at1, long at2, int first, int count) {
        int vec = 6 * lanes;
        long step = 6 * vXiBytes;
        VectorMask<Float> m1 = species.indexInRange(0, first);
        VectorMask<Float> m2 = species.indexInRange(0, count).andNot(m1);
        FloatVector x0 = FloatVector.fromArray(species, phases, from);
        FloatVector x1 = FloatVector.fromArray(species, phases, from + vec);
        FloatVector x2 = FloatVector.fromArray(species, phases, from + 2 * vec);
        FloatVector x3 = FloatVector.fromArray(species, phases, from + 3 * vec);
        FloatVector x4 = FloatVector.fromArray(species, phases, from + 4 * vec);
        FloatVector x5 = FloatVector.fromArray(species, phases, from + 5 * vec);
        FloatVector a = x4.sub(x2.mul(4f)), b = x3.sub(x1.mul(4f));
        FloatVector e = x4.sub(x2), f = x3.sub(x1).mul(2f);
        FloatVector r = x0.mul(4f).sub(x2.mul(5f)).add(x4);
        r.intoMemorySegment(vb, at1, LE, m1);
        r.intoMemorySegment(vb, at2, LE, m2);
        r = a.add(b);
        r.intoMemorySegment(vb, at1 + step, LE, m1);
        r.intoMemorySegment(vb, at2 + step, LE, m2);
        r = a.sub(b);
        r.intoMemorySegment(vb, at1 + 2 * step, LE, m1);
        r.intoMemorySegment(vb, at2 + 2 * step, LE, m2);
        r = e.add(f);
        r.intoMemorySegment(vb, at1 + 3 * step, LE, m1);
        r.intoMemorySegment(vb, at2 + 3 * step, LE, m2);
        r = e.sub(f);
        r.intoMemorySegment(vb, at1 + 4 * step, LE, m1);
        r.intoMemorySegment(vb, at2 + 4 * step, LE, m2);
        r = x1.mul(4f).sub(x3.mul(5f)).add(x5);
        r.intoMemorySegment(vb, at1 + 5 * step, LE, m1);
        r.intoMemorySegment(vb, at2 + 5 * step, LE, m2);
    }

    /**
     * {@code A^T M A / 576} of tiles {@code tx .. tx+lanes} of one tile row (their products from
     * {@code at}), each sum rounded to the nearest integer, into the four float output rows from
     * {@code row} ({@link #rowFloats} apart), their four columns interleaved; whole vectors (the
     * rows have room). {@code M A} passes through the transform vectors.
     */
    private void outputTiles(MemorySegment mbs, long at, long row, float[] phases) {
        int vec = lanes, tmp = tmpAt();
        for (int i = 0; i < 6; i++) outputRow(mbs, at + 6 * i * mXiBytes, phases, tmp + 4 * vec * i);
        for (int j = 0; j < 4; j++) outputColumn(phases, tmp + j * vec, tmp + (24 + j) * vec);
        for (int a = 0; a < 4; a++) interleave(phases, tmp + (24 + 4 * a) * vec, mbs, row + 4L * a * rowFloats);
    }

    /**
     * Row {@code i} of {@code M A} from the six products M_(6i + j) at {@code p}, into four vectors
     * from {@code to}: r0 = m0 + s + s2, r1 = d + 2 d2, r2 = s + 4 s2, r3 = d + 8 d2 + m5
     * (s, d = m1 +- m2; s2, d2 = m3 +- m4).
     */
    private void outputRow(MemorySegment mbs, long p, float[] phases, int to) {
        int vec = lanes;
        FloatVector m0 = FloatVector.fromMemorySegment(species, mbs, p, LE);
        FloatVector m1 = FloatVector.fromMemorySegment(species, mbs, p + mXiBytes, LE);
        FloatVector m2 = FloatVector.fromMemorySegment(species, mbs, p + 2 * mXiBytes, LE);
        FloatVector m3 = FloatVector.fromMemorySegment(species, mbs, p + 3 * mXiBytes, LE);
        FloatVector m4 = FloatVector.fromMemorySegment(species, mbs, p + 4 * mXiBytes, LE);
        FloatVector m5 = FloatVector.fromMemorySegment(species, mbs, p + 5 * mXiBytes, LE);
        FloatVector s = m1.add(m2), d = m1.sub(m2), s2 = m3.add(m4), d2 = m3.sub(m4);
        m0.add(s).add(s2).intoArray(phases, to);
        d.add(d2.mul(2f)).intoArray(phases, to + vec);
        s.add(s2.mul(4f)).intoArray(phases, to + 2 * vec);
        d.add(d2.mul(8f)).add(m5).intoArray(phases, to + 3 * vec);
    }

    /**
     * Column {@code j} of {@code A^T (M A)} (six vectors from {@code from}, four apart) divided by
     * 576 and rounded to the nearest integer (half to even; larger sums are integers already):
     * Y[a][j] at {@code to + 4a} vectors.
     */
    private void outputColumn(float[] phases, int from, int to) {
        int vec = lanes;
        FloatVector q0 = FloatVector.fromArray(species, phases, from);
        FloatVector q1 = FloatVector.fromArray(species, phases, from + 4 * vec);
        FloatVector q2 = FloatVector.fromArray(species, phases, from + 8 * vec);
        FloatVector q3 = FloatVector.fromArray(species, phases, from + 12 * vec);
        FloatVector q4 = FloatVector.fromArray(species, phases, from + 16 * vec);
        FloatVector q5 = FloatVector.fromArray(species, phases, from + 20 * vec);
        FloatVector s = q1.add(q2), d = q1.sub(q2), s2 = q3.add(q4), d2 = q3.sub(q4);
        FloatVector y0 = q0.add(s).add(s2).mul(UNSCALE), y1 = d.add(d2.mul(2f)).mul(UNSCALE);
        FloatVector y2 = s.add(s2.mul(4f)).mul(UNSCALE), y3 = d.add(d2.mul(8f)).add(q5).mul(UNSCALE);
        y0.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC).blend(y0, y0.abs().compare(VectorOperators.GT, ROUNDABLE)).intoArray(phases, to);
        y1.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC).blend(y1, y1.abs().compare(VectorOperators.GT, ROUNDABLE))
                .intoArray(phases, to + 4 * vec);
        y2.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC).blend(y2, y2.abs().compare(VectorOperators.GT, ROUNDABLE))
                .intoArray(phases, to + 8 * vec);
        y3.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC).blend(y3, y3.abs().compare(VectorOperators.GT, ROUNDABLE))
                .intoArray(phases, to + 12 * vec);
    }

    /**
     * Four vectors (output columns 0..3 of consecutive tiles) from {@code from} interleaved into
     * one output row at {@code to}.
     */
    private void interleave(float[] src, int from, MemorySegment dst, long to) {
        int vec = lanes;
        long bytes = 4L * vec;
        FloatVector lo = FloatVector.fromArray(species, interleaveLo, 0), hi = FloatVector.fromArray(species, interleaveHi, 0);
        FloatVector y0 = FloatVector.fromArray(species, src, from), y1 = FloatVector.fromArray(species, src, from + vec);
        FloatVector y2 = FloatVector.fromArray(species, src, from + 2 * vec);
        FloatVector y3 = FloatVector.fromArray(species, src, from + 3 * vec);
        FloatVector a0 = lo.selectFrom(y0, y2), a1 = hi.selectFrom(y0, y2); // columns 0 and 2
        FloatVector b0 = lo.selectFrom(y1, y3), b1 = hi.selectFrom(y1, y3); // columns 1 and 3
        lo.selectFrom(a0, b0).intoMemorySegment(dst, to, LE);
        hi.selectFrom(a0, b0).intoMemorySegment(dst, to + bytes, LE);
        lo.selectFrom(a1, b1).intoMemorySegment(dst, to + 2 * bytes, LE);
        hi.selectFrom(a1, b1).intoMemorySegment(dst, to + 3 * bytes, LE);
    }

    /** The four float output rows of tile row {@code ty} requantized into output channel {@code mo}'s plane. */
    private void requantizeRows(MemorySegment scratch, long rows, MemorySegment y, long plane, int ty, int mo) {
        for (int a = 0; a < 4 && 4 * ty + a < oh; a++) {
            Q8Quantize.requantize(species, scratch, rows + 4L * a * rowFloats, y, plane + (long) (4 * ty + a) * ow, ow,
                    bias[mo], spec.multipliers()[mo], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    /** Where the 40 vectors between transform steps start in a thread's float buffer: after a block's split rows. */
    private int tmpAt() {
        return 4 * (4 * rowsPerBlock + 2) * es;
    }

    /** Where six stacked patch vectors go: after the transform vectors and the widened row. */
    private int stackedAt() {
        return tmpAt() + 40 * lanes + 4 * roundUp(tw + 1, lanes);
    }

    private static final ThreadLocal<float[][]> PHASES = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * This thread's float buffer, grown for this kernel: a block's split rows, 40 vectors between
     * transform steps, a widened row, six stacked patch vectors.
     */
    private float[] phases() {
        float[][] holder = PHASES.get();
        int size = stackedAt() + 6 * lanes;
        if (holder[0].length < size) holder[0] = new float[size];
        return holder[0];
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
        return "Q8Winograd4x4(F(4x4,3x3), " + rowsPerBlock + " tile rows per block) " + spec;
    }
}
