package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A float32 GEMM run by oneDNN's matmul primitive over the engine's row-major buffers, with the
 * transposes expressed as strides, {@code alpha} as an output scale and {@code accumulate} as a
 * sum post-op. A constant B (the weights of Gemm/MatMul) is reordered once into the layout the
 * chosen implementation prefers; a constant A is copied once.
 */
final class DnnlMatMulKernel extends DnnlKernel implements KernelProvider.GemmKernel {
    private static final int A = 0, B = 1, Y = 2, SCRATCHPAD = 3;

    private final KernelProvider.GemmSpec spec;
    private volatile KernelProvider.GemmKernel fallback;

    private DnnlMatMulKernel(Dnnl dnnl, KernelProvider.GemmSpec spec) {
        super(dnnl);
        this.spec = spec;
    }

    /** The kernel, or null when oneDNN has no implementation for this product. */
    static DnnlMatMulKernel create(Dnnl dnnl, KernelProvider.GemmSpec spec) {
        DnnlMatMulKernel k = new DnnlMatMulKernel(dnnl, spec);
        return k.initialize() ? k : null;
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
        MemorySegment desc = dnnl.matmulDesc(arena, aMd, bAsk, null, yMd);
        long pd = createPrimitiveDesc(desc, spec.alpha(), spec.accumulate(), threads);
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
                long bMem = reorderConstant(arena, bUser, bChosen, spec.constantB().data(), memories);
                memories.remove(Long.valueOf(bMem)); // owned by the program's fixed argument
                args.add(DnnlProgram.Arg.fixed(Dnnl.ARG_WEIGHTS, bMem));
            } else {
                args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_WEIGHTS, bUser, B));
            }
            args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yMd, Y));
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchMd, SCRATCHPAD));
            DnnlProgram program = new DnnlProgram(dnnl, List.of(new DnnlProgram.Step(matmul, args)), 4, threads,
                    arena, memories);
            return new Built(program, scratch, 0, impl);
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
    public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment y, long yOffset,
                    MemorySegment scratch, Parallel par) {
        boolean aNative = spec.constantA() != null || a.isNative();
        boolean bNative = spec.constantB() != null || b.isNative();
        if (!aNative || !bNative || !y.isNative()) {
            KernelProvider.GemmKernel f = javaFallback();
            f.run(a, aOffset, b, bOffset, y, yOffset, heapScratch(f.scratchBytes()), par);
            return;
        }
        Built built = built(par.threads());
        DnnlProgram.Slot slot = built.program().acquire();
        try {
            if (spec.constantA() == null) slot.address[A] = a.address() + aOffset;
            if (spec.constantB() == null) slot.address[B] = b.address() + bOffset;
            slot.address[Y] = y.address() + yOffset;
            built.scratch().assign(slot, scratch);
            built.program().run(slot);
        } finally {
            built.program().release(slot);
        }
        if (spec.epilogue() != null) {
            for (int i = 0; i < spec.m(); i++) spec.epilogue().apply(y, yOffset + 4L * i * spec.n(), spec.n());
        }
    }

    private KernelProvider.GemmKernel javaFallback() {
        KernelProvider.GemmKernel f = fallback;
        if (f == null) fallback = f = javaKernels().gemm(spec).orElseThrow();
        return f;
    }

    @Override
    public String toString() {
        return "oneDNN matmul " + defaultBuilt().implementation() + " " + spec;
    }
}
