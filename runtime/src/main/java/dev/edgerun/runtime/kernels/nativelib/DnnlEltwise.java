package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;

/** A oneDNN eltwise operation ({@code dnnl_alg_kind_t} with its alpha and beta), run as a post-op. */
record DnnlEltwise(int algorithm, float alpha, float beta) {
    /** {@code dnnl_eltwise_gelu_erf} of 2.x. */
    static final int ELTWISE_GELU_ERF = 0x30;

    /**
     * The post-op for {@code epilogue} where {@link #of} leaves it to Java only because the Java
     * pass is faster once compiled: exact GELU, run by oneDNN for a node's first runs
     * ({@link ColdStart}); null for every other epilogue.
     */
    static DnnlEltwise coldStart(F32GemmEpilogue epilogue) {
        return epilogue instanceof ActivationEpilogue a && a.op() == dev.edgerun.runtime.kernels.F32UnaryOp.GELU
                ? new DnnlEltwise(ELTWISE_GELU_ERF, 0f, 0f) : null;
    }

    /**
     * The post-op computing {@code epilogue}, or null when it is none oneDNN 2.x has (or no
     * activation), or when the Java pass over the output is faster: exact (erf) GELU, which oneDNN's
     * post-op ran 2.7 µs slower than the Java epilogue on tiny_transformer's ff1 (32x512x128
     * matmul, single thread, minimum of 400 interleaved batches: 47.3 against 44.6 µs), where
     * the tanh form, Relu and Clip ran faster as post-ops (47.9 against 50.4, 38.0 against 38.9,
     * 38.0 against 39.8 µs).
     */
    static DnnlEltwise of(F32GemmEpilogue epilogue) {
        if (!(epilogue instanceof ActivationEpilogue a)) return null;
        return switch (a.op()) {
            case RELU -> new DnnlEltwise(Dnnl.ELTWISE_RELU, 0f, 0f);
            case LEAKY_RELU -> new DnnlEltwise(Dnnl.ELTWISE_RELU, a.p(), 0f);
            case CLIP -> new DnnlEltwise(Dnnl.ELTWISE_CLIP, a.p(), a.q());
            case SIGMOID -> new DnnlEltwise(Dnnl.ELTWISE_LOGISTIC, 0f, 0f);
            case HARD_SWISH -> new DnnlEltwise(Dnnl.ELTWISE_HARDSWISH, 0f, 0f);
            case GELU_TANH -> new DnnlEltwise(Dnnl.ELTWISE_GELU_TANH, 0f, 0f);
            default -> null;
        };
    }
}
