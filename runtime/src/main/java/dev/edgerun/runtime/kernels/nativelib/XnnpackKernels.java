package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.kernels.KernelProvider;
import java.util.Optional;

/**
 * XNNPACK (libXNNPACK.so.0, the 2022 operator API) as a {@link KernelProvider}: float32 1-D/2-D
 * convolution and GEMM with constant weights. First choice on arm64 (where Debian's oneDNN has
 * only reference int8 and SVE kernels a Raspberry Pi lacks); on x86-64 it ranks below oneDNN
 * and above the Java kernels, and {@code -Dedgerun.kernels=xnnpack} forces it. Specs it cannot
 * run exactly (transposed A, alpha, weights known only at run time) are left to the others. The
 * library is opened when a node first wants one of its kernels: on x86-64 with oneDNN present,
 * which takes every spec XNNPACK's rules would accept there, only when a oneDNN kernel fails.
 */
public final class XnnpackKernels implements KernelProvider {
    private static final ProviderAttempts ATTEMPTS = new ProviderAttempts("XNNPACK", XnnpackKernels.class);

    @Override
    public String name() {
        return "xnnpack";
    }

    @Override
    public Availability availability() {
        String failure = Xnnpack.get().failure();
        return failure == null ? Availability.YES : Availability.no(failure);
    }

    /** XNNPACK is opened when a node first wants one of its kernels (or when forced, at discovery). */
    @Override
    public boolean checksAvailabilityWhenAsked() {
        return true;
    }

    @Override
    public int priority() {
        return NativeKernelRules.isX86() ? 30 : 60;
    }

    @Override
    public Optional<GemmKernel> gemm(GemmSpec spec) {
        if (spec.dtype() != DType.FLOAT || !XnnpackGemmKernel.supports(spec)) return Optional.empty();
        if (!forced() && !NativeKernelRules.xnnpackGemm(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        return ATTEMPTS.attempt("gemm", spec, () -> new XnnpackGemmKernel(Xnnpack.get(), spec));
    }

    @Override
    public Optional<ConvKernel> conv(ConvSpec spec) {
        if (spec.dtype() != DType.FLOAT || spec.constantWeight() == null || spec.spatialRank() > 2) return Optional.empty();
        if (!forced() && !NativeKernelRules.xnnpackConv(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        return ATTEMPTS.attempt("conv", spec, () -> new XnnpackConvKernel(Xnnpack.get(), spec));
    }

    @Override
    public Optional<Q8ConvKernel> q8conv(Q8ConvSpec spec) {
        ConvSpec g = spec.geometry();
        if (g.constantWeight() == null || g.constantWeight().dtype() != DType.INT8 || g.spatialRank() < 1
                || g.spatialRank() > 2) {
            return Optional.empty();
        }
        if (spec.multipliers().length != 1 && spec.multipliers().length != g.weightShape()[0]) return Optional.empty();
        if (!forced() && !autoQ8Conv()) return Optional.empty();
        if (!ATTEMPTS.available(this) || !Xnnpack.get().hasQc8()) return Optional.empty();
        return ATTEMPTS.attempt("q8conv", spec, () -> new XnnpackQ8ConvKernel(Xnnpack.get(), spec));
    }

    /**
     * XNNPACK 8-bit convolution in automatic selection: on arm64 (its NEON dot-product kernels;
     * not measured here, no arm64 machine), not on x86-64, where oneDNN's VNNI kernels are far
     * faster and Debian's XNNPACK build lacks VNNI.
     */
    private static boolean autoQ8Conv() {
        return !NativeKernelRules.isX86();
    }

    private boolean forced() {
        return ProviderAttempts.forced(name());
    }

    @Override
    public String toString() {
        return "xnnpack";
    }
}
