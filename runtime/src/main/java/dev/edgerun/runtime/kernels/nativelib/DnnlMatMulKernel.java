package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A float32 GEMM run by oneDNN's matmul primitive over the engine's row-major buffers, with the
 * transposes expressed as strides, {@code alpha} as an output scale, {@code accumulate} as a sum
 * post-op and an epilogue that {@link DnnlEltwise#of} maps (Relu, Clip, tanh GELU, ...) as an
 * eltwise post-op after the sum, so that no Java pass runs over Y. A constant B (the weights of
 * Gemm/MatMul) is reordered once into the layout the chosen implementation prefers; a constant A
 * is copied once.
 *
 * <p>For a MatMul with a fused bias, planned as an accumulation onto Y filled with the bias row,
 * {@link #withRowBias} gives the same product with oneDNN's bias argument instead: Y is written
 * once. tiny_transformer's four products (M=32, single thread, minimum of 600 interleaved
 * batches, fill and sum against bias argument): 32x384x128 28.2 against 27.8 µs, 32x128x128 9.8
 * against 9.7, 32x512x128 37.4 against 36.9, 32x128x512 36.6 against 36.3.
 *
 * <p>An epilogue left to Java only for its steady-state speed (exact GELU, {@link DnnlEltwise#coldStart})
 * runs as a post-op of a second primitive for the node's first runs, while the Java epilogue is
 * still interpreted ({@link ColdStart}).
 */
final class DnnlMatMulKernel extends DnnlKernel implements KernelProvider.GemmKernel, RowBiasGemm {
    private static final int A = 0, B = 1, Y = 2, SCRATCHPAD = 3, BIAS = 4;

    private final KernelProvider.GemmSpec spec;
    private final DnnlEltwise postOp; // the epilogue, run by oneDNN; null: none or the Java epilogue
    private final boolean rowBias;    // adds a bias row (oneDNN's bias argument) instead of accumulating onto Y
    private final DnnlPackedWeights packedB; // a constant B, reordered once, shared with the row-bias form
    private volatile KernelProvider.GemmKernel fallback;
    private DnnlMatMulKernel coldStartKernel; // the product with the epilogue as a post-op, for the first runs; null: none
    private final ColdStart coldStart = ColdStart.forNode();

    private DnnlMatMulKernel(Dnnl dnnl, KernelProvider.GemmSpec spec, DnnlEltwise postOp, boolean rowBias,
                             DnnlPackedWeights packedB) {
        super(dnnl);
        this.spec = spec;
        this.postOp = postOp;
        this.rowBias = rowBias;
        this.packedB = packedB;
    }

    /**
     * The kernel, or null when oneDNN has no implementation for this product. The epilogue becomes
     * a post-op when oneDNN has it and accepts it here, else it runs in Java after the product.
     */
    static DnnlMatMulKernel create(Dnnl dnnl, KernelProvider.GemmSpec spec) {
        return create(dnnl, spec, false, new DnnlPackedWeights(dnnl));
    }

    private static DnnlMatMulKernel create(Dnnl dnnl, KernelProvider.GemmSpec spec, boolean rowBias,
                                           DnnlPackedWeights packedB) {
        DnnlEltwise postOp = postOps() ? DnnlEltwise.of(spec.epilogue()) : null;
        if (postOp != null) {
            DnnlMatMulKernel k = new DnnlMatMulKernel(dnnl, spec, postOp, rowBias, packedB);
            if (k.initialize()) return k;
        }
        DnnlMatMulKernel k = new DnnlMatMulKernel(dnnl, spec, null, rowBias, packedB);
        if (!k.initialize()) return null;
        // a fused bias goes to the row-bias form, which builds its own (MatMul asks for it whenever it can be had)
        boolean replacedByRowBias = !rowBias && spec.accumulate() && spec.alpha() == 1f && rowBiasAllowed();
        DnnlEltwise coldPostOp = postOps() && k.coldStart.usesNative() && !replacedByRowBias ? DnnlEltwise.coldStart(spec.epilogue()) : null;
        if (coldPostOp != null) {
            DnnlMatMulKernel cold = new DnnlMatMulKernel(dnnl, spec, coldPostOp, rowBias, packedB);
            if (cold.initialize()) k.coldStartKernel = cold;
        }
        return k;
    }

    /**
     * This product with oneDNN's bias argument in place of the sum post-op, sharing the reordered
     * weights; only for a plain accumulating product ({@code alpha} 1: oneDNN 2.x would scale the
     * bias too) of this kind. Null when oneDNN has no implementation for it, or when
     * {@value #ROW_BIAS_PROPERTY} is {@code off}.
     */
    @Override
    public RowBiasGemm.Kernel withRowBias() {
        if (rowBias || !spec.accumulate() || spec.alpha() != 1f || !rowBiasAllowed()) return null;
        DnnlMatMulKernel k = create(dnnl, plainProduct(spec), true, packedB);
        return k == null ? null : k.new RowBias();
    }

    /** {@code spec} without the accumulation (the row-bias form writes Y rather than adding to it). */
    private static KernelProvider.GemmSpec plainProduct(KernelProvider.GemmSpec s) {
        return new KernelProvider.GemmSpec(s.dtype(), s.m(), s.n(), s.k(), s.transA(), s.transB(), s.alpha(), false,
                s.constantA(), s.constantB(), s.epilogue());
    }

    /** {@value #ROW_BIAS_PROPERTY}: {@code on} (default) or {@code off} (bias rows filled into Y first, for comparisons). */
    static final String ROW_BIAS_PROPERTY = "edgerun.onednn.rowBias";

    private static boolean rowBiasAllowed() {
        return !System.getProperty(ROW_BIAS_PROPERTY, "on").trim().equals("off");
    }

    /** {@value #POST_OPS_PROPERTY}: {@code on} (default) or {@code off} (every epilogue in Java, for comparisons); read per kernel. */
    static final String POST_OPS_PROPERTY = "edgerun.onednn.matmulPostOps";

    private static boolean postOps() {
        return !System.getProperty(POST_OPS_PROPERTY, "on").trim().equals("off");
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        long m = spec.m(), n = spec.n(), k = spec.k();
        MemorySegment aMd = dnnl.mdByStrides(arena, new long[] {m, k}, Dnnl.F32,
                spec.transA() ? new long[] {1, m} : new long[] {k, 1});
        MemorySegment bUser = dnnl.mdByStrides(arena, new long[] {k, n}, Dnnl.F32,
                spec.transB() ? new long[] {1, k} : new long[] {n, 1});
        MemorySegment bAsk = spec.constantB() != null
                ? dnnl.mdByTag(arena, new long[] {k, n}, Dnnl.F32, Dnnl.TAG_ANY) : bUser;
        MemorySegment yMd = dnnl.mdByStrides(arena, new long[] {m, n}, Dnnl.F32, new long[] {n, 1});
        MemorySegment biasMd = rowBias ? dnnl.mdByStrides(arena, new long[] {1, n}, Dnnl.F32, new long[] {n, 1}) : null;
        MemorySegment desc = dnnl.matmulDesc(arena, aMd, bAsk, biasMd, yMd);
        long pd = createPrimitiveDesc(desc, spec.alpha(), spec.accumulate(), postOp, threads);
        if (pd == 0) return null;
        List<Long> memories = new ArrayList<>();
        try {
            MemorySegment bChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            MemorySegment scratchMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchMd);
            String impl = dnnl.implementation(pd);
            long matmul = dnnl.primitiveCreate(pd);
            List<DnnlProgram.Arg> args = new ArrayList<>();
            if (spec.constantA() != null) {
                // a copy: the kernel must not depend on the model's tensor staying open
                MemorySegment aCopy = arena.allocate(4L * m * k, 64)
                        .copyFrom(spec.constantA().data().asSlice(0, 4L * m * k));
                long aMem = dnnl.memoryCreate(aMd, aCopy.address());
                args.add(DnnlProgram.Arg.fixed(Dnnl.ARG_SRC, aMem));
            } else {
                args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, aMd, A));
            }
            if (spec.constantB() != null) {
                long bMem = packedB.memory(this, bUser, bChosen, spec.constantB().data());
                args.add(DnnlProgram.Arg.shared(Dnnl.ARG_WEIGHTS, bMem));
            } else {
                args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_WEIGHTS, bUser, B));
            }
            if (rowBias) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS));
            args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yMd, Y));
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchMd, SCRATCHPAD));
            DnnlProgram program = new DnnlProgram(dnnl, List.of(new DnnlProgram.Step(matmul, args)), 5, threads,
                    arena, memories);
            return new Built(program, scratch, 0, impl + (postOp != null ? " +eltwise" : "") + (rowBias ? " +bias" : ""));
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
        long own = defaultBuilt().scratch().total();
        return coldStartKernel == null ? own : Math.max(own, coldStartKernel.scratchBytes());
    }

    @Override
    public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment y, long yOffset,
                    MemorySegment scratch, Parallel par) {
        boolean aNative = spec.constantA() != null || a.isNative();
        boolean bNative = spec.constantB() != null || b.isNative();
        if (!aNative || !bNative || !y.isNative()) {
            KernelProvider.GemmKernel f = javaFallback();
            f.run(a, aOffset, b, bOffset, y, yOffset, heapScratch(f.scratchBytes()), par);
            return;
        }
        runNative(a, aOffset, b, bOffset, 0, y, yOffset, scratch, par);
    }

    /** The product on native memory; {@code biasAddress} is read only by the row-bias form. */
    private void runNative(MemorySegment a, long aOffset, MemorySegment b, long bOffset, long biasAddress,
                           MemorySegment y, long yOffset, MemorySegment scratch, Parallel par) {
        if (coldStartKernel != null && coldStart.nativeNow()) {
            coldStartKernel.runNative(a, aOffset, b, bOffset, biasAddress, y, yOffset, scratch, par);
            return;
        }
        Built built = built(par.threads());
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            if (spec.constantA() == null) slot.address[A] = a.address() + aOffset;
            if (spec.constantB() == null) slot.address[B] = b.address() + bOffset;
            slot.address[Y] = y.address() + yOffset;
            slot.address[BIAS] = biasAddress;
            built.scratch().assign(slot, scratch);
            built.program().run(slot);
        } finally {
            built.program().release(slot);
        }
        if (spec.epilogue() != null && postOp == null) {
            for (int i = 0; i < spec.m(); i++) spec.epilogue().apply(y, yOffset + 4L * i * spec.n(), spec.n());
        }
    }

    /** The row-bias form's entry: {@code Y = A . B + bias} by oneDNN, or the bias filled in and the Java kernel on heap memory. */
    private final class RowBias implements RowBiasGemm.Kernel {
        private volatile KernelProvider.GemmKernel heapFallback;

        @Override
        public long scratchBytes() {
            return DnnlMatMulKernel.this.scratchBytes();
        }

        @Override
        public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment bias, long biasOffset,
                        MemorySegment y, long yOffset, MemorySegment scratch, Parallel par) {
            boolean aNative = spec.constantA() != null || a.isNative();
            boolean bNative = spec.constantB() != null || b.isNative();
            if (!aNative || !bNative || !y.isNative() || !bias.isNative()) {
                fillRows(bias, biasOffset, y, yOffset);
                KernelProvider.GemmKernel f = heapFallback;
                if (f == null) heapFallback = f = javaKernels().gemm(accumulating(spec)).orElseThrow();
                f.run(a, aOffset, b, bOffset, y, yOffset, heapScratch(f.scratchBytes()), par);
                return;
            }
            runNative(a, aOffset, b, bOffset, bias.address() + biasOffset, y, yOffset, scratch, par);
        }

        private void fillRows(MemorySegment bias, long biasOffset, MemorySegment y, long yOffset) {
            long rowBytes = 4L * spec.n();
            for (int i = 0; i < spec.m(); i++) MemorySegment.copy(bias, biasOffset, y, yOffset + i * rowBytes, rowBytes);
        }

        @Override
        public String toString() {
            return DnnlMatMulKernel.this.toString();
        }

        private static KernelProvider.GemmSpec accumulating(KernelProvider.GemmSpec s) {
            return new KernelProvider.GemmSpec(s.dtype(), s.m(), s.n(), s.k(), s.transA(), s.transB(), s.alpha(), true,
                    s.constantA(), s.constantB(), s.epilogue());
        }
    }

    private KernelProvider.GemmKernel javaFallback() {
        KernelProvider.GemmKernel f = fallback;
        if (f == null) fallback = f = javaKernels().gemm(spec).orElseThrow();
        return f;
    }

    @Override
    public String toString() {
        return "oneDNN matmul " + defaultBuilt().implementation() + " " + spec
                + (coldStartKernel != null ? " (first runs: the epilogue as a post-op)" : "");
    }
}
