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
 * and writes NCHW directly. A fused activation oneDNN has as an eltwise operation runs inside the
 * primitive (a post-op) instead of in a pass over the output. 3x3 stride-1 convolutions run
 * oneDNN's Winograd algorithm where {@link NativeKernelRules#oneDnnWinograd} says so. Direct ones
 * that exchange 16-channel blocks run oneDNN's brgemm kernel on nhwc copies of them where
 * {@link NativeKernelRules#oneDnnNhwcDirect} says so ({@code -Dedgerun.onednn.nhwcDirect=off}: on the blocks).
 *
 * <p>Between two oneDNN convolutions the reorders are wasted: the kernel offers its blocked layouts
 * ({@link #internalInputLayout}, {@link #internalOutputLayout}), and the planner may switch X or Y
 * to them ({@link #withInternalLayouts}), so the tensor stays blocked in the engine's arena.
 *
 * <p>oneDNN sizes its parallel split when a primitive is created, so one program is built per
 * thread count: the default count now, others on the first run that uses them.
 */
final class DnnlConvKernel extends DnnlLayoutOfferingKernel implements KernelProvider.ConvKernel {
    enum Layout { PLAIN, BLOCKED }

    private static final int X = 0, BIAS = 1, Y = 2, SCRATCHPAD = 3, X_BLOCKED = 4, Y_BLOCKED = 5;

    private final KernelProvider.ConvSpec spec;
    private final Layout layout;
    private final int algorithm;           // Dnnl.CONVOLUTION_DIRECT or CONVOLUTION_WINOGRAD
    private final boolean offersInternal;  // may keep X or Y blocked between oneDNN convolutions
    private final DnnlEltwise postOp;      // the fused activation, run by oneDNN; null: none, a step or the Java epilogue
    private final DnnlEltwise eltwiseStep; // the fused activation as an eltwise primitive after the convolution, or null
    private final boolean channelBlocks;   // asks for 16-channel blocks first, see NativeKernelRules
    private final boolean uniformBlocks;   // offers 16-channel blocks to the planner, whatever the layout rule says
    private final boolean nhwcCompute;     // runs on nhwc copies of channel-blocked activations, see NativeKernelRules
    private final long outputFloats;
    private final DnnlPackedWeights packedWeights; // shared with the kernels made from this one
    private volatile KernelProvider.ConvKernel fallback;
    /** The offer read off the probe's descriptor ({@link #primitiveDescIn}); null: made by {@link #chooseOffer}. */
    private volatile DnnlConvGeometry.Offer probedOffer;

    private DnnlConvKernel(Dnnl dnnl, KernelProvider.ConvSpec spec, Layout layout, int algorithm, boolean offersInternal,
                           DnnlEltwise postOp, DnnlEltwise eltwiseStep, DnnlLayout internalX, DnnlLayout internalY,
                           DnnlPackedWeights packedWeights) {
        super(dnnl, internalX, internalY);
        this.eltwiseStep = eltwiseStep;
        this.spec = spec;
        this.packedWeights = packedWeights;
        this.layout = layout;
        this.algorithm = algorithm;
        this.offersInternal = offersInternal;
        this.postOp = postOp;
        this.uniformBlocks = uniformBlocks(spec);
        this.channelBlocks = layout == Layout.BLOCKED && (uniformBlocks
                || (internalX == null && internalY == null && OneDnnKernels.channelBlocks(spec)));
        this.nhwcCompute = uniformBlocks && channelBlocks && algorithm == Dnnl.CONVOLUTION_DIRECT && nhwcDirect(spec);
        long count = 1;
        for (long d : spec.outputShape()) count *= d;
        this.outputFloats = count;
    }

    /**
     * The kernel, or null when oneDNN has no implementation for this convolution. The fused
     * activation becomes a post-op when oneDNN has it and accepts it here, else the Java epilogue.
     * A convolution {@link NativeKernelRules#oneDnnWinograd} picks runs as oneDNN's Winograd
     * convolution (blocked activations) when oneDNN has one for it, with the post-op or else with
     * a oneDNN eltwise primitive after it ({@link DnnlEltwiseStep}): its Winograd kernels take ReLU
     * but not LeakyReLU, and conv_autoencoder's 32→64 @16x16 LeakyReLU layer ran 79 µs direct with
     * the post-op against 49 µs Winograd. The eltwise step, rather than the Java epilogue, keeps the
     * first run fast, as fast once warm (that layer, single thread, best of 60 interleaved batches
     * of 200, load 7: 54.1 against 53.4 µs; first call 3.5-4.4 ms against 55-211 ms).
     */
    static DnnlConvKernel create(Dnnl dnnl, KernelProvider.ConvSpec spec, Layout layout, boolean offersInternal) {
        DnnlEltwise postOp = DnnlEltwise.of(spec.epilogue());
        DnnlPackedWeights weights = new DnnlPackedWeights(dnnl);
        if (winograd(spec)) {
            DnnlEltwise[][] activations = postOp == null ? new DnnlEltwise[][] {{null, null}}
                    : new DnnlEltwise[][] {{postOp, null}, {null, postOp}, {null, null}};
            for (DnnlEltwise[] a : activations) {
                DnnlConvKernel k = new DnnlConvKernel(dnnl, spec, Layout.BLOCKED, Dnnl.CONVOLUTION_WINOGRAD,
                        offersInternal, a[0], a[1], null, null, weights);
                if (k.probe()) return k;
            }
        }
        DnnlConvKernel k = new DnnlConvKernel(dnnl, spec, layout, Dnnl.CONVOLUTION_DIRECT, offersInternal, postOp,
                null, null, null, weights);
        if (k.probe()) return k;
        if (postOp == null) return null;
        k = new DnnlConvKernel(dnnl, spec, layout, Dnnl.CONVOLUTION_DIRECT, offersInternal, null, null, null, null,
                weights);
        return k.probe() ? k : null;
    }

    /** {@value #WINOGRAD_PROPERTY}: {@code auto} (default, {@link NativeKernelRules#oneDnnWinograd}) or {@code off}. */
    static final String WINOGRAD_PROPERTY = "edgerun.onednn.winograd";

    private static boolean winograd(KernelProvider.ConvSpec spec) {
        if (System.getProperty(WINOGRAD_PROPERTY, "auto").trim().equals("off")) return false;
        return NativeKernelRules.oneDnnWinograd(spec);
    }

    /** {@value #UNIFORM_BLOCKS_PROPERTY}: {@code auto} (default, {@link NativeKernelRules#oneDnnUniformChannelBlocks}) or {@code off}. */
    static final String UNIFORM_BLOCKS_PROPERTY = "edgerun.onednn.uniformBlocks";

    private static boolean uniformBlocks(KernelProvider.ConvSpec spec) {
        if (System.getProperty(UNIFORM_BLOCKS_PROPERTY, "auto").trim().equals("off")) return false;
        return NativeKernelRules.oneDnnUniformChannelBlocks(spec);
    }

    /** {@value #NHWC_DIRECT_PROPERTY}: {@code auto} (default, {@link NativeKernelRules#oneDnnNhwcDirect}) or {@code off}. */
    static final String NHWC_DIRECT_PROPERTY = "edgerun.onednn.nhwcDirect";

    private static boolean nhwcDirect(KernelProvider.ConvSpec spec) {
        if (System.getProperty(NHWC_DIRECT_PROPERTY, "auto").trim().equals("off")) return false;
        return NativeKernelRules.oneDnnNhwcDirect(spec);
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        int rank = spec.inputShape().length;
        int plain = Dnnl.plainTag(rank);
        MemorySegment xPlain = dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, plain);
        MemorySegment yPlain = dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, plain);
        long[] wDims = DnnlConvGeometry.weightDims(spec);
        MemorySegment wUser = dnnl.mdByTag(arena, wDims, Dnnl.F32, Dnnl.plainTag(wDims.length));
        MemorySegment biasMd = dnnl.mdByTag(arena, new long[] {spec.weightShape()[0]}, Dnnl.F32, Dnnl.plainTag(1));
        Desc desc = descIn(arena, threads);
        long pd = desc.pd();
        if (pd == 0) return null;
        boolean blocks = desc.channelBlocked();
        List<Long> memories = new ArrayList<>();
        try {
            MemorySegment xChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_SRC_MD);
            MemorySegment yChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_DST_MD);
            MemorySegment wChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            long scratchpad = dnnl.mdSize(dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD));
            String impl = dnnl.implementation(pd);
            long packedW = packedWeights.memory(this, wUser, wChosen, spec.constantWeight().data());
            MemorySegment zeroBias = arena.allocate(4 * spec.weightShape()[0], 64);
            long conv = dnnl.primitiveCreate(pd);

            List<DnnlProgram.Step> steps = new ArrayList<>();
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            MemorySegment scratchpadMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            boolean reorders = DnnlConvGeometry.addSteps(this, conv, (xBuf, yBuf) -> {
                List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                        DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xChosen, xBuf),
                        DnnlProgram.Arg.shared(Dnnl.ARG_WEIGHTS, packedW),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_BIAS, biasMd, BIAS),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yChosen, yBuf)));
                if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchpadMd, SCRATCHPAD));
                return args;
            }, new DnnlConvGeometry.Activation(held(arena, internalX, xPlain, xChosen), xChosen, X, X_BLOCKED),
                    new DnnlConvGeometry.Activation(held(arena, internalY, yPlain, yChosen), yChosen, Y, Y_BLOCKED),
                    scratch, steps);
            if (eltwiseStep != null) {
                steps.add(DnnlEltwiseStep.inPlace(this, arena, eltwiseStep, held(arena, internalY, yPlain, yChosen), Y, threads));
            }
            DnnlProgram program = new DnnlProgram(dnnl, steps, 6, threads, arena, memories);
            return new Built(program, scratch, zeroBias.address(),
                    impl + describeLayouts(reorders) + blocksDescription(blocks, impl));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /**
     * The layout the engine's buffer holds an activation in: NC(D)HW, or the internal layout, which
     * is the convolution's own but where it runs on nhwc copies of 16-channel blocks.
     */
    private MemorySegment held(Arena arena, DnnlLayout internal, MemorySegment plain, MemorySegment chosen) {
        if (internal == null) return plain;
        return nhwcCompute ? internal.md(arena) : chosen;
    }

    /**
     * Also keeps the layouts offered to the planner when the descriptor is the one
     * {@link #chooseOffer} would create (16-channel blocks asked both times), so that offering them
     * creates no second descriptor: the probe's is read once more before it is destroyed.
     */
    @Override
    long primitiveDescIn(Arena arena, int threads) {
        Desc desc = descIn(arena, threads);
        boolean sameAsOffer = offersInternal && uniformBlocks && internalX == null && internalY == null
                && threads == initialThreads();
        if (desc.pd() != 0 && desc.channelBlocked() && sameAsOffer) probedOffer = offerOf(arena, desc.pd());
        return desc.pd();
    }

    /** A primitive descriptor (0: none) and whether its activations are in 16-channel blocks. */
    private record Desc(long pd, boolean channelBlocked) { }

    /** The convolution's descriptor: in 16-channel blocks when asked and implemented, else in the asked layouts. */
    private Desc descIn(Arena arena, int threads) {
        long pd = channelBlocks ? channelBlockedPrimitiveDesc(arena, threads) : 0;
        boolean channelBlocked = pd != 0;
        if (pd == 0) {
            boolean blocked = layout == Layout.BLOCKED;
            MemorySegment xPlain = dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, Dnnl.plainTag(spec.inputShape().length));
            MemorySegment yPlain = dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, Dnnl.plainTag(spec.inputShape().length));
            MemorySegment xAsk = askedLayout(arena, internalX, blocked, spec.inputShape(), Dnnl.F32, xPlain);
            MemorySegment yAsk = askedLayout(arena, internalY, blocked, spec.outputShape(), Dnnl.F32, yPlain);
            pd = createPrimitiveDesc(convolutionDesc(arena, xAsk, yAsk), 1f, false, postOp, threads);
        }
        if (pd != 0 && algorithm == Dnnl.CONVOLUTION_WINOGRAD && dnnl.isReference(pd)) {
            dnnl.primitiveDescDestroy(pd);
            return new Desc(0, false);
        }
        return new Desc(pd, channelBlocked);
    }

    /**
     * The primitive with activations in 16-channel blocks (those with fewer channels left to oneDNN)
     * where they are not in an internal layout already, or on nhwc copies of them where the kernel
     * runs so ({@link #brgemmNhwcPrimitiveDesc}); 0 when oneDNN has only its reference
     * implementation for that, or none.
     */
    private long channelBlockedPrimitiveDesc(Arena arena, int threads) {
        long pd = nhwcCompute ? brgemmNhwcPrimitiveDesc(arena, threads) : 0;
        if (pd != 0) return pd;
        MemorySegment x = internalX != null ? internalX.md(arena) : channelBlocked(arena, spec.inputShape());
        MemorySegment y = internalY != null ? internalY.md(arena) : channelBlocked(arena, spec.outputShape());
        return realPrimitiveDesc(arena, threads, x, y);
    }

    /** The primitive from {@code x} to {@code y}; 0 when oneDNN has only its reference implementation for it, or none. */
    private long realPrimitiveDesc(Arena arena, int threads, MemorySegment x, MemorySegment y) {
        long pd = createPrimitiveDesc(convolutionDesc(arena, x, y), 1f, false, postOp, threads);
        if (pd != 0 && dnnl.isReference(pd)) {
            dnnl.primitiveDescDestroy(pd);
            return 0;
        }
        return pd;
    }

    /**
     * The primitive on nhwc activations when oneDNN runs it with its brgemm kernel, else 0: the
     * rule ({@link NativeKernelRules#oneDnnNhwcDirect}) was measured on that kernel alone.
     */
    private long brgemmNhwcPrimitiveDesc(Arena arena, int threads) {
        long pd = realPrimitiveDesc(arena, threads, nhwc(arena, spec.inputShape()), nhwc(arena, spec.outputShape()));
        if (pd != 0 && !dnnl.implementation(pd).startsWith(BRGEMM_CONVOLUTION)) {
            dnnl.primitiveDescDestroy(pd);
            return 0;
        }
        return pd;
    }

    /** The name of oneDNN's brgemm convolution implementations ({@code brgconv:avx512_core} and others). */
    private static final String BRGEMM_CONVOLUTION = "brgconv";

    /** The nhwc descriptor of a 4-D activation of {@code shape}. */
    private MemorySegment nhwc(Arena arena, long[] shape) {
        return dnnl.mdByStrides(arena, shape, Dnnl.F32,
                new long[] {shape[1] * shape[2] * shape[3], 1, shape[3] * shape[1], shape[1]});
    }

    private MemorySegment channelBlocked(Arena arena, long[] shape) {
        int tag = shape[1] >= NativeKernelRules.CHANNEL_BLOCK ? Dnnl.TAG_NCHW16C : Dnnl.TAG_ANY;
        return dnnl.mdByTag(arena, shape, Dnnl.F32, tag);
    }

    /** The convolution from {@code x} to {@code y} (either may be {@code any}), weights in any layout. */
    private MemorySegment convolutionDesc(Arena arena, MemorySegment x, MemorySegment y) {
        MemorySegment wAny = dnnl.mdByTag(arena, DnnlConvGeometry.weightDims(spec), Dnnl.F32, Dnnl.TAG_ANY);
        MemorySegment biasMd = dnnl.mdByTag(arena, new long[] {spec.weightShape()[0]}, Dnnl.F32, Dnnl.plainTag(1));
        return DnnlConvGeometry.convolutionDesc(dnnl, arena, algorithm, spec, x, wAny, biasMd, y);
    }

    private String blocksDescription(boolean blocks, String impl) {
        if (!blocks) return "";
        return nhwcCompute && impl.startsWith(BRGEMM_CONVOLUTION) ? " (nChw16c) (run nhwc)" : " (nChw16c)";
    }

    private String describeLayouts(boolean reorders) {
        String s = reorders ? " (blocked)" : "";
        if (internalX != null) s += " (x blocked)";
        if (internalY != null) s += " (y blocked)";
        if (postOp != null) s += " +eltwise";
        if (eltwiseStep != null) s += " then eltwise";
        return s;
    }

    @Override
    long flops() {
        return spec.flops();
    }

    @Override
    public KernelProvider.ConvKernel withInternalLayouts(boolean input, boolean output) {
        if (!input && !output) return this;
        return withOffered(input, output,
                (x, y) -> new DnnlConvKernel(dnnl, spec, Layout.BLOCKED, algorithm, offersInternal, postOp, eltwiseStep,
                        x, y, packedWeights));
    }

    /**
     * Asks oneDNN which layouts it wants for X and Y when free to choose (in 16-channel blocks when
     * {@link NativeKernelRules#oneDnnUniformChannelBlocks} says so). Y is offered only when
     * nothing runs over it after oneDNN (an activation left to the Java epilogue would also touch
     * the padding channels of a blocked layout).
     */
    @Override
    DnnlConvGeometry.Offer chooseOffer() {
        if (!offersInternal) return DnnlConvGeometry.Offer.NONE;
        if (probedOffer != null) return probedOffer;
        try (Arena arena = Arena.ofConfined()) {
            int threads = initialThreads();
            long pd = uniformBlocks ? channelBlockedPrimitiveDesc(arena, threads) : 0;
            if (pd == 0) {
                MemorySegment xAny = dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, Dnnl.TAG_ANY);
                MemorySegment yAny = dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, Dnnl.TAG_ANY);
                pd = createPrimitiveDesc(convolutionDesc(arena, xAny, yAny), 1f, false, postOp, threads);
            }
            if (pd == 0) return DnnlConvGeometry.Offer.NONE;
            try {
                return offerOf(arena, pd);
            } finally {
                dnnl.primitiveDescDestroy(pd);
            }
        }
    }

    /** The layouts of X and Y that descriptor {@code pd} chose, as offered to the planner (see {@link #chooseOffer}). */
    private DnnlConvGeometry.Offer offerOf(Arena arena, long pd) {
        int plain = Dnnl.plainTag(spec.inputShape().length);
        DnnlConvGeometry.Offer chosen = nhwcCompute
                ? new DnnlConvGeometry.Offer(new DnnlLayout(dnnl, channelBlocked(arena, spec.inputShape())),
                        new DnnlLayout(dnnl, channelBlocked(arena, spec.outputShape())))
                : DnnlConvGeometry.Offer.chosenBy(dnnl, arena, pd,
                        dnnl.mdByTag(arena, spec.inputShape(), Dnnl.F32, plain),
                        dnnl.mdByTag(arena, spec.outputShape(), Dnnl.F32, plain));
        boolean javaEpilogue = spec.epilogue() != null && postOp == null && eltwiseStep == null;
        return javaEpilogue ? new DnnlConvGeometry.Offer(chosen.x(), null) : chosen;
    }

    @Override
    public void run(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y, MemorySegment scratch,
                    Parallel par) {
        if (!x.isNative() || !y.isNative() || (bias != null && bias.byteSize() > 0 && !bias.isNative())) {
            if (internalX != null || internalY != null) {
                throw new NativeKernelException("a oneDNN convolution with blocked activations needs native memory: " + spec);
            }
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
        if (postOp == null && eltwiseStep == null && spec.epilogue() != null) spec.epilogue().apply(y, 0, (int) outputFloats);
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
