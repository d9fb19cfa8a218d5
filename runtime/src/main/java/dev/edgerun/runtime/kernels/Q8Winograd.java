package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit 3x3 stride-1 convolution ({@link KernelProvider.Q8ConvSpec}) by Winograd F(2x2, 3x3)
 * in float arithmetic, on the scheme of {@link F32Winograd} (blocks of tile rows, 16 GEMMs
 * {@code M_xi = U_xi . V_xi} through {@link F32Gemm}, 2.25x fewer multiply-adds than the direct
 * convolution) with the quantization folded into its transforms:
 * <ul>
 *   <li>the int8 weights are transformed once, {@code U = G g G^T} (multiples of 1/4, exact in float);</li>
 *   <li>the input transform reads the 8-bit input itself, {@code x - zx} (4x less memory traffic
 *       than float activations), split into even and odd columns with zero padding;</li>
 *   <li>the output transform {@code A^T M A} rounds each sum to the nearest integer, and each output
 *       row is requantized straight into bytes by {@link Q8Quantize#requantize}: int32 bias, per
 *       output channel multiplier, zero point, saturation into {@code [yMin, yMax]} (a fused
 *       Relu/Clip, as for {@link Q8ConvGemm}).</li>
 * </ul>
 *
 * <p>Not bit-exact. The transformed weights are multiples of 1/4 and the transformed inputs
 * integers, so float32 holds the products' sums exactly only while they stay below 2^22 in
 * magnitude (the direct float path's bound is 2^24), and the output transform adds up to 9 of them.
 * Beyond, a sum is rounded; rounding the result to the nearest integer absorbs errors below 1/2,
 * but a larger one leaves the integer sum off by one or more, which can move an output by one
 * quantization step where it lands next to a rounding boundary. Typical int8 layers stay far below
 * the bound (Q8WinogradTest counts the outputs that differ from exact int32 arithmetic; all must be
 * within one step). The requirement for this path is agreement within one step, so it is
 * chosen only where float takes {@link F32Winograd} ({@link #preferred}: ResNet-18's 3x3 layers;
 * MobileNetV2 has none), and {@code -Dedgerun.java.q8winograd=off} (or {@code -Dedgerun.java.winograd=off})
 * keeps every 8-bit convolution on the exact path.
 */
final class Q8Winograd implements KernelProvider.Q8ConvKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int XI = 16;
    /** Below this magnitude adding and subtracting {@link Q8Lanes#MAGIC} rounds a float half to even. */
    private static final float ROUNDABLE = 1 << 22;

    private final KernelProvider.Q8ConvSpec spec;
    private final F32Gemm gemm;
    private final VectorSpecies<Float> species;
    private final int batch, c, m, ih, iw, oh, ow, padTop, padLeft, th, tw;
    private final int lanes, nr, es, rowsPerBlock, rowStride;
    private final long uBytes, vXiBytes, mXiBytes, vBytes, mBytes, eoBytes, tmpBytes, chunkBytes;
    private final MemorySegment packedU; // 16 packed A operands [m x c] of the transformed weights
    private final float[] interleaveLo, interleaveHi;
    private final int[] bias;            // per output channel, 0 without a bias
    private final Q8Reusable<Chunks> splits = new Q8Reusable<>(Chunks::new);

    /** Whether the Java kernels may use this kernel: yes unless {@code -Dedgerun.java.q8winograd=off} (read at planning). */
    static boolean enabled() {
        return !"off".equals(System.getProperty("edgerun.java.q8winograd"));
    }

    /**
     * Whether the Java kernels take this kernel for {@code spec}: enabled, constant int8 weights,
     * and {@link F32Winograd#preferred} for the float convolution of the same geometry (so that
     * 8-bit layers take Winograd exactly where float ones do: ResNet-18's 3x3 layers). On those
     * layers the exact alternative, {@link Q8ConvGemm}, took 1.45-1.75x this kernel's time (thread
     * CPU, 1 thread, 512-bit).
     */
    static boolean preferred(KernelProvider.Q8ConvSpec spec, VectorSpecies<Float> species) {
        Tensor w = spec.geometry().constantWeight();
        return enabled() && w != null && w.dtype() == DType.INT8 && F32Winograd.preferred(asFloat(spec.geometry()), species);
    }

    /** The geometry as a float convolution (without weights), to ask {@link F32Winograd} about it. */
    private static KernelProvider.ConvSpec asFloat(KernelProvider.ConvSpec g) {
        return new KernelProvider.ConvSpec(DType.FLOAT, g.inputShape(), g.weightShape(), g.outputShape(), g.group(),
                g.strides(), g.padsBegin(), g.dilations(), null, null);
    }

    Q8Winograd(KernelProvider.Q8ConvSpec spec, F32Gemm gemm) {
        KernelProvider.ConvSpec g = spec.geometry();
        this.spec = spec;
        this.gemm = gemm;
        this.species = gemm.species();
        if (!F32Winograd.supports(asFloat(g), species) || g.constantWeight() == null
                || g.constantWeight().dtype() != DType.INT8) {
            throw new IllegalArgumentException("Q8Winograd needs a 3x3 stride-1 2-D convolution of 16+ channels"
                    + " with constant int8 weights and vectors of 4+ lanes, got " + spec + " with " + species);
        }
        batch = (int) g.inputShape()[0];
        c = (int) g.inputShape()[1];
        m = (int) g.weightShape()[0];
        ih = (int) g.inputShape()[2];
        iw = (int) g.inputShape()[3];
        oh = (int) g.outputShape()[2];
        ow = (int) g.outputShape()[3];
        padTop = g.padsBegin()[0];
        padLeft = g.padsBegin()[1];
        th = (oh + 1) / 2;
        tw = (ow + 1) / 2;
        lanes = species.length();
        nr = gemm.nr();
        es = roundUp(tw, lanes) + lanes; // tile loads at tx .. tx + lanes stay inside a row
        rowStride = 2 * roundUp(tw, lanes); // an output row of tile row vectors, written whole
        long rowBytes = 4L * XI * tw * Math.max(c, m);
        rowsPerBlock = (int) Math.max(1, Math.min(th, F32Winograd.BLOCK_BYTES / rowBytes));
        int tilesMax = rowsPerBlock * tw;
        uBytes = 4 * F32Gemm.packedASize(m, c);
        vXiBytes = 4 * gemm.packedBSize(c, tilesMax);
        mXiBytes = 4L * m * tilesMax;
        vBytes = roundUp64(XI * vXiBytes);
        mBytes = roundUp64(XI * mXiBytes + 4L * lanes); // tail loads of a tile row may read past the last
        eoBytes = roundUp64(4L * 2 * es * (2 * rowsPerBlock + 2));
        tmpBytes = roundUp64(4L * XI * lanes); // 16 vectors between transform steps
        chunkBytes = vBytes + mBytes + eoBytes + tmpBytes + roundUp64(4L * 2 * rowStride);
        interleaveLo = new float[lanes];
        interleaveHi = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            int j = i / 2 + (i % 2 == 0 ? 0 : lanes);
            interleaveLo[i] = j;
            interleaveHi[i] = j + lanes / 2;
        }
        bias = new int[m];
        if (spec.bias() != null) System.arraycopy(spec.bias(), 0, bias, 0, m);
        packedU = transformWeights(g.constantWeight().data());
    }

    @Override
    public long scratchBytes() {
        return F32Winograd.MAX_CHUNKS * chunkBytes;
    }

    /** {@code U_xi[mo][ci] = (G g G^T)[xi]} of the int8 weights as float, packed as 16 GEMM A operands. */
    private MemorySegment transformWeights(MemorySegment w) {
        MemorySegment packed = F32Gemm.allocatePacked(XI * uBytes);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment u = temp.allocate(4L * XI * m * c, 64);
            float[] taps = new float[9];
            for (int mo = 0; mo < m; mo++) {
                for (int ci = 0; ci < c; ci++) {
                    long g = 9L * ((long) mo * c + ci);
                    for (int k = 0; k < 9; k++) taps[k] = w.get(ValueLayout.JAVA_BYTE, g + k);
                    for (int i = 0; i < 4; i++) {
                        float h0 = gRow(taps, i, 0), h1 = gRow(taps, i, 1), h2 = gRow(taps, i, 2);
                        float[] row = {h0, 0.5f * (h0 + h1 + h2), 0.5f * (h0 - h1 + h2), h2};
                        for (int j = 0; j < 4; j++) {
                            u.set(F, 4L * (((long) (i * 4 + j) * m + mo) * c + ci), row[j]);
                        }
                    }
                }
            }
            for (int xi = 0; xi < XI; xi++) F32Gemm.packA(u, 4L * xi * m * c, c, 1, m, c, packed, xi * uBytes);
        }
        return packed;
    }

    /** Row {@code i} of {@code G g} (4x3), column {@code b}: G's rows are g0, (g0+g1+g2)/2, (g0-g1+g2)/2, g2. */
    private static float gRow(float[] taps, int i, int b) {
        float g0 = taps[b], g1 = taps[3 + b], g2 = taps[6 + b];
        return switch (i) {
            case 0 -> g0;
            case 1 -> 0.5f * (g0 + g1 + g2);
            case 2 -> 0.5f * (g0 - g1 + g2);
            default -> g2;
        };
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int chunks = Math.min(F32Winograd.MAX_CHUNKS, Math.max(1, par.threads()));
        int blocks = Math.min(roundUp(ceilDiv(th, rowsPerBlock), chunks), th);
        int ch = Math.min(chunks, blocks);
        for (int n = 0; n < batch; n++) {
            long xOff = (long) n * c * ih * iw, yOff = (long) n * m * oh * ow;
            if (ch <= 1) {
                blockRange(0, blocks, 0, blocks, x, xOff, y, yOff, scratch);
                continue;
            }
            Chunks body = splits.claim();
            body.set(ch, blocks, x, xOff, y, yOff, scratch);
            try {
                par.forRange(ch, body);
            } finally {
                body.set(0, 0, null, 0, null, 0, null);
                splits.release(body);
            }
        }
    }

    /** One image's tile-row blocks in {@code chunks} ranges, each with its own part of the scratch; reused across calls. */
    private final class Chunks implements RunContext.RangeBody {
        private int chunks, blocks;
        private MemorySegment x, y, scratch;
        private long xOff, yOff;

        void set(int chunks, int blocks, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment scratch) {
            this.chunks = chunks;
            this.blocks = blocks;
            this.x = x;
            this.xOff = xOff;
            this.y = y;
            this.yOff = yOff;
            this.scratch = scratch;
        }

        @Override
        public void run(int from, int to) {
            for (int k = from; k < to; k++) {
                blockRange(k * blocks / chunks, (k + 1) * blocks / chunks, k, blocks, x, xOff, y, yOff, scratch);
            }
        }
    }

    private void blockRange(int b0, int b1, int chunk, int blocks, MemorySegment x, long xOff, MemorySegment y,
                            long yOff, MemorySegment scratch) {
        long v = chunk * chunkBytes, mb = v + vBytes, eo = mb + mBytes, tmp = eo + eoBytes, rows = tmp + tmpBytes;
        for (int blk = b0; blk < b1; blk++) {
            int ty0 = (int) ((long) blk * th / blocks), ty1 = (int) ((long) (blk + 1) * th / blocks);
            int tiles = (ty1 - ty0) * tw;
            for (int ci = 0; ci < c; ci++) {
                splitColumns(x, xOff + (long) ci * ih * iw, ty0, ty1, scratch, eo);
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) inputTiles(scratch, eo, ly, tx, ci, scratch, v, tmp);
                }
            }
            for (int xi = 0; xi < XI; xi++) {
                gemm.multiply(m, tiles, c, packedU, xi * uBytes, scratch, v + xi * vXiBytes,
                        scratch, mb + xi * mXiBytes, tiles, 1f, false, null, Parallel.SERIAL);
            }
            for (int mo = 0; mo < m; mo++) {
                long plane = yOff + (long) mo * oh * ow;
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) {
                        outputTiles(scratch, mb + 4L * ((long) mo * tiles + ly * tw + tx), rows + 8L * tx, tmp);
                    }
                    requantizeRows(scratch, rows, y, plane, ty0 + ly, mo);
                }
            }
        }
    }

    /**
     * The 8-bit input rows of tile rows {@code [ty0, ty1)} of one channel as floats {@code x - zx},
     * zero padded, split into even ({@code E}) and odd ({@code O}) padded columns: tile {@code tx}
     * reads {@code E[tx], O[tx], E[tx+1], O[tx+1]} of its four rows, each a vector load over
     * consecutive tiles. Input column {@code ix} is padded column {@code ix + padLeft}.
     */
    private void splitColumns(MemorySegment x, long plane, int ty0, int ty1, MemorySegment eo, long at) {
        JavaKernelsSpecies zero = JavaKernelsSpecies.of(species);
        int rows = 2 * (ty1 - ty0) + 2;
        int end = Math.min(iw, 2 * tw + 2 - padLeft); // input columns that land in the padded row
        int half = padLeft >> 1;
        boolean oddPad = (padLeft & 1) == 1;
        for (int lr = 0; lr < rows; lr++) {
            int iy = 2 * ty0 - padTop + lr;
            long e = at + 8L * lr * es, o = e + 4L * es;
            zero.zeroFloats(eo, e, 2L * es);
            if (iy < 0 || iy >= ih || end <= 0) continue;
            long row = plane + (long) iy * iw;
            if (oddPad) { // even input columns are odd padded ones, from O[half]; odd ones from E[half + 1]
                Q8Quantize.widenDeinterleave(species, x, row, end, spec.xZeroPoint(), spec.xSigned(),
                        eo, o + 4L * half, es - half, eo, e + 4L * (half + 1), es - half - 1);
            } else {
                Q8Quantize.widenDeinterleave(species, x, row, end, spec.xZeroPoint(), spec.xSigned(),
                        eo, e + 4L * half, es - half, eo, o + 4L * half, es - half);
            }
        }
    }

    /**
     * {@code B^T d B} of tiles {@code tx .. tx+lanes} of local tile row {@code ly}, channel
     * {@code ci}, into row {@code ci} of the 16 packed B operands (column = tile index in the
     * block), as {@link F32Winograd} does: where the tiles cross into the next B panel the vector is
     * stored in two masked parts, and the rows of {@code d B} pass through {@code tmp}.
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
        VectorMask<Float> m2 = s.indexInRange(0, count).andNot(m1);
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
     * {@code A^T M A} of tiles {@code tx .. tx+lanes} of one tile row, each sum rounded to the
     * nearest integer, into the two float output rows at {@code row} (the second {@link #rowStride}
     * floats further), their even and odd columns interleaved; whole vectors (the rows have room).
     */
    private void outputTiles(MemorySegment mb, long at, long row, long tmp) {
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
        FloatVector lo = FloatVector.fromArray(s, interleaveLo, 0), hi = FloatVector.fromArray(s, interleaveHi, 0);
        // output row a: rows 0 + 1 + 2 of M A (a = 0) or 1 - 2 - 3 (a = 1), their two columns interleaved
        for (int a = 0; a < 2; a++) {
            long t = tmp + 2 * vec * a;
            FloatVector q0 = FloatVector.fromMemorySegment(s, mb, t, LE);
            FloatVector q1 = FloatVector.fromMemorySegment(s, mb, t + vec, LE);
            FloatVector q2 = FloatVector.fromMemorySegment(s, mb, t + 2 * vec, LE);
            FloatVector q3 = FloatVector.fromMemorySegment(s, mb, t + 3 * vec, LE);
            FloatVector q4 = FloatVector.fromMemorySegment(s, mb, t + 4 * vec, LE);
            FloatVector q5 = FloatVector.fromMemorySegment(s, mb, t + 5 * vec, LE);
            FloatVector y0, y1;
            if (a == 0) {
                y0 = q0.add(q2).add(q4);
                y1 = q1.add(q3).add(q5);
            } else { // q0..q5 are rows 1, 2, 3 here
                y0 = q0.sub(q2).sub(q4);
                y1 = q1.sub(q3).sub(q5);
            }
            // nearest integer (half to even) where the magic number can do it; larger sums are integers already
            FloatVector r0 = y0.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC), r1 = y1.add(Q8Lanes.MAGIC).sub(Q8Lanes.MAGIC);
            y0 = r0.blend(y0, y0.abs().compare(VectorOperators.GT, ROUNDABLE));
            y1 = r1.blend(y1, y1.abs().compare(VectorOperators.GT, ROUNDABLE));
            long out = row + 4L * a * rowStride;
            lo.selectFrom(y0, y1).intoMemorySegment(mb, out, LE);
            hi.selectFrom(y0, y1).intoMemorySegment(mb, out + vec, LE);
        }
    }

    /** The float rows of tile row {@code ty} requantized into output channel {@code mo}'s plane. */
    private void requantizeRows(MemorySegment scratch, long rows, MemorySegment y, long plane, int ty, int mo) {
        for (int a = 0; a < 2 && 2 * ty + a < oh; a++) {
            Q8Quantize.requantize(species, scratch, rows + 4L * a * rowStride, y, plane + (long) (2 * ty + a) * ow, ow,
                    bias[mo], spec.multipliers()[mo], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
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
        return "Q8Winograd(F(2x2,3x3), " + rowsPerBlock + " tile rows per block) " + spec;
    }
}
