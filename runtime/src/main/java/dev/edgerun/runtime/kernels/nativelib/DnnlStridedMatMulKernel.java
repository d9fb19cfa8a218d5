package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The batched products of a MatMul with folded Transposes, division and Softmax (attention's
 * {@code softmax(Q.K^T / sqrt(d))} and {@code P.V}, see {@code F32StridedMatMul}) as oneDNN
 * primitives: reorders of the operands from where the Transposes left them (3-D memory
 * descriptors with their strides) into dense scratch, one matmul with the division as its output
 * scale ({@code 1 / divisor}), the Softmax over the last axis as a softmax primitive in place,
 * and a reorder of Y to where the folded output Transpose puts it.
 *
 * <p>Why: the Java kernel runs its Vector API operations in the interpreter until the JIT has
 * compiled it, which takes many runs; oneDNN's code is native from the first call
 * ({@link ColdStart}). Why the dense copies: on strided operands oneDNN 2.6 picks its gemm:jit
 * matmul, whose first call in a process generated its kernels for 69-128 ms (load ~14), where the
 * brgemm matmul it picks on dense ones took 0.5-1.9 ms and each reorder about 0.1 ms.
 *
 * <p>Only batch offsets in arithmetic progression per operand are expressible as one batch
 * stride (every attention layout is); others get no kernel.
 */
public final class DnnlStridedMatMulKernel extends DnnlKernel {
    private static final int A = 0, B = 1, Y = 2, SCRATCHPAD = 3, A_DENSE = 4, B_DENSE = 5, Y_DENSE = 6, BUFFERS = 7;
    private static final int SOFTMAX_DESC_BYTES = 2048; // dnnl_softmax_desc_t of 2.x: two memory descriptors and a few ints

    /** {@value #PROPERTY}: {@code on} (default) or {@code off} (the Java kernel, for comparisons); read per node. */
    public static final String PROPERTY = "edgerun.onednn.stridedMatMul";

    private final long[] aDims, aStrides, bDims, bStrides, yDims, yStrides; // (batch, rows, columns) and their strides in floats
    private final long aBase, bBase, yBase; // bytes from the operands' starts to batch 0
    private final float divisor;
    private final boolean softmax;

    private DnnlStridedMatMulKernel(Dnnl dnnl, int batches, int m, int n, int k, Batch a, long[] aStrides, Batch b,
                                    long[] bStrides, Batch y, int ldy, float divisor, boolean softmax) {
        super(dnnl);
        this.aDims = new long[] {a.count(batches), m, k};
        this.aStrides = new long[] {a.stride(), aStrides[0], aStrides[1]};
        this.bDims = new long[] {b.count(batches), k, n};
        this.bStrides = new long[] {b.stride(), bStrides[0], bStrides[1]};
        this.yDims = new long[] {batches, m, n};
        this.yStrides = new long[] {y.stride(), ldy, 1};
        this.aBase = 4 * a.first();
        this.bBase = 4 * b.first();
        this.yBase = 4 * y.first();
        this.divisor = divisor;
        this.softmax = softmax;
    }

    /**
     * The kernel for {@code Y[t] = epilogue(A[t] . B[t])} with the operands laid out as
     * {@code F32StridedMatMul} takes them (offsets and strides in floats), where the epilogue
     * divides by {@code divisor} (1: none) and then applies Softmax over each row when
     * {@code softmax}; empty where {@value #PROPERTY} is {@code off}, oneDNN is not among the
     * kernel providers in use, the batch offsets are no arithmetic progression, or oneDNN has only
     * its reference implementation.
     */
    public static Optional<DnnlStridedMatMulKernel> create(int m, int n, int k, long[] aOff, long[] aStrides, long[] bOff,
                                                           long[] bStrides, long[] yOff, int ldy, float divisor,
                                                           boolean softmax) {
        if (System.getProperty(PROPERTY, "on").trim().equals("off")) return Optional.empty();
        if (KernelSelection.defaults().provider("onednn").isEmpty()) return Optional.empty();
        Batch a = Batch.of(aOff), b = Batch.of(bOff), y = Batch.of(yOff);
        if (a == null || b == null || y == null || y.stride() == 0 && yOff.length > 1 || m == 0 || n == 0 || k == 0) {
            return Optional.empty();
        }
        Dnnl dnnl = Dnnl.get();
        if (dnnl.failure() != null) return Optional.empty();
        var kernel = new DnnlStridedMatMulKernel(dnnl, yOff.length, m, n, k, a, aStrides, b, bStrides, y, ldy, divisor, softmax);
        return kernel.initialize() ? Optional.of(kernel) : Optional.empty();
    }

