package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Max or average pooling of a float tensor with 1-3 spatial axes, run by oneDNN's pooling primitive
 * ({@code dnnl_pooling_v2_forward_desc_init}: strides, kernel, dilations, begin and end pads).
 * oneDNN's kernels are native code, fast from the first run, where the Java pooling kernels run in
 * the interpreter until C2 has compiled them (ResNet-18's first MaxPool took 140 ms that way).
 *
 * <p>4-D input and output may each be plain NCHW or in 16-channel blocks ({@link Dnnl#TAG_NCHW16C},
 * the layout the oneDNN convolutions around keep, see {@link NativeKernelRules#oneDnnUniformChannelBlocks}).
 * The pool runs in its input's layout and, where the output's differs, writes through scratch and
 * a reorder: the output is the smaller side (conv_autoencoder's first MaxPool reads 256 KiB NCHW,
 * which a skip connection also reads, and writes 64 KiB for a blocked convolution). No reorder
 * where the plain and the blocked bytes are the same: a 1x1 plane of a multiple of 16 channels
 * (GlobalAveragePool's {@code [N, C, 1, 1]}).
 */
public final class DnnlPoolKernel extends DnnlKernel {
    private static final int X = 0, Y = 1, SCRATCHPAD = 2, Y_POOLED = 3;
    /** Bytes reserved for a {@code dnnl_pooling_v2_desc_t} of 2.x (5 enums, 4 memory descriptors, 5 dims arrays, rounded up). */
    private static final long POOLING_DESC_BYTES = 4096;

    /** {@code dnnl_alg_kind_t} of the pooling algorithms in 2.x. */
    public enum Algorithm {
        MAX(0x1ff), AVERAGE_INCLUDING_PADS(0x2ff), AVERAGE_EXCLUDING_PADS(0x3ff);

        final int kind;

        Algorithm(int kind) {
            this.kind = kind;
        }
    }

    /**
     * The window per spatial axis; dilations as ONNX counts them (1: none), {@code padsEnd} as
     * oneDNN wants them: reaching the last window, so under ceil_mode past ONNX's own end pads.
     */
    public record Window(Algorithm algorithm, long[] inShape, long[] outShape, long[] kernel, long[] strides,
                         long[] dilations, long[] padsBegin, long[] padsEnd) {
        int spatialAxes() {
            return inShape.length - 2;
        }

        @Override
        public String toString() {
            return algorithm + " " + Arrays.toString(inShape) + " -> " + Arrays.toString(outShape) + " kernel "
                    + Arrays.toString(kernel) + " strides " + Arrays.toString(strides) + " dilations "
                    + Arrays.toString(dilations) + " pads " + Arrays.toString(padsBegin) + "/" + Arrays.toString(padsEnd);
        }
    }

    private final Window window;
    private final boolean blockedIn;
    private final boolean blockedOut;
    private final KernelProvider.ConvKernel.Layout blockedInLayout;  // null where X is not 4-D
    private final KernelProvider.ConvKernel.Layout blockedOutLayout; // null where Y is not 4-D

    private DnnlPoolKernel(Dnnl dnnl, Window window, boolean blockedIn, boolean blockedOut) {
        super(dnnl);
        this.window = window;
        this.blockedIn = blockedIn;
        this.blockedOut = blockedOut;
        this.blockedInLayout = blockedLayout(window.inShape);
        this.blockedOutLayout = blockedLayout(window.outShape);
    }

    /**
     * The kernel on plain tensors, or empty where oneDNN is not among the kernel providers in use,
     * rejects the window (a pad as wide as the window, say) or has only its reference implementation.
     */
    public static Optional<DnnlPoolKernel> plain(Window window) {
        if (window.spatialAxes() < 1 || window.spatialAxes() > 3) return Optional.empty();
        if (KernelSelection.defaults().provider("onednn").isEmpty()) return Optional.empty();
        return make(Dnnl.get(), window, false, false);
    }

    private static Optional<DnnlPoolKernel> make(Dnnl dnnl, Window window, boolean blockedIn, boolean blockedOut) {
        DnnlPoolKernel k = new DnnlPoolKernel(dnnl, window, blockedIn, blockedOut);
        return k.initialize() ? Optional.of(k) : Optional.empty();
    }

    /** Whether X or Y is in 16-channel blocks. */
    public boolean blocked() {
        return blockedIn || blockedOut;
    }

    /** This pool with X and/or Y in 16-channel blocks; empty where oneDNN cannot (not 4-D, no implementation). */
    public Optional<DnnlPoolKernel> withBlocks(boolean input, boolean output) {
        if (input == blockedIn && output == blockedOut) return Optional.of(this);
        if (window.inShape.length != 4) return Optional.empty();
        return make(dnnl, window, input, output);
    }

    /** The blocked layout X could be read in; null where the input is not 4-D. */
    public KernelProvider.ConvKernel.Layout blockedInputLayout() {
        return blockedInLayout;
    }

    /** The blocked layout Y could be written in; null where the output is not 4-D. */
    public KernelProvider.ConvKernel.Layout blockedOutputLayout() {
        return blockedOutLayout;
    }

    private KernelProvider.ConvKernel.Layout blockedLayout(long[] shape) {
        if (shape.length != 4) return null;
        try (Arena arena = Arena.ofConfined()) {
            DnnlLayout layout = new DnnlLayout(dnnl, blocked(arena, shape));
            return new KernelProvider.ConvKernel.Layout(layout, layout.bytes());
        }
    }

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    /**
     * Whether a tensor of {@code shape} has the same bytes plain and in 16-channel blocks: one
     * position per plane (the blocks then follow each other as the channels do) and no padded block.
     */
    static boolean blocksArePlain(long[] shape) {
        if (shape.length != 4 || shape[1] % NativeKernelRules.CHANNEL_BLOCK != 0) return false;
        return shape[2] == 1 && shape[3] == 1;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment src = layout(arena, window.inShape, blockedIn);
        MemorySegment dst = layout(arena, window.outShape, blockedIn);
        MemorySegment desc = poolingDesc(arena, src, dst);
        if (desc == null) return null;
        long pd = createPrimitiveDesc(desc, 1f, false, threads);
        if (pd == 0) return null;
        try {
            if (dnnl.isReference(pd)) return null; // dilated windows in 2.6, for one
            return assemble(arena, pd, src, dst, threads);
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /** The program: the pool, then a reorder into Y where Y's layout differs from X's. */
    private Built assemble(Arena arena, long pd, MemorySegment src, MemorySegment dst, int threads) {
        boolean reorderOut = blockedOut != blockedIn && !blocksArePlain(window.outShape);
        ScratchPlan scratch = new ScratchPlan();
        List<DnnlProgram.Step> steps = new ArrayList<>(List.of(primitiveStep(arena, pd, List.of(
                DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, src, X),
                DnnlProgram.Arg.buffer(Dnnl.ARG_DST, dst, reorderOut ? Y_POOLED : Y)), scratch, SCRATCHPAD)));
        if (reorderOut) {
            scratch.add(Y_POOLED, dnnl.mdSize(dst));
            steps.add(reorderStep(dst, Y_POOLED, layout(arena, window.outShape, blockedOut), Y));
        }
        String impl = dnnl.implementation(pd);
        DnnlProgram program = new DnnlProgram(dnnl, steps, 4, threads, arena, List.of());
        return new Built(program, scratch, 0, impl);
    }

    /** The op descriptor, or null where oneDNN rejects the window (status invalid_arguments, say). */
    private MemorySegment poolingDesc(Arena arena, MemorySegment src, MemorySegment dst) {
        MemorySegment desc = arena.allocate(POOLING_DESC_BYTES, 8);
        long[] dilations = new long[window.dilations.length];
        for (int i = 0; i < dilations.length; i++) dilations[i] = window.dilations[i] - 1; // oneDNN counts gaps
        // 11 words for a 10-argument function: Downcall has no 10-word call, and the callee ignores
        // the trailing zero (see Downcall)
        Downcall init = dnnl.function("dnnl_pooling_v2_forward_desc_init", "wwwwwwwwwww");
        try {
            int status = (int) init.call(desc.address(), Dnnl.FORWARD_INFERENCE, window.algorithm.kind, src.address(),
                    dst.address(), Dnnl.dimsOf(arena, window.strides).address(), Dnnl.dimsOf(arena, window.kernel).address(),
                    Dnnl.dimsOf(arena, dilations).address(), Dnnl.dimsOf(arena, window.padsBegin).address(),
                    Dnnl.dimsOf(arena, window.padsEnd).address(), 0L);
            return status == 0 ? desc : null;
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_pooling_v2_forward_desc_init");
        }
    }

    /** One read per tap: threads only for large pools ({@link NativeKernelRules#threadsFor}). */
    @Override
    long flops() {
        long n = 1;
        for (long d : window.outShape) n *= d;
        for (long k : window.kernel) n *= k;
        return n;
    }

    /** Pools {@code x} into {@code y} (native memory, each in this kernel's layout). */
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, int threads) {
        if (!x.isNative() || !y.isNative()) {
            throw new NativeKernelException("oneDNN pooling needs native memory: " + this);
        }
        Built b = built(threads);
        runOn(b, X, x, Y, y, scratch);
    }

    private MemorySegment blocked(Arena arena, long[] shape) {
        return dnnl.mdByTag(arena, shape, Dnnl.F32, Dnnl.TAG_NCHW16C);
    }

    private MemorySegment layout(Arena arena, long[] shape, boolean blocked) {
        return blocked ? blocked(arena, shape) : dnnl.mdByTag(arena, shape, Dnnl.F32, Dnnl.plainTag(shape.length));
    }

    @Override
    public String toString() {
        return "oneDNN pooling " + defaultBuilt().implementation() + " " + window
                + (blockedIn ? " blocked in" : "") + (blockedOut ? " blocked out" : "");
    }
}
