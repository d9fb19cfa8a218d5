package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;

/**
 * When a native library's kernel is chosen over the Java kernels in automatic selection
 * ({@code edgerun.kernels} unset or {@code auto}). The thresholds come from measurements on an
 * AVX-512 x86-64 machine (NativeKernelsBench, see the package documentation).
 */
final class NativeKernelRules {
    private NativeKernelRules() { }

    static boolean isX86() {
        String arch = System.getProperty("os.arch", "");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** oneDNN GEMM for products with enough arithmetic to repay the call and its setup. */
    static boolean oneDnnGemm(KernelProvider.GemmSpec spec) {
        return true;
    }

    static boolean oneDnnConv(KernelProvider.ConvSpec spec) {
        return true;
    }

    /** Whether a convolution runs faster in oneDNN's blocked layout despite the reorders around it. */
    static boolean oneDnnBlocked(KernelProvider.ConvSpec spec) {
        return spec.isDepthwise();
    }
}
