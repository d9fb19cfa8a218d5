package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.ops.NodeContext;
import java.util.Optional;

/**
 * The GEMM kernel of a Gemm or MatMul node. A one-row product (a fully connected layer at batch
 * 1) goes to the Java kernels whenever they are among the selected providers: their
 * {@link dev.edgerun.runtime.kernels.F32Gemv} needs no downcall and no packing of A, and measured
 * faster than oneDNN and XNNPACK at every such shape tried here (single thread, median of 2000):
 * 1x128x64 0.32 us against 0.87 (oneDNN) and 0.57 (XNNPACK), 1x10x128 0.23 against 0.62 and 0.23,
 * 1x12x64 0.12 against 0.72 and 0.16, 1x1000x1280 55 us against 60 and 86. Large one-row products
 * (more than {@link #JAVA_GEMV_MAX_WEIGHTS} weights) still take the first provider: the Java GEMV
 * runs with boxed vectors until the JIT's optimizing compiler has it, and a classifier called once per
 * run takes many runs to get there (mobilenet_v2's 1x1000x1280 took 9 ms per run for its first 50
 * runs, against 0.3 ms from oneDNN), for a steady-state gain of 5 us. Everything else takes the first
 * provider that supports it.
 */
final class GemmKernels {
    /** Weights (k x n) up to which a one-row product prefers the Java GEMV: 1 MiB of float32. */
    static final long JAVA_GEMV_MAX_WEIGHTS = 256 * 1024;

    private GemmKernels() {}

    /**
     * Whether {@link #choose} would give {@code spec} (a one-row product) to the Java kernels with
     * vectors: then a Gemm with constant weights runs {@link dev.edgerun.runtime.kernels.F32DenseRow}.
     */
    static boolean javaVectorsTakeRow(KernelProvider.GemmSpec spec) {
        return spec.m() == 1 && (long) spec.k() * spec.n() <= JAVA_GEMV_MAX_WEIGHTS
                && KernelSelection.defaults().provider("java").map(p -> p.availability().available()).orElse(false);
    }

    static KernelProvider.GemmKernel choose(NodeContext ctx, KernelProvider.GemmSpec spec) {
        KernelSelection selection = KernelSelection.defaults();
        if (spec.m() == 1 && (long) spec.k() * spec.n() <= JAVA_GEMV_MAX_WEIGHTS) {
            Optional<KernelProvider.GemmKernel> java = selection.provider("java").flatMap(p -> p.gemm(spec));
            if (java.isPresent()) return java.get();
        }
        return selection.gemm(spec).orElseThrow(() -> ctx.unsupported("no kernel provider supports " + spec));
    }
}
