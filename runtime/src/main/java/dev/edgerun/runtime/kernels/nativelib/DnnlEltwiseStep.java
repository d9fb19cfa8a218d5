package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A oneDNN eltwise primitive run in place over one buffer of a {@link DnnlProgram}: the fused
 * activation of a convolution whose implementation refuses it as a post-op (oneDNN 2.6's Winograd
 * convolution takes ReLU but not LeakyReLU), so that it does not run as a Java pass. A Java pass runs
 * in the interpreter until C2 has compiled it: conv_autoencoder's LeakyReLU over 64x16x16 took
 * 16 ms of the first run.
 */
final class DnnlEltwiseStep {
    /** Bytes of a {@code dnnl_eltwise_desc_t} of 2.x (3 enums, 2 memory descriptors, 2 floats), rounded up. */
    private static final long ELTWISE_DESC_BYTES = 4096;

    private DnnlEltwiseStep() { }

    /** The step computing {@code op} in place over buffer {@code buffer} of layout {@code md}, for {@code threads} threads. */
    static DnnlProgram.Step inPlace(DnnlKernel kernel, Arena arena, DnnlEltwise op, MemorySegment md, int buffer,
                                    int threads) {
        Dnnl dnnl = kernel.dnnl;
        long pd = kernel.createPrimitiveDesc(desc(dnnl, arena, op, md), 1f, false, threads);
        if (pd == 0) throw new NativeKernelException("oneDNN has no eltwise primitive for " + op);
        try {
            return new DnnlProgram.Step(dnnl.primitiveCreate(pd), List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, md, buffer),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, md, buffer)));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    private static MemorySegment desc(Dnnl dnnl, Arena arena, DnnlEltwise op, MemorySegment md) {
        MemorySegment desc = arena.allocate(ELTWISE_DESC_BYTES, 8);
        try {
            Dnnl.check((int) dnnl.function("dnnl_eltwise_forward_desc_init", "wwwwff").call(desc.address(),
                    Dnnl.FORWARD_INFERENCE, op.algorithm(), md.address(), op.alpha(), op.beta()),
                    "dnnl_eltwise_forward_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_eltwise_forward_desc_init");
        }
        return desc;
    }
}
