package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 8-bit 3x3 stride-1 convolution ({@link KernelProvider.Q8ConvSpec}) by Winograd F(2x2, 3x3)
 * in float arithmetic, on the scheme of {@link F32Winograd} (blocks of tile rows, 16 GEMMs
 * {@code M_xi = U_xi . V_xi} through {@link F32Gemm}, 2.25x fewer multiply-adds than the direct
 * convolution; the tiling and the transforms are {@link WinogradTiles}, shared with it) with the
 * quantization folded into its transforms:
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
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Below this magnitude adding and subtracting {@link Q8Lanes#MAGIC} rounds a float half to even. */
    private static final float ROUNDABLE = 1 << 22;

    private final KernelProvider.Q8ConvSpec spec;
    private final WinogradTiles tiles;
    private final VectorSpecies<Float> species;
    private final int rowStride;         // floats from one output row to the next in the float rows before requantization
    private final long chunkBytes;       // a thread's buffers: the tiling's, then the two float output rows
    private final MemorySegment packedU; // 16 packed A operands [m x c] of the transformed weights
    private final int[] bias;            // per output channel, 0 without a bias
    private final Q8WinogradBlocks split = new Q8WinogradBlocks(this::blockRange);

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
        this.species = gemm.species();
        if (!F32Winograd.supports(asFloat(g), species) || g.constantWeight() == null
                || g.constantWeight().dtype() != DType.INT8) {
            throw new IllegalArgumentException("Q8Winograd needs a 3x3 stride-1 2-D convolution of 16+ channels"
                    + " with constant int8 weights and vectors of 4+ lanes, got " + spec + " with " + species);
        }
        tiles = new WinogradTiles(g, gemm);
        rowStride = 2 * WinogradTiles.roundUp(tiles.tw, tiles.lanes); // an output row of tile row vectors, written whole
        chunkBytes = tiles.bufferBytes + WinogradTiles.roundUp64(4L * 2 * rowStride);
        bias = new int[tiles.m];
        if (spec.bias() != null) System.arraycopy(spec.bias(), 0, bias, 0, tiles.m);
        try (Arena temp = Arena.ofConfined()) {
            packedU = tiles.packWeights(widened(g.constantWeight().data(), (long) tiles.m * tiles.c * 9, temp));
        }
    }

    /**
     * The int8 weights as floats (exact) in {@code arena}, for {@link WinogradTiles#packWeights}
     * (their transform, multiples of 1/4, is exact in float too).
     */
    private static MemorySegment widened(MemorySegment int8, long count, Arena arena) {
        MemorySegment floats = arena.allocate(4 * count, 64);
        for (long k = 0; k < count; k++) floats.setAtIndex(ValueLayout.JAVA_FLOAT, k, int8.get(ValueLayout.JAVA_BYTE, k));
        return floats;
    }

    @Override
    public long scratchBytes() {
        return WinogradTiles.MAX_CHUNKS * chunkBytes;
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        int chunks = WinogradTiles.chunks(par);
        int blocks = tiles.blocks(chunks);
        for (int n = 0; n < tiles.batch; n++) {
            long xOff = (long) n * tiles.c * tiles.ih * tiles.iw, yOff = (long) n * tiles.m * tiles.oh * tiles.ow;
            split.image(chunks, blocks, x, xOff, y, yOff, scratch, par);
        }
    }

    private void blockRange(int b0, int b1, int chunk, int blocks, MemorySegment x, long xOff, MemorySegment y,
                            long yOff, MemorySegment scratch) {
        int tw = tiles.tw, lanes = tiles.lanes;
        long v = chunk * chunkBytes, mb = v + tiles.vBytes, eo = mb + tiles.mBytes, tmp = eo + tiles.eoBytes;
        long rows = tmp + tiles.tmpBytes; // this kernel's own part of the buffers
        for (int blk = b0; blk < b1; blk++) {
            int ty0 = tiles.firstTileRow(blk, blocks), ty1 = tiles.firstTileRow(blk + 1, blocks);
            int count = (ty1 - ty0) * tw; // tiles in the block
            for (int ci = 0; ci < tiles.c; ci++) {
                splitColumns(x, xOff + (long) ci * tiles.ih * tiles.iw, ty0, ty1, scratch, eo);
                tiles.transformInput(scratch, eo, ty1 - ty0, ci, v, tmp);
            }
            tiles.multiply(packedU, 0, scratch, v, mb, count);
            for (int mo = 0; mo < tiles.m; mo++) {
                long plane = yOff + (long) mo * tiles.oh * tiles.ow;
                for (int ly = 0; ly < ty1 - ty0; ly++) {
                    for (int tx = 0; tx < tw; tx += lanes) {
                        outputTiles(scratch, mb + 4L * ((long) mo * count + ly * tw + tx), rows + 8L * tx, tmp);
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
        int ih = tiles.ih, iw = tiles.iw, padLeft = tiles.padLeft, es = tiles.es;
        int end = Math.min(iw, 2 * tiles.tw + 2 - padLeft); // input columns that land in the padded row
        int half = padLeft >> 1;
        boolean oddPad = (padLeft & 1) == 1;
        for (int lr = 0; lr < rows; lr++) {
            int iy = 2 * ty0 - tiles.padTop + lr;
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
     * {@code A^T M A} of tiles {@code tx .. tx+lanes} of one tile row, each sum rounded to the
     * nearest integer, into the two float output rows at {@code row} (the second {@link #rowStride}
     * floats further), their even and odd columns interleaved; whole vectors (the rows have room).
     * The rows of {@code M A} pass through {@code tmp} ({@link WinogradTiles#productRows}).
     */
    private void outputTiles(MemorySegment mb, long at, long row, long tmp) {
        tiles.productRows(mb, at, tmp);
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        long vec = 4L * tiles.lanes;
        FloatVector lo = FloatVector.fromArray(s, tiles.interleaveLo, 0), hi = FloatVector.fromArray(s, tiles.interleaveHi, 0);
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
        int ow = tiles.ow;
        for (int a = 0; a < 2 && 2 * ty + a < tiles.oh; a++) {
            Q8Quantize.requantize(species, scratch, rows + 4L * a * rowStride, y, plane + (long) (2 * ty + a) * ow, ow,
                    bias[mo], spec.multipliers()[mo], spec.yZeroPoint(), spec.yMin(), spec.yMax());
        }
    }

    @Override
    public String toString() {
        return "Q8Winograd(F(2x2,3x3), " + tiles.rowsPerBlock + " tile rows per block) " + spec;
    }
}