    /**
     * Batch offsets {@code first + t * stride}; an operand whose batches all start at one offset
     * is broadcast (one batch in its descriptor).
     */
    private record Batch(long first, long stride, boolean broadcast) {
        static Batch of(long[] offsets) {
            if (offsets.length == 0) return null;
            long step = offsets.length > 1 ? offsets[1] - offsets[0] : 0;
            for (int t = 1; t < offsets.length; t++) if (offsets[t] - offsets[t - 1] != step) return null;
            return step < 0 ? null : new Batch(offsets[0], step, step == 0);
        }

        long count(int batches) {
            return broadcast ? 1 : batches;
        }
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        MemorySegment aMd = dnnl.mdByStrides(arena, aDims, Dnnl.F32, strides(aDims, aStrides));
        MemorySegment bMd = dnnl.mdByStrides(arena, bDims, Dnnl.F32, strides(bDims, bStrides));
        MemorySegment yMd = dnnl.mdByStrides(arena, yDims, Dnnl.F32, strides(yDims, yStrides));
        MemorySegment aDense = dense(arena, aDims), bDense = dense(arena, bDims), yDense = dense(arena, yDims);
        boolean copyA = !dnnl.mdEqual(aMd, aDense), copyB = !dnnl.mdEqual(bMd, bDense), copyY = !dnnl.mdEqual(yMd, yDense);
        List<Long> owned = new ArrayList<>(); // primitives, destroyed here unless the program takes them
        List<Long> pds = new ArrayList<>();
        try {
            List<DnnlProgram.Step> steps = new ArrayList<>();
            ScratchPlan scratch = new ScratchPlan();
            if (copyA && !addReorder(steps, owned, pds, aMd, A, aDense, A_DENSE, scratch)) return null;
            if (copyB && !addReorder(steps, owned, pds, bMd, B, bDense, B_DENSE, scratch)) return null;
            long matmulPd = createPrimitiveDesc(dnnl.matmulDesc(arena, aDense, bDense, null, yDense), 1f / divisor, false, threads);
            if (matmulPd == 0) return null;
            pds.add(matmulPd);
            if (dnnl.isReference(matmulPd)) return null;
            int yBuffer = copyY ? Y_DENSE : Y;
            if (copyY) scratch.add(Y_DENSE, dnnl.mdSize(yDense));
            MemorySegment scratchMd = dnnl.queryMd(arena, matmulPd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchMd);
            List<DnnlProgram.Arg> matmulArgs = new ArrayList<>(List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, aDense, copyA ? A_DENSE : A),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_WEIGHTS, bDense, copyB ? B_DENSE : B),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yDense, yBuffer)));
            if (scratchpad > 0) matmulArgs.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchMd, SCRATCHPAD));
            String impl = dnnl.implementation(matmulPd);
            steps.add(new DnnlProgram.Step(created(owned, matmulPd), matmulArgs));
            if (softmax) {
                long softmaxPd = createPrimitiveDesc(softmaxDesc(arena, yDense), 1f, false, threads);
                if (softmaxPd == 0) return null;
                pds.add(softmaxPd);
                if (dnnl.isReference(softmaxPd)) return null;
                MemorySegment softmaxScratchMd = dnnl.queryMd(arena, softmaxPd, Dnnl.QUERY_SCRATCHPAD_MD);
                List<DnnlProgram.Arg> softmaxArgs = new ArrayList<>(List.of(
                        DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, yDense, yBuffer),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yDense, yBuffer)));
                if (dnnl.mdSize(softmaxScratchMd) > 0) {
                    scratchpad = Math.max(scratchpad, dnnl.mdSize(softmaxScratchMd));
                    softmaxArgs.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, softmaxScratchMd, SCRATCHPAD));
                }
                impl += " + softmax " + dnnl.implementation(softmaxPd);
                steps.add(new DnnlProgram.Step(created(owned, softmaxPd), softmaxArgs));
            }
            if (copyY && !addReorder(steps, owned, pds, yDense, Y_DENSE, yMd, Y, null)) return null;
            scratch.add(SCRATCHPAD, scratchpad);
            DnnlProgram program = new DnnlProgram(dnnl, steps, BUFFERS, threads, arena, List.of());
            owned.clear(); // the program owns them now
            return new Built(program, scratch, 0, impl + (copyA || copyB || copyY ? " (dense copies)" : ""));
        } finally {
            for (long p : owned) dnnl.primitiveDestroy(p);
            for (long pd : pds) dnnl.primitiveDescDestroy(pd);
        }
    }

    /** A plain row-major descriptor of {@code dims}: the layout oneDNN's brgemm matmul takes. */
    private MemorySegment dense(Arena arena, long[] dims) {
        return dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.plainTag(dims.length));
    }

    /**
     * Appends a reorder of buffer {@code from} (layout {@code fromMd}) into buffer {@code to}
     * ({@code toMd}), reserving {@code to} in {@code scratch} when given; false when oneDNN has none.
     */
    private boolean addReorder(List<DnnlProgram.Step> steps, List<Long> owned, List<Long> pds, MemorySegment fromMd, int from,
                               MemorySegment toMd, int to, ScratchPlan scratch) {
        long pd = dnnl.reorderDesc(fromMd, toMd);
        if (pd == 0) return false;
        pds.add(pd);
        if (scratch != null) scratch.add(to, dnnl.mdSize(toMd));
        steps.add(new DnnlProgram.Step(created(owned, pd), List.of(
                DnnlProgram.Arg.buffer(Dnnl.ARG_FROM, fromMd, from), DnnlProgram.Arg.buffer(Dnnl.ARG_TO, toMd, to))));
        return true;
    }

    private long created(List<Long> owned, long pd) {
        long primitive = dnnl.primitiveCreate(pd);
        owned.add(primitive);
        return primitive;
    }

    /** {@code strides} with the batch stride of a broadcast (one-batch) operand made that of a dense batch: oneDNN checks it. */
    private static long[] strides(long[] dims, long[] strides) {
        if (dims[0] != 1) return strides;
        long[] s = strides.clone();
        s[0] = Math.max(Math.abs(strides[1]) * dims[1], Math.abs(strides[2]) * dims[2]);
        return s;
    }

    /** A forward-inference softmax over the last axis of {@code data}. */
    private MemorySegment softmaxDesc(Arena arena, MemorySegment data) {
        MemorySegment desc = arena.allocate(SOFTMAX_DESC_BYTES, 8);
        try {
            Dnnl.check((int) dnnl.function("dnnl_softmax_forward_desc_init", "wwww")
                    .call(desc.address(), Dnnl.FORWARD_INFERENCE, data.address(), yDims.length - 1), "dnnl_softmax_forward_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_softmax_forward_desc_init");
        }
        return desc;
    }

    @Override
    long flops() {
        return 2 * yDims[0] * yDims[1] * yDims[2] * aDims[2];
    }

    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    /** Whether {@link #run} can take these operands (oneDNN reads and writes native memory only). */
    public static boolean runsOn(MemorySegment a, MemorySegment b, MemorySegment y) {
        return a.isNative() && b.isNative() && y.isNative();
    }

    /** Every batch's product, on native memory ({@link #runsOn}); {@code scratch} holds {@link #scratchBytes}. */
    public void run(MemorySegment a, MemorySegment b, MemorySegment y, MemorySegment scratch, int threads) {
        Built built = built(threads);
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            slot.address[A] = a.address() + aBase;
            slot.address[B] = b.address() + bBase;
            slot.address[Y] = y.address() + yBase;
            built.scratch().assign(slot, scratch);
            built.program().run(slot);
        } finally {
            built.program().release(slot);
        }
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " A" + Arrays.toString(aDims) + " B" + Arrays.toString(bDims)
                + (divisor != 1f ? " / " + divisor : "") + (softmax ? " softmax" : "");
    }
}
