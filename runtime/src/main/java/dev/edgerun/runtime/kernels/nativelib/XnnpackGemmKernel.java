package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A float32 GEMM with constant B run as XNNPACK's fully connected operator ({@code Y = A . B},
 * B given as {@code [n, k]} when {@code transB}, else as {@code [k, n]} with the transpose flag;
 * XNNPACK packs it at creation). When the spec accumulates (Gemm's C), the product goes to
 * scratch and is added to Y.
 */
final class XnnpackGemmKernel implements KernelProvider.GemmKernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Xnnpack xnn;
    private final KernelProvider.GemmSpec spec;
    private final XnnpackOperators operators;

    XnnpackGemmKernel(Xnnpack xnn, KernelProvider.GemmSpec spec) {
        this.xnn = xnn;
        this.spec = spec;
        // a copy: operators made later (for concurrent runs) must not depend on the model's tensor staying open
        long bytes = 4L * spec.k() * spec.n();
        MemorySegment weights = java.lang.foreign.Arena.ofAuto().allocate(bytes, 64)
                .copyFrom(spec.constantB().data().asSlice(0, bytes));
        int flags = spec.transB() ? 0 : Xnnpack.FLAG_TRANSPOSE_WEIGHTS;
        operators = new XnnpackOperators(this, xnn, () -> xnn.createFullyConnected(spec.k(), spec.n(), weights, flags));
    }

    static boolean supports(KernelProvider.GemmSpec spec) {
        return spec.constantB() != null && spec.constantA() == null && !spec.transA() && spec.alpha() == 1f;
    }

    @Override
    public long scratchBytes() {
        return spec.accumulate() ? 4L * spec.m() * spec.n() : 0;
    }

    @Override
    public void run(MemorySegment a, long aOffset, MemorySegment b, long bOffset, MemorySegment y, long yOffset,
                    MemorySegment scratch, Parallel par) {
        if (!a.isNative() || !y.isNative() || (spec.accumulate() && !scratch.isNative())) {
            KernelProvider.GemmKernel f = DnnlKernel.javaKernels().gemm(spec).orElseThrow();
            f.run(a, aOffset, b, bOffset, y, yOffset, DnnlKernel.heapScratch(f.scratchBytes()), par);
            return;
        }
        long target = spec.accumulate() ? scratch.address() : y.address() + yOffset;
        long pool = xnn.pool(NativeKernelRules.threadsFor(spec.flops(), par.threads()));
        long op = operators.acquire();
        try {
            xnn.setupFullyConnected(op, spec.m(), a.address() + aOffset, target, pool);
            xnn.run(op, pool);
        } finally {
            operators.release(op);
        }
        long count = (long) spec.m() * spec.n();
        if (spec.accumulate()) {
            for (long i = 0; i < count; i++) {
                long at = yOffset + 4 * i;
                y.set(F, at, y.get(F, at) + scratch.getAtIndex(F, i));
            }
        }
        if (spec.epilogue() != null) {
            for (int i = 0; i < spec.m(); i++) spec.epilogue().apply(y, yOffset + 4L * i * spec.n(), spec.n());
        }
    }

    @Override
    public String toString() {
        return "XNNPACK fully_connected_nc_f32 " + spec;
    }
}
