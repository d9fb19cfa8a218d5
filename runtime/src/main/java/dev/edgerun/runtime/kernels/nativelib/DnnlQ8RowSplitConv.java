package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An 8-bit oneDNN 2-D convolution run on the session's Java threads rather than on OpenMP's: the
 * output rows are cut into {@value #PARTS} bands, each a single-thread oneDNN convolution of its
 * own (the input rows it reads, with the padding of the whole at its outer edges only), and
 * {@link Parallel#forRange} runs the bands at once. X and Y are each in oneDNN's nhwc internal
 * layout, where a band of rows is one contiguous block, or NCHW, where it is a block per channel
 * that the band's descriptor reaches with the whole tensor's strides (reordered to nhwc and back by
 * the band itself, as the whole convolution does): either way a band is an address offset. The
 * bands write disjoint bytes, and each output byte is computed from the same inputs and weights as
 * by the whole convolution, so the result is the same to the byte.
 *
 * <p>Why not OpenMP's second thread: for these short kernels (20-300 µs) its 2-thread programs ran
 * slower than its 1-thread ones, and a session with 2 threads already has a Java worker that
 * would compete with an OpenMP worker for the second core; the bands use that Java worker
 * (measured in {@link NativeKernelRules#oneDnnQ8RowSplit}). Whether the
 * split pays depends on the load of the machine, as for OpenMP's threads, so the kernel measures
 * it against the whole convolution on one thread ({@link DnnlThreadChoice}: "many" is the split).
 */
final class DnnlQ8RowSplitConv implements KernelProvider.Q8ConvKernel {
    static final int PARTS = 2;
    /** {@value #PROPERTY}: {@code auto} (default, {@link NativeKernelRules#oneDnnQ8RowSplit}) or {@code off}; read when a kernel is made. */
    static final String PROPERTY = "edgerun.onednn.q8RowSplit";

    private final DnnlQ8ConvKernel whole;
    private final DnnlQ8ConvKernel[] bands;
    private final long[] xOffset;   // bytes from X's start to each band's first input row
    private final long[] yOffset;   // bytes from Y's start to each band's first output row
    /**
     * The bands are kept when their median is at most this fraction of the whole's. With a second
     * core free they take 0.55-0.6 of its time (Q8RowSplitPoolProbe); with another process on it,
     * a band the worker took waits for the worker's next time slice, and a trial's 3 samples can
     * still favour the bands: MobileNetV2 int8 at 2 threads, load 2-4, in-process medians of 300
     * runs with the bands against without, at {@link DnnlThreadChoice#GAIN_REQUIRED}: 4.11 / 4.15,
     * 5.09 / 4.60, 4.55 / 4.20, 4.56 / 4.24, 4.35 / 4.32 ms (least 2.70-4.0 against 3.75-4.04).
     */
    static final double GAIN_REQUIRED = 0.75;
    /** Null where {@value DnnlKernel#ADAPTIVE_THREADS_PROPERTY} is {@code off}: the bands, always. */
    private final DnnlThreadChoice choice = System.getProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY, "on").trim()
            .equals("off") ? null : new DnnlThreadChoice(GAIN_REQUIRED);
    private final Q8Reusable<Split> splits = new Q8Reusable<>(Split::new);

    private DnnlQ8RowSplitConv(DnnlQ8ConvKernel whole, DnnlQ8ConvKernel[] bands, long[] xOffset, long[] yOffset) {
        this.whole = whole;
        this.bands = bands;
        this.xOffset = xOffset;
        this.yOffset = yOffset;
    }

    /**
     * The split kernel for {@code whole} where {@link NativeKernelRules#oneDnnQ8RowSplit} wants one
     * for the planned session threads and X and Y are each NCHW or in an nhwc internal layout; else
     * {@code whole} itself.
     */
    static KernelProvider.Q8ConvKernel splitOrWhole(DnnlQ8ConvKernel whole) {
        if (System.getProperty(PROPERTY, "auto").trim().equals("off")) return whole;
        KernelProvider.Q8ConvSpec spec = whole.spec();
        int threads = KernelSelection.plannedThreads();
        if (!NativeKernelRules.oneDnnQ8RowSplit(spec, whole.flops(), threads) || !nchwOrNhwc(whole)) return whole;
        KernelProvider.ConvSpec g = spec.geometry();
        long outRows = g.outputShape()[2];
        DnnlQ8ConvKernel[] bands = new DnnlQ8ConvKernel[PARTS];
        long[] xOffset = new long[PARTS], yOffset = new long[PARTS];
        // a row of an nhwc tensor holds every channel; a row of an NCHW one, that of channel 0 (the strides reach the others)
        long xRowBytes = g.inputShape()[3] * (whole.internalX != null ? g.inputShape()[1] : 1);
        long yRowBytes = g.outputShape()[3] * (whole.internalY != null ? g.outputShape()[1] : 1);
        for (int p = 0; p < PARTS; p++) {
            long from = outRows * p / PARTS, to = outRows * (p + 1) / PARTS;
            Band band = Band.of(g, from, to);
            if (band.geometry().inputShape()[2] < 1) return whole; // rows that read padding only
            bands[p] = DnnlQ8ConvKernel.createBand(whole, band.spec(spec));
            if (bands[p] == null) return whole;
            xOffset[p] = band.firstInputRow * xRowBytes;
            yOffset[p] = from * yRowBytes;
        }
        return new DnnlQ8RowSplitConv(whole, bands, xOffset, yOffset);
    }

    /** Whether X and Y are each NCHW or in an nhwc internal layout (where a band of rows is an address offset). */
    private static boolean nchwOrNhwc(DnnlQ8ConvKernel k) {
        KernelProvider.ConvSpec g = k.spec().geometry();
        try (Arena arena = Arena.ofConfined()) {
            return (k.internalX == null || k.internalX.equals(new DnnlLayout(k.dnnl, nhwc(k.dnnl, arena, g.inputShape(), k.xType()))))
                    && (k.internalY == null || k.internalY.equals(new DnnlLayout(k.dnnl, nhwc(k.dnnl, arena, g.outputShape(), k.yType()))));
        }
    }

    /** The strides of a dense 4-D NCHW tensor of {@code shape}. */
    static long[] nchwStrides(long[] shape) {
        long c = shape[1], h = shape[2], w = shape[3];
        return new long[] {c * h * w, h * w, w, 1};
    }

    /** The nhwc descriptor of a 4-D activation {@code shape} (NCHW dimensions) of oneDNN type {@code type}. */
    static MemorySegment nhwc(Dnnl dnnl, Arena arena, long[] shape, int type) {
        long c = shape[1], h = shape[2], w = shape[3];
        return dnnl.mdByStrides(arena, shape, type, new long[] {h * w * c, 1, w * c, c});
    }

    /**
     * The output rows {@code [from, to)} of a 2-D convolution as a convolution of their own: the
     * input rows they read ({@code firstInputRow} on), the top padding where they reach above row
     * 0 (the bottom padding follows from the shapes, see {@link DnnlConvGeometry#convolutionDesc}).
     */
    record Band(KernelProvider.ConvSpec geometry, long firstInputRow) {
        static Band of(KernelProvider.ConvSpec g, long from, long to) {
            long stride = g.strides()[0], pad = g.padsBegin()[0];
            long extent = (g.weightShape()[2] - 1) * g.dilations()[0] + 1;
            long begin = from * stride - pad;                     // first input row read, may be negative
            long end = (to - 1) * stride - pad + extent;          // one past the last, may pass the bottom
            long first = Math.max(0, begin), last = Math.min(g.inputShape()[2], end);
            long[] in = g.inputShape().clone(), out = g.outputShape().clone();
            in[2] = last - first;
            out[2] = to - from;
            int[] pads = {(int) (first - begin), g.padsBegin()[1]};
            return new Band(new KernelProvider.ConvSpec(g.dtype(), in, g.weightShape(), out, g.group(), g.strides(), pads,
                    g.dilations(), g.constantWeight(), null), first);
        }

        KernelProvider.Q8ConvSpec spec(KernelProvider.Q8ConvSpec whole) {
            return new KernelProvider.Q8ConvSpec(geometry, whole.xSigned(), whole.xZeroPoint(), whole.bias(),
                    whole.multipliers(), whole.ySigned(), whole.yZeroPoint(), whole.yMin(), whole.yMax());
        }
    }

    /** The convolution the bands make up, which runs where the bands do not. */
    DnnlQ8ConvKernel whole() {
        return whole;
    }

    @Override
    public long scratchBytes() {
        return whole.scratchBytes(); // the bands use their programs' own scratch
    }

    @Override
    public void run(MemorySegment x, MemorySegment y, MemorySegment scratch, Parallel par) {
        if (par.threads() < PARTS || !x.isNative() || !y.isNative()) {
            whole.run(x, y, scratch, Parallel.SERIAL);
            return;
        }
        int threads = choice == null ? PARTS : choice.next(PARTS);
        boolean timed = choice != null && choice.sampling();
        long start = timed ? System.nanoTime() : 0;
        if (threads == 1) whole.run(x, y, scratch, Parallel.SERIAL);
        else runBands(x, y, par);
        if (timed) choice.record(threads, System.nanoTime() - start);
    }

    /** The bands over {@code par}'s threads (X and Y native, in the whole's layouts). */
    void runBands(MemorySegment x, MemorySegment y, Parallel par) {
        Split split = splits.claim();
        split.x = x.address();
        split.y = y.address();
        try {
            par.forRange(PARTS, split);
        } finally {
            splits.release(split);
        }
    }

    /** The range body of a split run, reused across runs: {@code x} and {@code y} are set per run. */
    private final class Split implements RunContext.RangeBody {
        long x, y;

        @Override
        public void run(int from, int to) {
            for (int p = from; p < to; p++) bands[p].runSerialAt(x + xOffset[p], y + yOffset[p]);
        }
    }

    @Override
    public KernelProvider.ConvKernel.Layout internalInputLayout() {
        return whole.internalInputLayout();
    }

    @Override
    public KernelProvider.ConvKernel.Layout internalOutputLayout() {
        return whole.internalOutputLayout();
    }

    @Override
    public KernelProvider.Q8ConvKernel withInternalLayouts(boolean input, boolean output) {
        boolean nothingNew = (!input || whole.internalX != null) && (!output || whole.internalY != null);
        return nothingNew ? this : whole.withInternalLayouts(input, output);
    }

    @Override
    public String toString() {
        return whole + " (rows split in " + PARTS + ")";
    }
}
