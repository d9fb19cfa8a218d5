package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A float32 transposed convolution (ConvTranspose) run as oneDNN's deconvolution over the engine's
 * NC(D)HW buffers, for those {@link DnnlTileDeconvKernel} does not compute, when oneDNN is forced
 * (automatic selection leaves them to the operator, {@link NativeKernelRules#oneDnnConvTranspose}).
 * Plain activations: in oneDNN's chosen layout, with the reorders, conv_autoencoder's 64→32 2x2
 * stride-2 layer ran slower (201.7 against 126.7 µs, load 13). The constant weights, ConvTranspose's
 * {@code [C, M/group, kernel...]}, are read through strides as oneDNN's {@code [G, M/G, C/G, kernel...]}
 * and reordered once. A run on heap memory (rare: the engine's buffers are native) goes through
 * native copies.
 */
final class DnnlDeconvKernel extends DnnlKernel implements KernelProvider.ConvKernel {
    private static final int X = 0, BIAS = 1, Y = 2, SCRATCHPAD = 3, X_BLOCKED = 4, Y_BLOCKED = 5;
    /** {@code dnnl_deconvolution_direct}. */
    private static final int DECONVOLUTION_DIRECT = 0xa;

    private final KernelProvider.ConvSpec spec;
    private final DnnlPackedWeights weights;

    private DnnlDeconvKernel(Dnnl dnnl, KernelProvider.ConvSpec spec, DnnlPackedWeights weights) {
        super(dnnl);
        this.spec = spec;
        this.weights = weights;
    }

    /**
     * The tiling kernel where it applies, else the deconvolution; null when oneDNN has only its
     * reference implementation, or none, for {@code spec}.
     */
    static KernelProvider.ConvKernel create(Dnnl dnnl, KernelProvider.ConvSpec spec) {
        if (DnnlTileDeconvKernel.computes(spec)) {
            DnnlTileDeconvKernel tiles = DnnlTileDeconvKernel.create(dnnl, spec);
            if (tiles != null) return tiles;
        }
        DnnlDeconvKernel k = new DnnlDeconvKernel(dnnl, spec, new DnnlPackedWeights(dnnl));
        return k.initialize() ? k : null;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        int plain = Dnnl.plainTag(spec.inputShape().length);
        MemorySegment xPlain = dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, plain);
        MemorySegment yPlain = dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, plain);
        MemorySegment wUser = userWeights(arena);
        long m = spec.outputShape()[1];
        MemorySegment biasMd = dnnl.mdByTag(arena, new long[] {m}, Dnnl.F32, Dnnl.plainTag(1));
        MemorySegment wAny = dnnl.mdByTag(arena, weightDims(), Dnnl.F32, Dnnl.TAG_ANY);
        long pd = createPrimitiveDesc(deconvolutionDesc(arena, xPlain, wAny, biasMd, yPlain), 1f, false, threads);
        if (pd == 0) return null;
        if (dnnl.isReference(pd)) {
            dnnl.primitiveDescDestroy(pd);
            return null;
        }
        try {
            MemorySegment xChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_SRC_MD);
            MemorySegment yChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_DST_MD);
            MemorySegment wChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            MemorySegment scratchpadMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchpadMd);
            String impl = dnnl.implementation(pd);
            long packedW = weights.memory(this, wUser, wChosen, spec.constantWeight().data());
            MemorySegment zeroBias = arena.allocate(4 * m, 64);
            long deconv = dnnl.primitiveCreate(pd);
            List<DnnlProgram.Step> steps = new ArrayList<>();
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            boolean reorders = DnnlConvGeometry.addSteps(this, deconv, (xBuf, yBuf) -> {
                List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                        DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xChosen, xBuf),
                        DnnlProgram.Arg.shared(Dnnl.ARG_WEIGHTS, packedW),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yChosen, yBuf)));
                if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchpadMd, SCRATCHPAD));
                return args;
            }, new DnnlConvGeometry.Activation(xPlain, xChosen, X, X_BLOCKED),
                    new DnnlConvGeometry.Activation(yPlain, yChosen, Y, Y_BLOCKED), scratch, steps);
            DnnlProgram program = new DnnlProgram(dnnl, steps, 6, threads, arena, List.of());
            return new Built(program, scratch, zeroBias.address(), impl + (reorders ? " (blocked)" : ""));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /** oneDNN's deconvolution weights: {@code [M, C, kernel...]}, or {@code [G, M/G, C/G, kernel...]} when grouped. */
    private long[] weightDims() {
        long[] w = spec.weightShape();
        int g = spec.group();
        long[] dims = new long[w.length + (g > 1 ? 1 : 0)];
        int at = 0;
        if (g > 1) dims[at++] = g;
        dims[at++] = w[1];
        dims[at++] = w[0] / g;
        for (int a = 2; a < w.length; a++) dims[at++] = w[a];
        return dims;
    }

    /** ConvTranspose's {@code [C, M/G, kernel...]} weights described as {@link #weightDims} through strides. */
    private MemorySegment userWeights(Arena arena) {
        long[] w = spec.weightShape();
        int g = spec.group();
        long kernel = 1;
        for (int a = 2; a < w.length; a++) kernel *= w[a];
        long mg = w[1], cg = w[0] / g;
        long[] dims = weightDims(), strides = new long[dims.length];
        int at = 0;
        if (g > 1) strides[at++] = cg * mg * kernel;
        strides[at++] = kernel;       // output channel within the group
        strides[at++] = mg * kernel;  // input channel within the group
        long inner = kernel;
        for (int a = 2; a < w.length; a++) {
            inner /= w[a];
            strides[at++] = inner;
        }
        return dnnl.mdByStrides(arena, dims, Dnnl.F32, strides);
    }

    /**
     * The deconvolution from {@code x} to {@code y}: oneDNN's dilations are ONNX's minus 1, and its
     * right pads are whatever the output size leaves (negative for {@code output_padding}).
     */
    private MemorySegment deconvolutionDesc(Arena arena, MemorySegment x, MemorySegment w, MemorySegment bias,
                                            MemorySegment y) {
        int r = spec.spatialRank();
        long[] strides = new long[r], dil = new long[r], padL = new long[r], padR = new long[r];
        for (int a = 0; a < r; a++) {
            strides[a] = spec.strides()[a];
            dil[a] = spec.dilations()[a] - 1;
            padL[a] = spec.padsBegin()[a];
            long full = strides[a] * (spec.inputShape()[a + 2] - 1) + (spec.weightShape()[a + 2] - 1) * spec.dilations()[a] + 1;
            padR[a] = full - padL[a] - spec.outputShape()[a + 2];
        }
        MemorySegment desc = arena.allocate(Dnnl.CONV_DESC_BYTES, 8);
        try {
            Dnnl.check((int) dnnl.function("dnnl_dilated_deconvolution_forward_desc_init", "wwwwwwwwwww").call(
                    desc.address(), Dnnl.FORWARD_INFERENCE, DECONVOLUTION_DIRECT, x.address(), w.address(), bias.address(),
                    y.address(), Dnnl.dimsOf(arena, strides).address(), Dnnl.dimsOf(arena, dil).address(),
                    Dnnl.dimsOf(arena, padL).address(), Dnnl.dimsOf(arena, padR).address()),
                    "dnnl_dilated_deconvolution_forward_desc_init");
        } catch (Throwable t) {
            throw Dnnl.rethrow(t, "dnnl_dilated_deconvolution_forward_desc_init");
        }
        return desc;
    }

    /** Multiply-adds of one run, twice: each input element times each of its group's output channels and kernel taps. */
    @Override
    long flops() {
        long perInput = 2L * spec.weightShape()[1];
        for (int a = 2; a < spec.weightShape().length; a++) perInput *= spec.weightShape()[a];
        long inputs = 1;
        for (long d : spec.inputShape()) inputs *= d;
        return perInput * inputs;
    }

    @Override
    public long scratchBytes() {
        return defaultBuilt().scratch().total();
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        boolean hasBias = bias != null && bias.byteSize() > 0;
        if (!x.isNative() || !y.isNative() || (hasBias && !bias.isNative())) {
            try (Arena copies = Arena.ofConfined()) {
                MemorySegment nativeY = copies.allocate(y.byteSize(), 64);
                MemorySegment nativeX = copies.allocate(x.byteSize(), 64).copyFrom(x);
                MemorySegment nativeBias = hasBias ? copies.allocate(bias.byteSize(), 64).copyFrom(bias) : null;
                runNative(nativeX, nativeBias, nativeY, copies.allocate(scratchBytes() + 64, 64), par);
                y.copyFrom(nativeY);
            }
            return;
        }
        runNative(x, hasBias ? bias : null, y, scratch, par);
    }

    private void runNative(MemorySegment x, MemorySegment bias, MemorySegment y, MemorySegment scratch, Parallel par) {
        Built b = built(par.threads());
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[X] = x.address();
            slot.address[Y] = y.address();
            slot.address[BIAS] = bias == null ? b.zeroBias() : bias.address();
            b.scratch().assign(slot, scratch);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
    }

    @Override
    public String toString() {
        return "oneDNN deconvolution " + defaultBuilt().implementation() + " " + spec;
    }
}
