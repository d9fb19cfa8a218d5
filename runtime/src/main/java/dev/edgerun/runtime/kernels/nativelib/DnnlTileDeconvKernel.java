package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A 2-D ConvTranspose whose kernel tiles the output (stride equal to the kernel, no padding or
 * dilation, not grouped: the 2x2 stride-2 upsampling of U-Nets and autoencoders) as two oneDNN
 * steps: a matmul {@code COL[P, M*kh*kw] = X^T[P, C] . W[C, M*kh*kw] + bias} (X read transposed
 * through strides), then a reorder of COL into Y, each element to its tile position. oneDNN's
 * deconvolution runs these 1.5-2x slower than the operator's own GEMM and Java tile pass, which
 * however runs in the interpreter on the first runs ({@link NativeKernelRules#oneDnnConvTranspose}).
 */
final class DnnlTileDeconvKernel extends DnnlKernel implements KernelProvider.ConvKernel {
    private static final int X = 0, BIAS = 1, Y = 2, SCRATCHPAD = 3, COL = 4;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final KernelProvider.ConvSpec spec;
    private final DnnlPackedWeights weights;
    private final long images, channels, outChannels, kh, kw, inH, inW, positions, columns;

    private DnnlTileDeconvKernel(Dnnl dnnl, KernelProvider.ConvSpec spec) {
        super(dnnl);
        this.spec = spec;
        this.weights = new DnnlPackedWeights(dnnl);
        long[] x = spec.inputShape(), w = spec.weightShape();
        images = x[0];
        channels = x[1];
        outChannels = w[1];
        kh = w[2];
        kw = w[3];
        inH = x[2];
        inW = x[3];
        positions = inH * inW;
        columns = outChannels * kh * kw;
    }

    /** Whether the kernel tiles the output: 2-D, stride equal to the kernel, no padding or dilation, output exactly the tiles, not grouped. */
    static boolean computes(KernelProvider.ConvSpec spec) {
        if (spec.spatialRank() != 2 || spec.group() != 1 || spec.constantWeight() == null) return false;
        for (int a = 0; a < 2; a++) {
            long k = spec.weightShape()[a + 2];
            if (spec.strides()[a] != k || spec.dilations()[a] != 1 || spec.padsBegin()[a] != 0
                    || spec.outputShape()[a + 2] != spec.inputShape()[a + 2] * k) {
                return false;
            }
        }
        return true;
    }

    /** The kernel, or null when oneDNN has no fast matmul for it. */
    static DnnlTileDeconvKernel create(Dnnl dnnl, KernelProvider.ConvSpec spec) {
        if (!computes(spec)) return null;
        DnnlTileDeconvKernel k = new DnnlTileDeconvKernel(dnnl, spec);
        return k.initialize() ? k : null;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment xT = dnnl.mdByStrides(arena, new long[] {images, positions, channels}, Dnnl.F32,
                new long[] {channels * positions, 1, positions});
        MemorySegment wUser = dnnl.mdByStrides(arena, new long[] {1, channels, columns}, Dnnl.F32,
                new long[] {channels * columns, columns, 1});
        MemorySegment wAny = dnnl.mdByTag(arena, new long[] {1, channels, columns}, Dnnl.F32, Dnnl.TAG_ANY);
        MemorySegment biasMd = dnnl.mdByStrides(arena, new long[] {1, 1, columns}, Dnnl.F32, new long[] {columns, columns, 1});
        MemorySegment col = dnnl.mdByStrides(arena, new long[] {images, positions, columns}, Dnnl.F32,
                new long[] {positions * columns, columns, 1});
        long pd = createPrimitiveDesc(dnnl.matmulDesc(arena, xT, wAny, biasMd, col), 1f, false, threads);
        if (pd == 0) return null;
        if (dnnl.isReference(pd)) {
            dnnl.primitiveDescDestroy(pd);
            return null;
        }
        try {
            MemorySegment scratchMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchMd);
            String impl = dnnl.implementation(pd);
            long packedW = weights.memory(this, wUser, dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD),
                    spec.constantWeight().data());
            long matmul = dnnl.primitiveCreate(pd);
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(BIAS, 4 * columns); // first: at the aligned start of the scratch, see expandBias
            scratch.add(COL, 4 * images * positions * columns);
            scratch.add(SCRATCHPAD, scratchpad);
            List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xT, X),
                    DnnlProgram.Arg.shared(Dnnl.ARG_WEIGHTS, packedW),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, col, COL)));
            if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchMd, SCRATCHPAD));
            List<DnnlProgram.Step> steps = List.of(new DnnlProgram.Step(matmul, args), tileReorder(arena));
            DnnlProgram program = new DnnlProgram(dnnl, steps, 5, threads, arena, List.of());
            return new Built(program, scratch, 0, "matmul " + impl + " then tile reorder");
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /** COL{@code [n][h, q][m, i, j]} to Y{@code [n][m][h*kh + i][q*kw + j]}, both as dims (n, m, h, i, q, j). */
    private DnnlProgram.Step tileReorder(Arena arena) {
        long outW = inW * kw, plane = inH * kh * outW;
        long[] dims = {images, outChannels, inH, kh, inW, kw};
        MemorySegment from = dnnl.mdByStrides(arena, dims, Dnnl.F32,
                new long[] {positions * columns, kh * kw, inW * columns, kw, columns, 1});
        MemorySegment to = dnnl.mdByStrides(arena, dims, Dnnl.F32,
                new long[] {outChannels * plane, plane, kh * outW, outW, kw, 1});
        return reorderStep(from, COL, to, Y);
    }

    @Override
    long flops() {
        return 2 * images * positions * channels * columns;
    }

    @Override
    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        boolean hasBias = bias != null && bias.byteSize() > 0;
        Built b = built(par.threads());
        boolean nativeScratch = scratch != null && scratch.isNative() && scratch.byteSize() >= b.scratch().total();
        if (!x.isNative() || !y.isNative() || (hasBias && !bias.isNative()) || !nativeScratch) {
            runOnCopies(x, hasBias ? bias : null, y, par);
            return;
        }
        expandBias(hasBias ? bias : null, scratch);
        runOn(b, X, x, Y, y, scratch);
    }

    /**
     * Writes the bias of each COL column, {@code bias[m]} for column (m, i, j), at the aligned start
     * of {@code scratch}, where {@link ScratchPlan} puts the first buffer added.
     */
    private void expandBias(MemorySegment bias, MemorySegment scratch) {
        long at = ((scratch.address() + 63) & ~63L) - scratch.address();
        long taps = kh * kw;
        for (long m = 0; m < outChannels; m++) {
            float v = bias == null ? 0f : bias.getAtIndex(F, m);
            for (long t = 0; t < taps; t++) scratch.set(F, at + 4 * (m * taps + t), v);
        }
    }

    /** A run on heap memory (rare: the engine's buffers are native), through native copies. */
    private void runOnCopies(MemorySegment x, MemorySegment bias, MemorySegment y, Parallel par) {
        try (Arena copies = Arena.ofConfined()) {
            MemorySegment nativeX = copies.allocate(x.byteSize(), 64).copyFrom(x);
            MemorySegment nativeBias = bias == null ? null : copies.allocate(bias.byteSize(), 64).copyFrom(bias);
            MemorySegment nativeY = copies.allocate(y.byteSize(), 64);
            run(nativeX, null, nativeBias, nativeY, copies.allocate(scratchBytes() + 64, 64), par);
            y.copyFrom(nativeY);
        }
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " " + spec;
    }
}
