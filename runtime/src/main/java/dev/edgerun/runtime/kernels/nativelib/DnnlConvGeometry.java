package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What the float and 8-bit oneDNN convolutions share: the convolution's geometry in oneDNN's terms
 * (grouped weight dimensions, strides, dilations, pads) and the reorders of the activations around
 * the convolution step of a program.
 */
final class DnnlConvGeometry {
    private DnnlConvGeometry() { }

    /**
     * One activation of a convolution: the descriptor of the layout the engine's buffer holds it in
     * (NC(D)HW or an internal layout), the one oneDNN chose, the engine's buffer and the scratch
     * buffer holding it in the chosen layout when that differs from the held one.
     */
    record Activation(MemorySegment held, MemorySegment chosen, int buffer, int blockedBuffer) {
        boolean reordered(Dnnl dnnl) {
            return !dnnl.mdEqual(chosen, held);
        }
    }

    /**
     * The layouts oneDNN picks for X and Y when free to choose, offered to the planner to keep the
     * activations in between oneDNN convolutions; null where it picks NC(D)HW or none is offered.
     */
    record Offer(DnnlLayout x, DnnlLayout y) {
        static final Offer NONE = new Offer(null, null);

        /** The source and destination layouts of primitive descriptor {@code pd}, null where they are the plain ones. */
        static Offer chosenBy(Dnnl dnnl, Arena arena, long pd, MemorySegment xPlain, MemorySegment yPlain) {
            MemorySegment x = dnnl.queryMd(arena, pd, Dnnl.QUERY_SRC_MD);
            MemorySegment y = dnnl.queryMd(arena, pd, Dnnl.QUERY_DST_MD);
            return new Offer(dnnl.mdEqual(x, xPlain) ? null : new DnnlLayout(dnnl, x),
                    dnnl.mdEqual(y, yPlain) ? null : new DnnlLayout(dnnl, y));
        }
    }

    /** The arguments of the convolution step, given the buffers it reads X from and writes Y to. */
    @FunctionalInterface
    interface ConvArgs {
        List<DnnlProgram.Arg> forBuffers(int xBuffer, int yBuffer);
    }

    /** oneDNN's weight dimensions: {@code [G, M/G, C/G, kernel...]} when grouped, else as given. */
    static long[] weightDims(KernelProvider.ConvSpec g) {
        long[] w = g.weightShape();
        if (g.group() == 1) return w;
        long[] dims = new long[w.length + 1];
        dims[0] = g.group();
        dims[1] = w[0] / g.group();
        System.arraycopy(w, 1, dims, 2, w.length - 1);
        return dims;
    }

    /**
     * The convolution of {@code g} from {@code x} to {@code y} (any may be {@code any}); {@code bias}
     * null for none. Dilations are oneDNN's (ONNX minus 1); the right pads are what the output
     * size needs.
     */
    static MemorySegment convolutionDesc(Dnnl dnnl, Arena arena, KernelProvider.ConvSpec g, MemorySegment x,
                                         MemorySegment w, MemorySegment bias, MemorySegment y) {
        return convolutionDesc(dnnl, arena, Dnnl.CONVOLUTION_DIRECT, g, x, w, bias, y);
    }

    /** As above with oneDNN's {@code algorithm} ({@link Dnnl#CONVOLUTION_DIRECT} or {@link Dnnl#CONVOLUTION_WINOGRAD}). */
    static MemorySegment convolutionDesc(Dnnl dnnl, Arena arena, int algorithm, KernelProvider.ConvSpec g,
                                         MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        int sr = g.spatialRank();
        long[] strides = new long[sr], dil = new long[sr], padL = new long[sr], padR = new long[sr];
        for (int a = 0; a < sr; a++) {
            strides[a] = g.strides()[a];
            dil[a] = g.dilations()[a] - 1;
            padL[a] = g.padsBegin()[a];
            long kernelExtent = (g.weightShape()[a + 2] - 1) * g.dilations()[a] + 1;
            long needed = (g.outputShape()[a + 2] - 1) * strides[a] + kernelExtent - g.inputShape()[a + 2] - padL[a];
            padR[a] = Math.max(0, needed);
        }
        return dnnl.convolutionDesc(arena, algorithm, x, w, bias, y, strides, dil, padL, padR);
    }

    /**
     * Adds the steps of one convolution to {@code steps}: X reordered into its chosen layout, the
     * convolution {@code conv}, Y reordered back, each reorder only where needed (its scratch
     * buffer added to {@code scratch}). Returns whether any activation is reordered.
     */
    static boolean addSteps(DnnlKernel kernel, long conv, ConvArgs convArgs, Activation x, Activation y,
                            ScratchPlan scratch, List<DnnlProgram.Step> steps) {
        Dnnl dnnl = kernel.dnnl;
        boolean reorderX = x.reordered(dnnl);
        boolean reorderY = y.reordered(dnnl);
        if (reorderX) {
            scratch.add(x.blockedBuffer(), dnnl.mdSize(x.chosen()));
            steps.add(kernel.reorderStep(x.held(), x.buffer(), x.chosen(), x.blockedBuffer()));
        }
        if (reorderY) scratch.add(y.blockedBuffer(), dnnl.mdSize(y.chosen()));
        steps.add(new DnnlProgram.Step(conv, convArgs.forBuffers(reorderX ? x.blockedBuffer() : x.buffer(),
                reorderY ? y.blockedBuffer() : y.buffer())));
        if (reorderY) steps.add(kernel.reorderStep(y.chosen(), y.blockedBuffer(), y.held(), y.buffer()));
        return reorderX || reorderY;
    }
}
