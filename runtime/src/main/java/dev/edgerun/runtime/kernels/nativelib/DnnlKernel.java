package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Vectors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * What the oneDNN kernels share: one {@link DnnlProgram} per thread count (built on first use,
 * the default one at compile time), constant operands reordered once into the layout the chosen
 * implementation wants, and scratch memory laid out per program.
 */
abstract class DnnlKernel {
    /** OpenMP's default team size, read before anything changed it: the count built at compile time. */
    static final int DEFAULT_THREADS = Math.max(1, Dnnl.get().failure() == null ? Dnnl.get().maxThreads() : 1);
    private static final int MAX_THREADS = 256;

    /** A program for one thread count, with its scratch layout and the implementation oneDNN chose. */
    record Built(DnnlProgram program, ScratchPlan scratch, long zeroBias, String implementation) { }

    final Dnnl dnnl;
    private final Built[] byThreads = new Built[MAX_THREADS + 1];
    /** Null where {@value #ADAPTIVE_THREADS_PROPERTY} is {@code off}: the most threads allowed, always. */
    private final DnnlThreadChoice threadChoice =
            System.getProperty(ADAPTIVE_THREADS_PROPERTY, "on").trim().equals("off") ? null : new DnnlThreadChoice();

    /** {@value #ADAPTIVE_THREADS_PROPERTY}: {@code on} (default, {@link DnnlThreadChoice}) or {@code off}; read per kernel. */
    static final String ADAPTIVE_THREADS_PROPERTY = "edgerun.onednn.adaptiveThreads";

    DnnlKernel(Dnnl dnnl) {
        this.dnnl = dnnl;
    }

    /**
     * Builds the program for {@code threads} in an arena the program then owns; null (and the arena
     * closed) when oneDNN has no implementation.
     */
    final Built build(int threads) {
        Arena arena = Arena.ofShared();
        boolean done = false;
        try {
            Built b = buildIn(arena, threads);
            done = b != null;
            if (done) b.program().reportTo(threadChoice);
            return b;
        } finally {
            if (!done) arena.close();
        }
    }

    /** The primitive for {@code threads}, its descriptors allocated in {@code arena}; null when unsupported. */
    abstract Built buildIn(Arena arena, int threads);

    /**
     * Whether oneDNN can run this spec, asked without building the default program: that is built
     * on first use ({@link #defaultBuilt}), so that kernels the planner replaces by others for
     * internal layouts ({@code withInternalLayouts}) are never built. For kernels that override
     * {@link #primitiveDescIn}; the others build at once ({@link #initialize}).
     */
    final boolean probe() {
        try (Arena arena = Arena.ofConfined()) {
            long pd = primitiveDescIn(arena, initialThreads());
            if (pd == 0) return false;
            dnnl.primitiveDescDestroy(pd);
            return true;
        }
    }

