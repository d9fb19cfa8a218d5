package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * LayerNormalization of {@code rows} contiguous rows of {@code n} floats by oneDNN's
 * layer_normalization primitive (forward inference, per-element scale and optional shift), with
 * an optional residual Add before it (a post-LN transformer's {@code LayerNorm(x + r)}, folded by
 * the engine) as a binary primitive writing the sum into Y, normalized there in place.
 *
 * <p>Why: the Java kernel's Vector API loops run in the interpreter until the JIT has compiled
 * them; oneDNN's are native from the first call.
 */
public final class DnnlLayerNormKernel extends DnnlKernel {
    private static final int X = 0, RESIDUAL = 1, Y = 2, SCALE = 3, SHIFT = 4, SCRATCHPAD = 5, BUFFERS = 6;
    private static final int LAYER_NORMALIZATION_DESC_BYTES = 4096; // dnnl_layer_normalization_desc_t of 2.x: five memory descriptors and a few words
    private static final int BINARY_DESC_BYTES = 4096;              // dnnl_binary_desc_t of 2.x: three memory descriptors and a few words
    private static final int USE_SCALE = 0x8, USE_SHIFT = 0x10;     // dnnl_normalization_flags_t of 2.x
    private static final int BINARY_ADD = 0x1fff0;
    private static final int ARG_SRC_1 = 2, ARG_SCALE = 51, ARG_SHIFT = 52;

    /** {@value #PROPERTY}: {@code on} (default) or {@code off} (the Java kernel, for comparisons); read per node. */
    public static final String PROPERTY = "edgerun.onednn.layerNorm";

    private final long rows;
    private final long n;
    private final float epsilon;
    private final boolean shift;
    private final boolean residual;

    private DnnlLayerNormKernel(Dnnl dnnl, long rows, long n, float epsilon, boolean shift, boolean residual) {
        super(dnnl);
        this.rows = rows;
        this.n = n;
        this.epsilon = epsilon;
        this.shift = shift;
        this.residual = residual;
    }

