package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32BinaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A float32 element-wise binary operation (Add, Sub, Mul, Div; Max and Min in tests only: see
 * {@link #create}) run by oneDNN's binary primitive,
 * with an optional activation fused as an eltwise post-op ({@code dst = act(a op b)}). It is native
 * code from its first call, where the Java Vector API kernels run interpreted until C2 compiled
 * them (MobileNetV2's first residual Add took 60 ms cold).
 *
 * <p>Operands: {@code a} has the output's shape; {@code b} has it too, or broadcasts to it with
 * each dimension equal or 1 (oneDNN broadcasts source 1 only). Equal shapes are described as one
 * flat dimension: the result does not depend on the element order, so the same primitive serves
 * tensors the planner keeps in oneDNN's blocked layout (a residual Add between blocked
 * convolutions, see {@code Planner.InternalLayouts}) and plain ones.
 */
public final class DnnlBinaryKernel extends DnnlKernel {
    private static final int A = 0, B = 1, OUT = 2, SCRATCHPAD = 3;
    private static final int ARG_SRC_1 = 2; // DNNL_ARG_SRC_1 (source 0 is Dnnl.ARG_SRC)
    /** Bytes of a {@code dnnl_binary_desc_t} of 2.x (2 enums, 3 memory descriptors: 2096), rounded up. */
    private static final long BINARY_DESC_BYTES = 4096;
    private static final ProviderAttempts ATTEMPTS = new ProviderAttempts("oneDNN", DnnlBinaryKernel.class);

    private final F32BinaryOp op;
    private final long[] aDims;   // the output's dimensions, or one flat dimension for equal shapes
    private final long[] bDims;   // aDims with 1 where b broadcasts
    private final DnnlEltwise activation; // nullable
    private final long elements;

    private DnnlBinaryKernel(Dnnl dnnl, F32BinaryOp op, long[] aDims, long[] bDims, DnnlEltwise activation) {
        super(dnnl);
        this.op = op;
        this.aDims = aDims;
        this.bDims = bDims;
        this.activation = activation;
        long n = 1;
        for (long d : aDims) n *= d;
        this.elements = n;
    }

    /**
     * The kernel computing {@code activation(a op b)} (activation nullable) for {@code a} of the
     * output's shape {@code out} and {@code b} broadcasting to it (dims aligned at the right, each
     * equal or 1), or empty where that does not hold, the operation or activation is none oneDNN
     * has, oneDNN is not among the kernel providers in use, the Java kernel is the better choice
     * ({@link NativeKernelRules#oneDnnBinary}, unless oneDNN is forced), or it has only its
     * reference implementation. The caller swaps the operands of a commutative operation whose
     * {@code a} broadcasts. Never Max or Min, even forced: oneDNN's max(NaN, 1) is 1, ONNX's
     * (and the Java kernel's {@code Math.max}) NaN.
     */
    public static Optional<DnnlBinaryKernel> create(F32BinaryOp op, long[] a, long[] b, long[] out,
                                                    ActivationEpilogue activation) {
        if (op == F32BinaryOp.MAX || op == F32BinaryOp.MIN) return Optional.empty();
        if (algorithm(op) == 0 || !Arrays.equals(a, out) || !broadcastsTo(b, out) || count(out) == 0) return Optional.empty();
        DnnlEltwise postOp = activation == null ? null : DnnlEltwise.of(activation);
        if (activation != null && postOp == null) return Optional.empty();
        if (!ProviderAttempts.forced("onednn") && !NativeKernelRules.oneDnnBinary(op, count(out))) return Optional.empty();
        Optional<KernelProvider> provider = KernelSelection.defaults().provider("onednn");
        if (provider.isEmpty() || !ATTEMPTS.available(provider.get())) return Optional.empty();
        return ATTEMPTS.attempt("binary", Arrays.toString(out), () -> build(op, b, out, postOp));
    }

    /** The kernel for {@code b} broadcasting to {@code out} (checked by the caller), or null when oneDNN has only its reference. */
    static DnnlBinaryKernel build(F32BinaryOp op, long[] b, long[] out, DnnlEltwise postOp) {
        long[] aDims = Arrays.equals(b, out) ? new long[] {count(out)} : out.clone();
        long[] bDims = Arrays.equals(b, out) ? aDims : aligned(b, out.length);
        DnnlBinaryKernel k = new DnnlBinaryKernel(Dnnl.get(), op, aDims, bDims, postOp);
        return k.initialize() ? k : null;
    }

    /** {@code dnnl_alg_kind_t} of {@code op}; 0 for none. */
    static int algorithm(F32BinaryOp op) {
        return switch (op) {
            case ADD -> 0x1fff0;
            case MUL -> 0x1fff1;
            case MAX -> 0x1fff2;
            case MIN -> 0x1fff3;
            case DIV -> 0x1fff4;
            case SUB -> 0x1fff5;
            case PRELU -> 0;
        };
    }

    /** Whether {@code b} (rank at most {@code out}'s) has, aligned at the right, each dimension equal to out's or 1. */
    static boolean broadcastsTo(long[] b, long[] out) {
        if (b.length > out.length || out.length == 0 || out.length > Dnnl.MAX_DIMS) return false;
        for (int i = 1; i <= b.length; i++) {
            long d = b[b.length - i];
            if (d != 1 && d != out[out.length - i]) return false;
        }
        return true;
    }

    private static long[] aligned(long[] b, int rank) {
        long[] dims = new long[rank];
        Arrays.fill(dims, 1);
        System.arraycopy(b, 0, dims, rank - b.length, b.length);
        return dims;
    }

    private static long count(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment a = plain(arena, aDims), b = plain(arena, bDims), out = plain(arena, aDims);
        MemorySegment desc = arena.allocate(BINARY_DESC_BYTES, 8);
        Downcall init = dnnl.function("dnnl_binary_desc_init", "wwwww");
        try {
            Dnnl.check((int) init.call(desc.address(), algorithm(op), a.address(), b.address(), out.address()),
                    "dnnl_binary_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_binary_desc_init");
        }
        long pd = createPrimitiveDesc(desc, 1f, false, activation, threads);
        if (pd == 0) return null;
        try {
            if (dnnl.isReference(pd)) return null;
            ScratchPlan scratch = new ScratchPlan();
            DnnlProgram.Step step = primitiveStep(arena, pd, List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, a, A),
                    DnnlProgram.Arg.buffer(ARG_SRC_1, b, B),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, out, OUT)), scratch, SCRATCHPAD);
            String impl = dnnl.implementation(pd);
            DnnlProgram program = new DnnlProgram(dnnl, List.of(step), 4, threads, arena, List.of());
            return new Built(program, scratch, 0, impl);
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    private MemorySegment plain(Arena arena, long[] dims) {
        return dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.plainTag(dims.length));
    }

    /**
     * The work in FLOPs of oneDNN's convolutions taking as long, for {@link NativeKernelRules#threadsFor}
     * (about 40 µs per 2 MFLOP on one core): an Add of 200704 elements took 48-64 µs on one
     * thread, 0.24-0.32 ns an element, as long as about {@value #FLOPS_PER_ELEMENT} FLOPs. A second
     * thread is thus tried (and kept where measured faster, {@link DnnlThreadChoice}) from about
     * 170k elements, such as ResNet-18's first residual Adds.
     */
    @Override
    long flops() {
        return elements * FLOPS_PER_ELEMENT;
    }

    private static final long FLOPS_PER_ELEMENT = 12;

    /** The implementation oneDNN chose, such as {@code jit:uni}. */
    public String implementation() {
        return defaultBuilt().implementation();
    }

    /**
     * {@code out = activation(a op b)}; all three native memory (the caller runs the Java kernel
     * otherwise: see {@link #accepts}), {@code out} may be {@code a}.
     */
    public void run(MemorySegment a, MemorySegment b, MemorySegment out, MemorySegment scratch, int threads) {
        if (!accepts(a, b, out)) throw new NativeKernelException("oneDNN binary needs native memory: " + this);
        Built built = built(threads);
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            slot.address[A] = a.address();
            slot.address[B] = b.address();
            slot.address[OUT] = out.address();
            built.scratch().assign(slot, scratch);
            built.program().run(slot);
        } finally {
            built.program().release(slot);
        }
    }

    /** Whether {@link #run} can take these segments (tensors given by the caller may live on the Java heap). */
    public static boolean accepts(MemorySegment a, MemorySegment b, MemorySegment out) {
        return a.isNative() && b.isNative() && out.isNative();
    }

    @Override
    public String toString() {
        return "oneDNN binary " + op + " " + Arrays.toString(aDims) + " by " + Arrays.toString(bDims)
                + (activation == null ? "" : " then eltwise " + Integer.toHexString(activation.algorithm()));
    }
}
