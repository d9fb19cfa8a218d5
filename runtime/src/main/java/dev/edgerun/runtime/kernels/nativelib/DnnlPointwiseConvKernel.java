package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * A 1x1 convolution (stride 1, no padding, not grouped) run as oneDNN's matmul over the engine's
 * NC(D)HW buffers: per image {@code Y[M, P] = W[M, C] . X[C, P] + b[M, 1]}, with the fused
 * activation as an eltwise post-op. The bias is written into Y first and the product added to it
 * (a sum post-op): oneDNN 2.6 has only its reference matmul for a bias broadcast along rows, or
 * for a transposed destination. For the narrow 1x1 convolutions oneDNN's convolution runs
 * slowly ({@link NativeKernelRules#oneDnnPointwiseMatMul}), its matmul runs as fast as the Java
 * kernels without their cold start: the Java kernels run in the interpreter until C2 compiles them.
 */
final class DnnlPointwiseConvKernel extends DnnlKernel implements KernelProvider.ConvKernel {
    private static final int X = 0, Y = 1, SCRATCHPAD = 2;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final KernelProvider.ConvSpec spec;
    private final DnnlEltwise postOp; // the fused activation, run by oneDNN; null: none or the Java epilogue
    private final DnnlPackedWeights weights;
    private final long outputFloats;
    private volatile KernelProvider.ConvKernel fallback;

    private DnnlPointwiseConvKernel(Dnnl dnnl, KernelProvider.ConvSpec spec, DnnlEltwise postOp, DnnlPackedWeights weights) {
        super(dnnl);
        this.spec = spec;
        this.postOp = postOp;
        this.weights = weights;
        long count = 1;
        for (long d : spec.outputShape()) count *= d;
        this.outputFloats = count;
    }

    /** Whether {@code spec} is a convolution this kernel computes: 1x1, stride 1, no padding, not grouped. */
    static boolean computes(KernelProvider.ConvSpec spec) {
        if (spec.group() != 1 || spec.constantWeight() == null) return false;
        long[] w = spec.weightShape();
        for (int a = 2; a < w.length; a++) if (w[a] != 1) return false;
        for (int a = 0; a < spec.spatialRank(); a++) {
            if (spec.strides()[a] != 1 || spec.padsBegin()[a] != 0) return false;
            if (spec.inputShape()[a + 2] != spec.outputShape()[a + 2]) return false;
        }
        return true;
    }

    /** The kernel, or null when oneDNN has no matmul for it; the activation a post-op where oneDNN takes it. */
    static DnnlPointwiseConvKernel create(Dnnl dnnl, KernelProvider.ConvSpec spec) {
        if (!computes(spec)) return null;
        DnnlPackedWeights weights = new DnnlPackedWeights(dnnl);
        DnnlEltwise postOp = DnnlEltwise.of(spec.epilogue());
        if (postOp != null) {
            DnnlPointwiseConvKernel k = new DnnlPointwiseConvKernel(dnnl, spec, postOp, weights);
            if (k.initialize()) return k;
        }
        DnnlPointwiseConvKernel k = new DnnlPointwiseConvKernel(dnnl, spec, null, weights);
        return k.initialize() ? k : null;
    }

    private long positions() {
        long p = 1;
        for (int a = 2; a < spec.inputShape().length; a++) p *= spec.inputShape()[a];
        return p;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        long n = spec.inputShape()[0], c = spec.inputShape()[1], m = spec.weightShape()[0], p = positions();
        // the weights are matmul's source (broadcast over images), the images its "weights"
        MemorySegment wMd = dnnl.mdByStrides(arena, new long[] {1, m, c}, Dnnl.F32, new long[] {m * c, c, 1});
        MemorySegment xMd = dnnl.mdByStrides(arena, new long[] {n, c, p}, Dnnl.F32, new long[] {c * p, p, 1});
        MemorySegment yMd = dnnl.mdByStrides(arena, new long[] {n, m, p}, Dnnl.F32, new long[] {m * p, p, 1});
        long pd = createPrimitiveDesc(dnnl.matmulDesc(arena, wMd, xMd, MemorySegment.NULL, yMd), 1f, true, postOp,
                threads);
        if (pd == 0) return null;
        if (dnnl.isReference(pd)) {
            dnnl.primitiveDescDestroy(pd);
            return null;
        }
        try {
            MemorySegment scratchMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchMd);
            String impl = dnnl.implementation(pd);
            long packedW = weights.memory(this, wMd, wMd, spec.constantWeight().data());
            long matmul = dnnl.primitiveCreate(pd);
            List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                    DnnlProgram.Arg.shared(Dnnl.ARG_SRC, packedW),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_WEIGHTS, xMd, X),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yMd, Y)));
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchMd, SCRATCHPAD));
            DnnlProgram program = new DnnlProgram(dnnl, List.of(new DnnlProgram.Step(matmul, args)), 3, threads,
                    arena, List.of());
            return new Built(program, scratch, 0, "matmul " + impl + (postOp != null ? " +eltwise" : ""));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    @Override
    long flops() {
        return spec.flops();
    }

    @Override
    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        boolean hasBias = bias != null && bias.byteSize() > 0;
        if (!x.isNative() || !y.isNative() || (hasBias && !bias.isNative())) {
            KernelProvider.ConvKernel f = javaFallback();
            f.run(x, w, bias, y, heapScratch(f.scratchBytes()), par);
            return;
        }
        fillBias(hasBias ? bias : null, y);
        Built b = built(par.threads());
        runOn(b, X, x, Y, y, scratch);
        if (postOp == null && spec.epilogue() != null) spec.epilogue().apply(y, 0, (int) outputFloats);
    }

    /**
     * Each output channel's plane set to its bias (zeros without one), by copies that double the
     * filled part: a handful of bulk copies per plane, no loop over elements that would run in the
     * interpreter on the first runs.
     */
    private void fillBias(MemorySegment bias, MemorySegment y) {
        long planeBytes = 4 * positions(), channels = spec.weightShape()[0];
        for (long image = 0; image < spec.inputShape()[0]; image++) {
            for (long c = 0; c < channels; c++) {
                long plane = (image * channels + c) * planeBytes;
                y.set(F, plane, bias == null ? 0f : bias.getAtIndex(F, c));
                for (long filled = 4; filled < planeBytes; filled *= 2) {
                    MemorySegment.copy(y, plane, y, plane + filled, Math.min(filled, planeBytes - filled));
                }
            }
        }
    }

    private KernelProvider.ConvKernel javaFallback() {
        KernelProvider.ConvKernel f = fallback;
        if (f == null) fallback = f = javaKernels().conv(spec).orElseThrow();
        return f;
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " " + spec;
    }
}
