package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;

/** A oneDNN eltwise operation ({@code dnnl_alg_kind_t} with its alpha and beta), run as a post-op. */
record DnnlEltwise(int algorithm, float alpha, float beta) {

    /** The post-op computing {@code epilogue}, or null when it is none oneDNN 2.x has (or no activation). */
    static DnnlEltwise of(F32GemmEpilogue epilogue) {
        if (!(epilogue instanceof ActivationEpilogue a)) return null;
        return switch (a.op()) {
            case RELU -> new DnnlEltwise(Dnnl.ELTWISE_RELU, 0f, 0f);
            case LEAKY_RELU -> new DnnlEltwise(Dnnl.ELTWISE_RELU, a.p(), 0f);
            case CLIP -> new DnnlEltwise(Dnnl.ELTWISE_CLIP, a.p(), a.q());
            case SIGMOID -> new DnnlEltwise(Dnnl.ELTWISE_LOGISTIC, 0f, 0f);
            case HARD_SWISH -> new DnnlEltwise(Dnnl.ELTWISE_HARDSWISH, 0f, 0f);
            default -> null;
        };
    }
}
