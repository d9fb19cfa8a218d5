package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;

/**
 * Nearest-neighbour upsampling of a 4-D float tensor by whole factors, run by oneDNN's resampling
 * primitive with input and output in 16-channel blocks ({@link Dnnl#TAG_NCHW16C}), the layout the
 * oneDNN convolutions around it keep (see {@link NativeKernelRules#oneDnnUniformChannelBlocks}). Between
 * two such convolutions (conv_autoencoder's Conv → Resize → Conv) it spares the reorder out of the
 * blocked layout after the first, the Java pass, and the reorder back before the second.
 *
 * <p>oneDNN's nearest picks input index {@code round((o + 0.5) / f - 0.5)}, which for a whole
 * factor {@code f} is {@code floor(o / f)}: the caller offers this kernel only where ONNX's
 * coordinate and rounding modes pick the same.
 */
public final class DnnlResampleKernel extends DnnlKernel {
    private static final int X = 0, Y = 1, SCRATCHPAD = 2;

    private final long[] inShape;
    private final long[] outShape;
    private final DnnlLayout inLayout;
    private final DnnlLayout outLayout;

    private DnnlResampleKernel(Dnnl dnnl, long[] inShape, long[] outShape) {
        super(dnnl);
        this.inShape = inShape.clone();
        this.outShape = outShape.clone();
        try (Arena arena = Arena.ofConfined()) {
            this.inLayout = new DnnlLayout(dnnl, blocked(arena, inShape));
            this.outLayout = new DnnlLayout(dnnl, blocked(arena, outShape));
        }
    }

    /**
     * The kernel from {@code inShape} to {@code outShape} (N and C equal, H and W multiplied by
     * whole factors, C a multiple of 16), or empty where that does not hold, oneDNN is not among
     * the kernel providers in use, or it has only its reference implementation.
     */
    public static Optional<DnnlResampleKernel> nearestBlocked(long[] inShape, long[] outShape) {
        if (!wholeFactorUpsampling(inShape, outShape)) return Optional.empty();
        if (KernelSelection.defaults().provider("onednn").isEmpty()) return Optional.empty();
        DnnlResampleKernel k = new DnnlResampleKernel(Dnnl.get(), inShape, outShape);
        return k.initialize() ? Optional.of(k) : Optional.empty();
    }

    static boolean wholeFactorUpsampling(long[] in, long[] out) {
        if (in.length != 4 || out.length != 4 || in[0] != out[0] || in[1] != out[1]) return false;
        if (in[1] % NativeKernelRules.CHANNEL_BLOCK != 0) return false;
        for (int a = 2; a < 4; a++) if (in[a] <= 0 || out[a] % in[a] != 0 || out[a] < in[a]) return false;
        return true;
    }

    /** The blocked layout X is read in. */
    public KernelProvider.ConvKernel.Layout inputLayout() {
        return new KernelProvider.ConvKernel.Layout(inLayout, inLayout.bytes());
    }

    /** The blocked layout Y is written in. */
    public KernelProvider.ConvKernel.Layout outputLayout() {
        return new KernelProvider.ConvKernel.Layout(outLayout, outLayout.bytes());
    }

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment x = inLayout.md(arena), y = outLayout.md(arena);
        long pd = createPrimitiveDesc(dnnl.resamplingDesc(arena, Dnnl.RESAMPLING_NEAREST, x, y), 1f, false, threads);
        if (pd == 0) return null;
        try {
            if (dnnl.isReference(pd)) return null;
            ScratchPlan scratch = new ScratchPlan();
            DnnlProgram.Step step = primitiveStep(arena, pd, List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, x, X),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, y, Y)), scratch, SCRATCHPAD);
            String impl = dnnl.implementation(pd);
            DnnlProgram program = new DnnlProgram(dnnl, List.of(step), 3, threads, arena, List.of());
            return new Built(program, scratch, 0, impl);
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /** One read and one write per output element: threads only for large tensors ({@link NativeKernelRules#threadsFor}). */
    @Override
    long flops() {
        long n = 1;
        for (long d : outShape) n *= d;
        return n;
    }

    /** Upsamples blocked {@code x} into blocked {@code y} (both native memory of the layouts' sizes). */
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, int threads) {
        if (!x.isNative() || !y.isNative()) {
            throw new NativeKernelException("oneDNN resampling of blocked activations needs native memory: " + this);
        }
        Built b = built(threads);
        runOn(b, X, x, Y, y, scratch);
    }

    private MemorySegment blocked(Arena arena, long[] shape) {
        return dnnl.mdByTag(arena, shape, Dnnl.F32, Dnnl.TAG_NCHW16C);
    }

    @Override
    public String toString() {
        return "oneDNN resampling " + defaultBuilt().implementation() + " " + java.util.Arrays.toString(inShape) + " -> "
                + java.util.Arrays.toString(outShape);
    }
}
