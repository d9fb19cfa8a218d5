package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.kernels.KernelProvider;
import java.util.Optional;

/**
 * oneDNN (libdnnl.so.2, the 2.x C API) as a {@link KernelProvider}: float32 convolution with
 * constant weights and float32 GEMM. Found through {@link java.util.ServiceLoader}; the library
 * is opened when a node first wants one of its kernels, and is unavailable, with the reason
 * (logged once), when it is absent or not 2.x. Which specs it takes when not forced
 * with {@code -Dedgerun.kernels=onednn} is decided by {@link NativeKernelRules}. A failure while
 * planning a kernel is logged once and answered with "not supported", so the Java kernels take over.
 */
public final class OneDnnKernels implements KernelProvider {
    /**
     * {@code plain} (NCHW in and out of every convolution), {@code blocked} (oneDNN's layout, reordered
     * around each convolution unless kept between two of them) or {@code auto} (by {@link NativeKernelRules}).
     */
    public static final String LAYOUT_PROPERTY = "edgerun.onednn.layout";
    /** {@code auto} (default) or {@code off}: see {@link #channelBlocks}. */
    public static final String CHANNEL_BLOCKS_PROPERTY = "edgerun.onednn.channelBlocks";

    private static final ProviderAttempts ATTEMPTS = new ProviderAttempts("oneDNN", OneDnnKernels.class);

    @Override
    public String name() {
        return "onednn";
    }

    @Override
    public Availability availability() {
        String failure = Dnnl.get().failure();
        return failure == null ? Availability.YES : Availability.no(failure);
    }

    /** oneDNN is opened when a node first wants one of its kernels (or when forced, at discovery). */
    @Override
    public boolean checksAvailabilityWhenAsked() {
        return true;
    }

    @Override
    public int priority() {
        return NativeKernelRules.isX86() ? 60 : 20;
    }

    /**
     * Opens oneDNN (40 ms of CPU in a fresh JVM: the library, its bindings, the engine) and creates
     * all its downcall handles ({@link Dnnl#linkAll}), unless opening it would set
     * {@code OMP_WAIT_POLICY} in the process environment ({@link Dnnl}): a {@code setenv} on this
     * thread could race a native {@code getenv} on another, so that case is left to the planning
     * thread. The launcher exports the variable.
     */
    @Override
    public void preload() {
        boolean environmentKept = System.getenv("OMP_WAIT_POLICY") != null
                || System.getProperty("edgerun.onednn.ompWaitPolicy", "passive").trim().equals("keep");
        if (environmentKept && availability().available()) Dnnl.get().linkAll();
    }

    /** The oneDNN version loaded, such as {@code 2.6.3}, or {@code none}. */
    public static String version() {
        return Dnnl.get().version();
    }

    @Override
    public Optional<GemmKernel> gemm(GemmSpec spec) {
        if (spec.dtype() != DType.FLOAT) return Optional.empty();
        if (!forced() && !NativeKernelRules.oneDnnGemm(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        return ATTEMPTS.attempt("gemm", spec, () -> DnnlRowSplitMatMul.splitOrWhole(Dnnl.get(), DnnlMatMulKernel.create(Dnnl.get(), spec), spec));
    }

    @Override
    public Optional<ConvKernel> conv(ConvSpec spec) {
        if (spec.dtype() != DType.FLOAT || spec.constantWeight() == null) return Optional.empty();
        if (spec.spatialRank() < 1 || spec.spatialRank() > 3) return Optional.empty();
        boolean matmul = NativeKernelRules.oneDnnPointwiseMatMul(spec);
        if (!forced() && !matmul && !NativeKernelRules.oneDnnConv(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        if (matmul) return ATTEMPTS.attempt("conv", spec, () -> DnnlPointwiseConvKernel.create(Dnnl.get(), spec));
        return ATTEMPTS.attempt("conv", spec, () -> DnnlConvKernel.create(Dnnl.get(), spec, layout(spec), keepsBlocked()));
    }

    @Override
    public Optional<ConvKernel> convTranspose(ConvSpec spec) {
        if (spec.dtype() != DType.FLOAT || spec.constantWeight() == null) return Optional.empty();
        if (spec.spatialRank() < 1 || spec.spatialRank() > 3) return Optional.empty();
        if (!forced() && !NativeKernelRules.oneDnnConvTranspose(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        return ATTEMPTS.attempt("convTranspose", spec, () -> DnnlDeconvKernel.create(Dnnl.get(), spec));
    }

    @Override
    public Optional<Q8ConvKernel> q8conv(Q8ConvSpec spec) {
        ConvSpec g = spec.geometry();
        if (g.constantWeight() == null || g.constantWeight().dtype() != DType.INT8) return Optional.empty();
        if (g.spatialRank() < 1 || g.spatialRank() > 3) return Optional.empty();
        if (spec.multipliers().length != 1 && spec.multipliers().length != g.weightShape()[0]) return Optional.empty();
        if (!forced() && !NativeKernelRules.oneDnnQ8Conv(spec)) return Optional.empty();
        if (!ATTEMPTS.available(this)) return Optional.empty();
        Optional<DnnlQ8ConvKernel> k = ATTEMPTS.attempt("q8conv", spec,
                () -> DnnlQ8ConvKernel.create(Dnnl.get(), spec, q8Blocked(spec)));
        if (k.isPresent() && !forced() && k.get().implementation().startsWith("ref")) {
            // oneDNN's reference int8 convolution (plain layouts, CPUs without its int8 kernels,
            // Debian's arm64 build) runs hundreds of times slower than the Java kernels
            ATTEMPTS.infoOnce("q8conv-ref", "oneDNN has only its reference int8 convolution for " + spec
                    + "; using other kernels (logged once)");
            return Optional.empty();
        }
        return k.map(Q8ConvKernel.class::cast);
    }

    static boolean q8Blocked(Q8ConvSpec spec) {
        return switch (System.getProperty(LAYOUT_PROPERTY, "auto").trim()) {
            case "plain" -> false;
            case "blocked" -> true;
            default -> NativeKernelRules.oneDnnQ8Blocked(spec);
        };
    }

    /**
     * Whether a float convolution between NCHW neighbours asks for 16-channel blocks
     * ({@link NativeKernelRules#oneDnnChannelBlocks}); {@code off} leaves every layout to oneDNN,
     * for comparisons in one process (read when a kernel is made).
     */
    static boolean channelBlocks(ConvSpec spec) {
        if (System.getProperty(CHANNEL_BLOCKS_PROPERTY, "auto").trim().equals("off")) return false;
        return NativeKernelRules.oneDnnChannelBlocks(spec);
    }

    static DnnlConvKernel.Layout layout(ConvSpec spec) {
        return switch (System.getProperty(LAYOUT_PROPERTY, "auto").trim()) {
            case "plain" -> DnnlConvKernel.Layout.PLAIN;
            case "blocked" -> DnnlConvKernel.Layout.BLOCKED;
            default -> NativeKernelRules.oneDnnBlocked(spec) ? DnnlConvKernel.Layout.BLOCKED : DnnlConvKernel.Layout.PLAIN;
        };
    }

    /**
     * Whether convolutions may keep activations in oneDNN's blocked layout between one another
     * (the planner decides per value); not with {@code plain}, which keeps every tensor NCHW.
     */
    static boolean keepsBlocked() {
        return !System.getProperty(LAYOUT_PROPERTY, "auto").trim().equals("plain");
    }

    private boolean forced() {
        return ProviderAttempts.forced(name());
    }

    @Override
    public String toString() {
        return "onednn(" + Dnnl.get().version() + ")";
    }
}
