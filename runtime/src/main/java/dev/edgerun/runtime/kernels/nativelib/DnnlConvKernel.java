package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A float32 convolution run by oneDNN over the engine's own NC(D)HW buffers (no copies). The
 * constant weights are reordered once, here, into the layout oneDNN's chosen implementation wants.
 * With {@link Layout#BLOCKED} the activations are reordered into and out of oneDNN's preferred
 * (blocked) layout in scratch memory around the convolution; with {@link Layout#PLAIN} oneDNN reads
 * and writes NCHW directly.
 *
 * <p>oneDNN sizes its parallel split when a primitive is created, so one program is built per
 * thread count: the default count now, others on the first run that uses them.
 */
final class DnnlConvKernel extends DnnlKernel implements KernelProvider.ConvKernel {
    enum Layout { PLAIN, BLOCKED }

    private static final int X = 0, BIAS = 1, Y = 2, SCRATCHPAD = 3, X_BLOCKED = 4, Y_BLOCKED = 5;

    private final KernelProvider.ConvSpec spec;
    private final Layout layout;
    private final long outputFloats;
    private volatile KernelProvider.ConvKernel fallback;

    private DnnlConvKernel(Dnnl dnnl, KernelProvider.ConvSpec spec, Layout layout) {
        super(dnnl);
        this.spec = spec;
        this.layout = layout;
        long count = 1;
        for (long d : spec.outputShape()) count *= d;
        this.outputFloats = count;
    }

    /** The kernel, or null when oneDNN has no implementation for this convolution. */
    static DnnlConvKernel create(Dnnl dnnl, KernelProvider.ConvSpec spec, Layout layout) {
        DnnlConvKernel k = new DnnlConvKernel(dnnl, spec, layout);
        return k.initialize() ? k : null;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        int rank = spec.inputShape().length;
        int g = spec.group();
        long[] w = spec.weightShape();
        long[] wDims = w;
        if (g > 1) {
            wDims = new long[w.length + 1];
            wDims[0] = g;
            wDims[1] = w[0] / g;
            System.arraycopy(w, 1, wDims, 2, w.length - 1);
        }
        int plain = Dnnl.plainTag(rank);
        MemorySegment xPlain = dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, plain);
        MemorySegment yPlain = dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, plain);
        MemorySegment wUser = dnnl.mdByTag(arena, wDims, Dnnl.F32, Dnnl.plainTag(wDims.length));
        MemorySegment wAny = dnnl.mdByTag(arena, wDims, Dnnl.F32, Dnnl.TAG_ANY);
        MemorySegment biasMd = dnnl.mdByTag(arena, new long[] {w[0]}, Dnnl.F32, Dnnl.plainTag(1));
        boolean blocked = layout == Layout.BLOCKED;
        MemorySegment xAsk = blocked ? dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, Dnnl.TAG_ANY) : xPlain;
        MemorySegment yAsk = blocked ? dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, Dnnl.TAG_ANY) : yPlain;
        int sr = rank - 2;
        long[] strides = new long[sr], dil = new long[sr], padL = new long[sr], padR = new long[sr];
        for (int a = 0; a < sr; a++) {
            strides[a] = spec.strides()[a];
            dil[a] = spec.dilations()[a] - 1;
            padL[a] = spec.padsBegin()[a];
            long kernelExtent = (w[a + 2] - 1) * spec.dilations()[a] + 1;
            long needed = (spec.outputShape()[a + 2] - 1) * strides[a] + kernelExtent - spec.inputShape()[a + 2] - padL[a];
            padR[a] = Math.max(0, needed);
        }
        MemorySegment desc = dnnl.convolutionDesc(arena, xAsk, wAny, biasMd, yAsk, strides, dil, padL, padR);
        long pd = createPrimitiveDesc(desc, 1f, false, threads);
        if (pd == 0) return null;
        List<Long> memories = new ArrayList<>();
        try {
            MemorySegment xChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_SRC_MD);
            MemorySegment yChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_DST_MD);
            MemorySegment wChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            long scratchpad = dnnl.mdSize(dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD));
            String impl = dnnl.implementation(pd);
            long packedW = reorderConstant(arena, wUser, wChosen, spec.constantWeight().data(), memories);
            MemorySegment zeroBias = arena.allocate(4 * w[0], 64);
            long conv = dnnl.primitiveCreate(pd);

            List<DnnlProgram.Step> steps = new ArrayList<>();
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            boolean reorderX = !dnnl.mdEqual(xChosen, xPlain), reorderY = !dnnl.mdEqual(yChosen, yPlain);
            int xBuf = X, yBuf = Y;
            if (reorderX) {
                xBuf = X_BLOCKED;
                scratch.add(X_BLOCKED, dnnl.mdSize(xChosen));
                steps.add(reorderStep(xPlain, X, xChosen, X_BLOCKED));
            }
            if (reorderY) {
                yBuf = Y_BLOCKED;
                scratch.add(Y_BLOCKED, dnnl.mdSize(yChosen));
            }
            List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                    DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xChosen, xBuf),
                    DnnlProgram.Arg.fixed(Dnnl.ARG_WEIGHTS, packedW),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS),
                    DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yChosen, yBuf)));
            if (scratchpad > 0) {
                args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD), SCRATCHPAD));
            }
            steps.add(new DnnlProgram.Step(conv, args));
            if (reorderY) steps.add(reorderStep(yChosen, Y_BLOCKED, yPlain, Y));
            memories.remove(Long.valueOf(packedW)); // owned by the weights argument of the program now
            DnnlProgram program = new DnnlProgram(dnnl, steps, 6, threads, arena, memories);
            return new Built(program, scratch, zeroBias.address(), impl + (reorderX || reorderY ? " (blocked)" : ""));
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
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        if (!x.isNative() || !y.isNative() || (bias != null && bias.byteSize() > 0 && !bias.isNative())) {
            KernelProvider.ConvKernel f = javaFallback();
            f.run(x, w, bias, y, heapScratch(f.scratchBytes()), par);
            return;
        }
        Built b = built(par.threads());
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[X] = x.address();
            slot.address[Y] = y.address();
            slot.address[BIAS] = bias == null || bias.byteSize() == 0 ? b.zeroBias() : bias.address();
            b.scratch().assign(slot, scratch);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
        if (spec.epilogue() != null) spec.epilogue().apply(y, 0, (int) outputFloats);
    }

    private KernelProvider.ConvKernel javaFallback() {
        KernelProvider.ConvKernel f = fallback;
        if (f == null) fallback = f = javaKernels().conv(spec).orElseThrow();
        return f;
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " " + spec;
    }
}