    /**
     * The kernel for {@code rows x n} floats, with a shift (bias) when {@code shift} and the sum
     * {@code X + R} (R of X's shape) normalized when {@code residual}; empty where
     * {@value #PROPERTY} is {@code off}, oneDNN is not among the kernel providers in use, or it
     * has only its reference implementation.
     */
    public static Optional<DnnlLayerNormKernel> create(long rows, long n, float epsilon, boolean shift, boolean residual) {
        if (System.getProperty(PROPERTY, "on").trim().equals("off")) return Optional.empty();
        if (KernelSelection.defaults().provider("onednn").isEmpty() || rows <= 0 || n <= 0) return Optional.empty();
        Dnnl dnnl = Dnnl.get();
        if (dnnl.failure() != null) return Optional.empty();
        var kernel = new DnnlLayerNormKernel(dnnl, rows, n, epsilon, shift, residual);
        return kernel.initialize() ? Optional.of(kernel) : Optional.empty();
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment data = dnnl.mdByStrides(arena, new long[] {rows, n}, Dnnl.F32, new long[] {n, 1});
        MemorySegment weights = dnnl.mdByStrides(arena, new long[] {n}, Dnnl.F32, new long[] {1});
        long normPd = createPrimitiveDesc(layerNormDesc(arena, data), 1f, false, threads);
        if (normPd == 0) return null;
        long addPd = 0;
        List<Long> primitives = new ArrayList<>();
        try {
            if (dnnl.isReference(normPd)) return null;
            String impl = dnnl.implementation(normPd);
            List<DnnlProgram.Step> steps = new ArrayList<>();
            long scratchpad = 0;
            if (residual) {
                addPd = createPrimitiveDesc(binaryAddDesc(arena, data), 1f, false, threads);
                if (addPd == 0 || dnnl.isReference(addPd)) return null;
                MemorySegment addScratchMd = dnnl.queryMd(arena, addPd, Dnnl.QUERY_SCRATCHPAD_MD);
                scratchpad = dnnl.mdSize(addScratchMd);
                List<DnnlProgram.Arg> addArgs = new ArrayList<>(List.of(
                        DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, data, X),
                        DnnlProgram.Arg.buffer(ARG_SRC_1, data, RESIDUAL),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_DST, data, Y)));
                if (scratchpad > 0) addArgs.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, addScratchMd, SCRATCHPAD));
                long add = dnnl.primitiveCreate(addPd);
                primitives.add(add);
                steps.add(new DnnlProgram.Step(add, addArgs));
                impl = "add " + dnnl.implementation(addPd) + " + " + impl;
            }
            MemorySegment normScratchMd = dnnl.queryMd(arena, normPd, Dnnl.QUERY_SCRATCHPAD_MD);
            scratchpad = Math.max(scratchpad, dnnl.mdSize(normScratchMd));
            List<DnnlProgram.Arg> normArgs = new ArrayList<>(List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, data, residual ? Y : X), // the sum is normalized in place
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, data, Y),
                    DnnlProgram.Arg.buffer(ARG_SCALE, weights, SCALE)));
            if (shift) normArgs.add(DnnlProgram.Arg.buffer(ARG_SHIFT, weights, SHIFT));
            if (dnnl.mdSize(normScratchMd) > 0) normArgs.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, normScratchMd, SCRATCHPAD));
            long norm = dnnl.primitiveCreate(normPd);
            primitives.add(norm);
            steps.add(new DnnlProgram.Step(norm, normArgs));
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            DnnlProgram program = new DnnlProgram(dnnl, steps, BUFFERS, threads, arena, List.of());
            primitives.clear(); // owned by the program now
            return new Built(program, scratch, 0, impl);
        } finally {
            for (long p : primitives) dnnl.primitiveDestroy(p);
            dnnl.primitiveDescDestroy(normPd);
            if (addPd != 0) dnnl.primitiveDescDestroy(addPd);
        }
    }

    private MemorySegment layerNormDesc(Arena arena, MemorySegment data) {
        MemorySegment desc = arena.allocate(LAYER_NORMALIZATION_DESC_BYTES, 8);
        int flags = USE_SCALE | (shift ? USE_SHIFT : 0);
        try {
            Dnnl.check((int) dnnl.function("dnnl_layer_normalization_forward_desc_init", "wwwwfw")
                    .call(desc.address(), Dnnl.FORWARD_INFERENCE, data.address(), 0L, epsilon, flags),
                    "dnnl_layer_normalization_forward_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_layer_normalization_forward_desc_init");
        }
        return desc;
    }

    private MemorySegment binaryAddDesc(Arena arena, MemorySegment data) {
        MemorySegment desc = arena.allocate(BINARY_DESC_BYTES, 8);
        try {
            Dnnl.check((int) dnnl.function("dnnl_binary_desc_init", "wwwww")
                    .call(desc.address(), BINARY_ADD, data.address(), data.address(), data.address()), "dnnl_binary_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_binary_desc_init");
        }
        return desc;
    }

    /** A few passes over every element: threads only for large tensors ({@link NativeKernelRules#threadsFor}). */
    @Override
    long flops() {
        return 8 * rows * n;
    }

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    /** Whether {@link #run} can take these buffers (oneDNN reads and writes native memory only); null ones are not read. */
    public static boolean runsOn(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment scale, MemorySegment shift) {
        return x.isNative() && (residual == null || residual.isNative()) && y.isNative() && scale.isNative()
                && (shift == null || shift.isNative());
    }

    /**
     * {@code y = LayerNorm(x [+ residual]) * scale [+ shift]} on native memory ({@link #runsOn});
     * {@code residual} is read only by a kernel made with one, {@code shift} only by one with a shift.
     */
    public void run(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment scale, MemorySegment shift,
                    MemorySegment scratch, int threads) {
        Built built = built(threads);
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            slot.address[X] = x.address();
            slot.address[RESIDUAL] = this.residual ? residual.address() : 0;
            slot.address[Y] = y.address();
            slot.address[SCALE] = scale.address();
            slot.address[SHIFT] = this.shift ? shift.address() : 0;
            built.scratch().assign(slot, scratch);
            built.program().run(slot);
        } finally {
            built.program().release(slot);
        }
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " " + rows + "x" + n + (residual ? " +residual" : "");
    }
}