    /** The primitive descriptor {@link #buildIn} would build from, or 0 when oneDNN has no (non-reference) implementation. */
    long primitiveDescIn(Arena arena, int threads) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " builds at once: call initialize()");
    }

    /** Builds the default program; false when oneDNN cannot run this spec. */
    final boolean initialize() {
        int t = initialThreads();
        Built b = build(t);
        if (b == null) return false;
        byThreads[t] = b;
        return true;
    }

    /** The session's count when its planner declared it ({@link KernelSelection#plannedThreads}), else OpenMP's default. */
    private final int plannedThreads = KernelSelection.plannedThreads() > 0 ? KernelSelection.plannedThreads() : DEFAULT_THREADS;

    final int initialThreads() {
        return Math.clamp(NativeKernelRules.threadsFor(flops(), plannedThreads), 1, MAX_THREADS);
    }

    final Built defaultBuilt() {
        int t = initialThreads();
        Built b = byThreads[t];
        return b != null ? b : builtFor(t);
    }

    /** Floating-point operations of one run, for {@link NativeKernelRules#threadsFor}. */
    abstract long flops();

    /**
     * The program for a run with {@code threads} session threads: for as many threads as
     * {@link NativeKernelRules#threadsFor} allows, or, for a kernel under
     * {@link NativeKernelRules#MEASURED_THREADS_MAX_FLOPS}, for one thread where
     * {@link DnnlThreadChoice} measured that faster.
     */
    final Built built(int threads) {
        int most = Math.clamp(NativeKernelRules.threadsFor(flops(), threads), 1, MAX_THREADS);
        boolean measured = most > 1 && threadChoice != null && flops() < NativeKernelRules.MEASURED_THREADS_MAX_FLOPS;
        int t = measured ? threadChoice.next(most) : most;
        Built b = byThreads[t];
        return b != null ? b : builtFor(t);
    }

    /**
     * One run of {@code b}'s program with buffer {@code xBuffer} at {@code x}, {@code yBuffer} at
     * {@code y} and the scratch buffers in {@code scratch}: the run of every kernel whose program
     * reads one source and writes one destination.
     */
    static void runOn(Built b, int xBuffer, MemorySegment x, int yBuffer, MemorySegment y, MemorySegment scratch) {
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[xBuffer] = x.address();
            slot.address[yBuffer] = y.address();
            b.scratch().assign(slot, scratch);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
    }

    /** The program for {@code t} threads, built now when it is not yet. */
    private Built builtFor(int t) {
        synchronized (this) {
            Built b;
            b = byThreads[t];
            if (b == null) {
                b = build(t);
                if (b == null) throw new NativeKernelException("oneDNN has no implementation at " + t + " threads for " + this);
                byThreads[t] = b;
            }
            return b;
        }
    }

    /** Whether the program for {@code threads} threads has been built. */
    final boolean hasProgramFor(int threads) {
        return byThreads[threads] != null;
    }

    /** A primitive descriptor under {@code threads} OpenMP threads with a user scratchpad; 0 when unimplemented. */
    final long createPrimitiveDesc(MemorySegment opDesc, float alpha, boolean accumulate, int threads) {
        return createPrimitiveDesc(opDesc, alpha, accumulate, null, threads);
    }

    /** The same, with {@code postOp} (nullable) run by the primitive on its output. */
    final long createPrimitiveDesc(MemorySegment opDesc, float alpha, boolean accumulate, DnnlEltwise postOp,
                                   int threads) {
        long attr = dnnl.attributes(alpha, accumulate, postOp);
        try {
            dnnl.setThreads(threads);
            return dnnl.primitiveDesc(opDesc, attr);
        } finally {
            dnnl.attrDestroy(attr);
        }
    }

    /**
     * Copies a constant operand {@code data} (laid out as {@code from}) into new memory of layout
     * {@code to} in {@code arena}, once; returns the memory object over it (also added to {@code memories}).
     */
    final long reorderConstant(Arena arena, MemorySegment from, MemorySegment to, MemorySegment data, List<Long> memories) {
        MemorySegment packed = arena.allocate(Math.max(dnnl.mdSize(to), 4), 64);
        long target = dnnl.memoryCreate(to, packed.address());
        memories.add(target);
        if (dnnl.mdEqual(from, to)) {
            packed.copyFrom(data.asSlice(0, Math.min(data.byteSize(), packed.byteSize())));
            return target;
        }
        long source = dnnl.memoryCreate(from, data.address());
        long pd = dnnl.reorderDesc(from, to);
        if (pd == 0) throw new NativeKernelException("oneDNN cannot reorder constant weights");
        long primitive = dnnl.primitiveCreate(pd);
        long stream = dnnl.streamCreate();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = a.allocate(32, 8);
            args.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, Dnnl.ARG_FROM);
            args.set(java.lang.foreign.ValueLayout.JAVA_LONG, 8, source);
            args.set(java.lang.foreign.ValueLayout.JAVA_INT, 16, Dnnl.ARG_TO);
            args.set(java.lang.foreign.ValueLayout.JAVA_LONG, 24, target);
            dnnl.execute(primitive, stream, 2, args.address());
        } finally {
            dnnl.streamDestroy(stream);
            dnnl.primitiveDestroy(primitive);
            dnnl.primitiveDescDestroy(pd);
            dnnl.memoryDestroy(source);
        }
        return target;
    }

    /**
     * The step running primitive {@code pd} on {@code buffers}, plus the scratchpad it asks for as
     * buffer {@code scratchpadBuffer}, whose size is added to {@code scratch} (0 where it asks for none).
     */
    final DnnlProgram.Step primitiveStep(Arena arena, long pd, List<DnnlProgram.Arg> buffers, ScratchPlan scratch,
                                         int scratchpadBuffer) {
        MemorySegment scratchpadMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
        long scratchpad = dnnl.mdSize(scratchpadMd);
        scratch.add(scratchpadBuffer, scratchpad);
        List<DnnlProgram.Arg> args = new ArrayList<>(buffers);
        if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchpadMd, scratchpadBuffer));
        return new DnnlProgram.Step(dnnl.primitiveCreate(pd), args);
    }

    /** A reorder step from buffer {@code fromBuffer} (layout {@code from}) to buffer {@code toBuffer}. */
    final DnnlProgram.Step reorderStep(MemorySegment from, int fromBuffer, MemorySegment to, int toBuffer) {
        long pd = dnnl.reorderDesc(from, to);
        if (pd == 0) throw new NativeKernelException("oneDNN cannot reorder activations");
        try {
            return new DnnlProgram.Step(dnnl.primitiveCreate(pd), List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_FROM, from, fromBuffer),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_TO, to, toBuffer)));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    static JavaKernels javaKernels() {
        return Vectors.enabled() ? JavaKernels.vector() : JavaKernels.scalar();
    }

    /** Scratch for the rare run on heap memory (Java fallback); allocated per such run. */
    static MemorySegment heapScratch(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 4), 64);
    }
}
