package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * An 8-bit convolution (QLinearConv semantics, {@link KernelProvider.Q8ConvSpec}) run by oneDNN's
 * u8s8/s8s8 kernels (VNNI, AMX where the CPU has it). The s8 weights are converted once per
 * layout the chosen implementations want (with the compensation terms oneDNN appends for signed or
 * zero-pointed sources) and shared by every kernel made for the convolution ({@link DnnlPackedWeights}:
 * its thread counts, its internal layouts, the row bands of {@link DnnlQ8RowSplitConv}); the int32
 * bias is copied per program. The requantization is oneDNN's:
 * {@code float(acc + bias) * multiplier[m]}, the clamp as a clip post-op, the output zero point
 * added after it, then rounding half to even and saturation.
 *
 * <p>With {@code blocked} the 8-bit activations are reordered from NC(D)HW into oneDNN's preferred
 * layout (nhwc or channel-blocked) and back in scratch memory around the convolution; without,
 * oneDNN is asked to read and write NC(D)HW directly (where oneDNN 2.6 has only its reference
 * int8 implementation, hundreds of times slower). Between two oneDNN convolutions the reorders are
 * wasted: as the float convolution does, the kernel offers its layouts ({@link #internalInputLayout},
 * {@link #internalOutputLayout}) and the planner may keep X or Y in them ({@link #withInternalLayouts}).
 * One program per thread count, as for the float convolution.
 *
 * <p>Measured on the 2-vCPU AVX-512 VNNI build machine (no AMX exposed), oneDNN 2.6.3, 1 thread,
 * medians of 41 runs, u8 activations without zero points, µs int8 / float32 (both oneDNN):
 * with activations kept in oneDNN's layout, 3x3 64→64 @56x56 503 / 1967 (459 vs 118 GOP/s),
 * 1x1 96→24 @56x56 52 / 172, 1x1 16→96 @112x112 183 / 404, 1x1 576→96 @14x14 49 / 187, but
 * depthwise 3x3 144 ch @56x56 156 / 118 and 576 ch @14x14 40 / 29 (int8 depthwise is slower);
 * with NC(D)HW in and out, the u8 transposes cost more than the narrow 1x1 convolutions save
 * (1x1 16→96 @112x112: 1190 / 506, of which 0.9 ms is the nhwc→nchw reorder of the output),
 * hence the internal layouts.
 */
final class DnnlQ8ConvKernel extends DnnlLayoutOfferingKernel implements KernelProvider.Q8ConvKernel {
    private static final int X = 0, Y = 1, SCRATCHPAD = 2, X_BLOCKED = 3, Y_BLOCKED = 4, BUFFERS = 5;
    /** Round before oneDNN adds the output zero point, as ONNX Runtime does (off only to measure its cost). */
    private static final boolean ROUND = !Boolean.getBoolean("edgerun.onednn.q8.noRound");

    private final KernelProvider.Q8ConvSpec spec;
    private final boolean blocked;
    private final DnnlPackedWeights packedWeights; // shared with the kernels made from this one
    // strides of NC(D)HW X and Y where they are not dense (a band of rows of a larger tensor); null: dense
    private final long[] xPlainStrides, yPlainStrides;

    private DnnlQ8ConvKernel(Dnnl dnnl, KernelProvider.Q8ConvSpec spec, boolean blocked, DnnlLayout internalX,
                             DnnlLayout internalY, DnnlPackedWeights packedWeights) {
        this(dnnl, spec, blocked, internalX, internalY, packedWeights, null, null);
    }

    private DnnlQ8ConvKernel(Dnnl dnnl, KernelProvider.Q8ConvSpec spec, boolean blocked, DnnlLayout internalX,
                             DnnlLayout internalY, DnnlPackedWeights packedWeights, long[] xPlainStrides,
                             long[] yPlainStrides) {
        super(dnnl, internalX, internalY);
        this.spec = spec;
        this.blocked = blocked;
        this.packedWeights = packedWeights;
        this.xPlainStrides = xPlainStrides;
        this.yPlainStrides = yPlainStrides;
    }

    /** The kernel, or null when oneDNN has no implementation for this convolution. */
    static DnnlQ8ConvKernel create(Dnnl dnnl, KernelProvider.Q8ConvSpec spec, boolean blocked) {
        DnnlQ8ConvKernel k = new DnnlQ8ConvKernel(dnnl, spec, blocked, null, null, new DnnlPackedWeights(dnnl));
        return k.initialize() ? k : null;
    }

    /**
     * The kernel of {@code band}, a band of rows of {@code whole}'s convolution (2-D): X and Y in
     * nhwc where {@code whole} keeps them in its internal (nhwc) layout, else as rows of its NCHW
     * tensors (the whole's strides); its weights packed with the whole's. Null when oneDNN has no
     * implementation.
     */
    static DnnlQ8ConvKernel createBand(DnnlQ8ConvKernel whole, KernelProvider.Q8ConvSpec band) {
        Dnnl dnnl = whole.dnnl;
        KernelProvider.ConvSpec g = band.geometry(), w = whole.spec.geometry();
        try (Arena arena = Arena.ofConfined()) {
            DnnlLayout x = whole.internalX == null ? null
                    : new DnnlLayout(dnnl, DnnlQ8RowSplitConv.nhwc(dnnl, arena, g.inputShape(), whole.xType()));
            DnnlLayout y = whole.internalY == null ? null
                    : new DnnlLayout(dnnl, DnnlQ8RowSplitConv.nhwc(dnnl, arena, g.outputShape(), whole.yType()));
            DnnlQ8ConvKernel k = new DnnlQ8ConvKernel(dnnl, band, true, x, y, whole.packedWeights,
                    x == null ? DnnlQ8RowSplitConv.nchwStrides(w.inputShape()) : null,
                    y == null ? DnnlQ8RowSplitConv.nchwStrides(w.outputShape()) : null);
            return k.initialize() ? k : null;
        }
    }

    KernelProvider.Q8ConvSpec spec() {
        return spec;
    }

    int xType() {
        return spec.xSigned() ? Dnnl.S8 : Dnnl.U8;
    }

    int yType() {
        return spec.ySigned() ? Dnnl.S8 : Dnnl.U8;
    }

    @Override
    Built buildIn(Arena arena, int threads) {
        KernelProvider.ConvSpec g = spec.geometry();
        int rank = g.inputShape().length;
        long[] wDims = DnnlConvGeometry.weightDims(g);
        long outChannels = g.weightShape()[0];
        int xType = xType(), yType = yType();
        int plain = Dnnl.plainTag(rank);
        MemorySegment xPlain = plainMd(arena, g.inputShape(), xType, xPlainStrides);
        MemorySegment yPlain = plainMd(arena, g.outputShape(), yType, yPlainStrides);
        MemorySegment wUser = dnnl.mdByTag(arena, wDims, Dnnl.S8, Dnnl.plainTag(wDims.length));
        MemorySegment wAny = dnnl.mdByTag(arena, wDims, Dnnl.S8, Dnnl.TAG_ANY);
        MemorySegment biasMd = spec.bias() == null ? null : dnnl.mdByTag(arena, new long[] {outChannels}, Dnnl.S32, Dnnl.plainTag(1));
        MemorySegment xAsk = askedLayout(arena, internalX, blocked, g.inputShape(), xType, xPlain);
        MemorySegment yAsk = askedLayout(arena, internalY, blocked, g.outputShape(), yType, yPlain);
        long pd = primitiveDesc(convolutionDesc(arena, xAsk, wAny, biasMd, yAsk), threads);
        if (pd == 0) return null;
        List<Long> memories = new ArrayList<>();
        try {
            MemorySegment xChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_SRC_MD);
            MemorySegment yChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_DST_MD);
            MemorySegment wChosen = dnnl.queryMd(arena, pd, Dnnl.QUERY_WEIGHTS_MD);
            MemorySegment scratchpadMd = dnnl.queryMd(arena, pd, Dnnl.QUERY_SCRATCHPAD_MD);
            long scratchpad = dnnl.mdSize(scratchpadMd);
            String impl = dnnl.implementation(pd);
            long packedW = packedWeights.memory(this, wUser, wChosen, g.constantWeight().data());
            long bias = biasMd == null ? 0 : constantBias(arena, biasMd, memories);
            long conv = dnnl.primitiveCreate(pd);

            List<DnnlProgram.Step> steps = new ArrayList<>();
            ScratchPlan scratch = new ScratchPlan();
            scratch.add(SCRATCHPAD, scratchpad);
            boolean reorders = DnnlConvGeometry.addSteps(this, conv, (xBuf, yBuf) -> {
                List<DnnlProgram.Arg> args = new ArrayList<>(List.of(
                        DnnlProgram.Arg.buffer(Dnnl.ARG_SRC, xChosen, xBuf),
                        DnnlProgram.Arg.shared(Dnnl.ARG_WEIGHTS, packedW),
                        DnnlProgram.Arg.buffer(Dnnl.ARG_DST, yChosen, yBuf)));
                if (bias != 0) args.add(DnnlProgram.Arg.fixed(Dnnl.ARG_BIAS, bias));
                if (scratchpad > 0) args.add(DnnlProgram.Arg.buffer(Dnnl.ARG_SCRATCHPAD, scratchpadMd, SCRATCHPAD));
                return args;
            }, new DnnlConvGeometry.Activation(internalX != null ? xChosen : xPlain, xChosen, X, X_BLOCKED),
                    new DnnlConvGeometry.Activation(internalY != null ? yChosen : yPlain, yChosen, Y, Y_BLOCKED), scratch, steps);
            memories.remove(Long.valueOf(bias)); // owned through the program's fixed arguments now
            DnnlProgram program = new DnnlProgram(dnnl, steps, BUFFERS, threads, arena, memories);
            return new Built(program, scratch, 0, impl + describeLayouts(reorders));
        } finally {
            dnnl.primitiveDescDestroy(pd);
        }
    }

    /** The NC(D)HW descriptor of {@code shape}: dense, or with {@code strides} where not null. */
    private MemorySegment plainMd(Arena arena, long[] shape, int type, long[] strides) {
        return strides == null ? dnnl.mdByTag(arena, shape, type, Dnnl.plainTag(shape.length))
                : dnnl.mdByStrides(arena, shape, type, strides);
    }

    private String describeLayouts(boolean reorders) {
        String s = reorders ? " (blocked)" : "";
        if (internalX != null) s += " (x internal)";
        if (internalY != null) s += " (y internal)";
        return s;
    }

    /** The convolution from {@code x} to {@code y} (either may be {@code any}). */
    private MemorySegment convolutionDesc(Arena arena, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment y) {
        return DnnlConvGeometry.convolutionDesc(dnnl, arena, spec.geometry(), x, w, bias, y);
    }

    /** The primitive descriptor with the requantization attributes; 0 when oneDNN has no implementation. */
    private long primitiveDesc(MemorySegment desc, int threads) {
        int typeMin = spec.ySigned() ? -128 : 0, typeMax = spec.ySigned() ? 127 : 255;
        boolean clip = spec.yMin() > typeMin || spec.yMax() < typeMax;
        long attr = dnnl.int8ConvAttributes(spec.multipliers(), spec.xZeroPoint(), spec.yZeroPoint(), ROUND, clip,
                spec.yMin() - spec.yZeroPoint(), spec.yMax() - spec.yZeroPoint());
        try {
            dnnl.setThreads(threads);
            return dnnl.primitiveDesc(desc, attr);
        } finally {
            dnnl.attrDestroy(attr);
        }
    }

    /** A memory object over a copy of the int32 bias in {@code arena} (also added to {@code memories}). */
    private long constantBias(Arena arena, MemorySegment biasMd, List<Long> memories) {
        MemorySegment values = arena.allocate(4L * spec.bias().length, 64);
        MemorySegment.copy(spec.bias(), 0, values, ValueLayout.JAVA_INT, 0, spec.bias().length);
        long memory = dnnl.memoryCreate(biasMd, values.address());
        memories.add(memory);
        return memory;
    }

    /** The float32 work that takes as long, for the thread rule ({@link NativeKernelRules#INT8_OPS_PER_FLOAT_OP}). */
    @Override
    long flops() {
        return spec.geometry().flops() / NativeKernelRules.INT8_OPS_PER_FLOAT_OP;
    }

    @Override
    public KernelProvider.Q8ConvKernel withInternalLayouts(boolean input, boolean output) {
        if (!input && !output) return this;
        DnnlQ8ConvKernel k = withOffered(input, output, (x, y) -> new DnnlQ8ConvKernel(dnnl, spec, true, x, y, packedWeights));
        return k == null ? null : DnnlQ8RowSplitConv.splitOrWhole(k);
    }

    /** Asks oneDNN which layouts it wants for X and Y when free to choose (nhwc for its int8 kernels). */
    @Override
    DnnlConvGeometry.Offer chooseOffer() {
        if (!blocked) return DnnlConvGeometry.Offer.NONE;
        KernelProvider.ConvSpec g = spec.geometry();
        try (Arena arena = Arena.ofConfined()) {
            int xType = spec.xSigned() ? Dnnl.S8 : Dnnl.U8, yType = spec.ySigned() ? Dnnl.S8 : Dnnl.U8;
            int plain = Dnnl.plainTag(g.inputShape().length);
            long[] wDims = DnnlConvGeometry.weightDims(g);
            MemorySegment biasMd = spec.bias() == null ? null
                    : dnnl.mdByTag(arena, new long[] {g.weightShape()[0]}, Dnnl.S32, Dnnl.plainTag(1));
            long pd = primitiveDesc(convolutionDesc(arena, dnnl.mdByTag(arena, g.inputShape(), xType, Dnnl.TAG_ANY),
                    dnnl.mdByTag(arena, wDims, Dnnl.S8, Dnnl.TAG_ANY), biasMd,
                    dnnl.mdByTag(arena, g.outputShape(), yType, Dnnl.TAG_ANY)), defaultBuilt().program().threads());
            if (pd == 0) return DnnlConvGeometry.Offer.NONE;
            try {
                return DnnlConvGeometry.Offer.chosenBy(dnnl, arena, pd, dnnl.mdByTag(arena, g.inputShape(), xType, plain),
                        dnnl.mdByTag(arena, g.outputShape(), yType, plain));
            } finally {
                dnnl.primitiveDescDestroy(pd);
            }
        }
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        if (x.isNative() && y.isNative()) {
            runNative(x, y, scratch, par);
            return;
        }
        if (internalX != null || internalY != null) {
            throw new NativeKernelException("a oneDNN 8-bit convolution with internal-layout activations needs native memory: " + spec);
        }
        try (Arena copies = Arena.ofConfined()) { // heap tensors (rare): oneDNN needs native addresses
            MemorySegment nx = copies.allocate(Math.max(1, x.byteSize()), 64).copyFrom(x);
            MemorySegment ny = copies.allocate(Math.max(1, y.byteSize()), 64);
            runNative(nx, ny, scratch, par);
            y.copyFrom(ny.asSlice(0, y.byteSize()));
        }
    }

    private void runNative(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        Built b = built(par.threads());
        runOn(b, X, x, Y, y, scratch);
    }

    /**
     * One run of the single-thread program with X at native address {@code x} and Y at {@code y},
     * its scratch the program's own: a band of {@link DnnlQ8RowSplitConv}, whose addresses are
     * offsets into the whole's activations.
     */
    void runSerialAt(long x, long y) {
        Built b = built(1);
        DnnlProgram.Slot slot = b.program().acquire();
        try {
            slot.address[X] = x;
            slot.address[Y] = y;
            b.scratch().assign(slot, null);
            b.program().run(slot);
        } finally {
            b.program().release(slot);
        }
    }

    /** The implementation oneDNN chose for the default thread count, such as {@code brg:avx512_core_vnni}. */
    String implementation() {
        return defaultBuilt().implementation();
    }

    @Override
    public String toString() {
        return "oneDNN " + defaultBuilt().implementation() + " " + spec;
    }
}
