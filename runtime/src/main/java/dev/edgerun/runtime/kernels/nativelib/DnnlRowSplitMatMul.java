package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * A float32 oneDNN matmul run on the session's Java threads rather than on OpenMP's: the rows of
 * A and Y are cut into {@value #PARTS} bands, each a single-thread oneDNN matmul of its own over
 * the same B, and {@link Parallel#forRange} runs the bands at once, as {@link DnnlQ8RowSplitConv}
 * does for 8-bit convolutions. A band is an address offset into A and Y (row-major, A not
 * transposed); each band writes its own rows, with its own bias rows and epilogue.
 *
 * <p>For products of {@value #MIN_FLOPS} to {@value #MAX_FLOPS} FLOP at 2 or more session threads
 * (tiny_transformer's qkv, ff1 and ff2 MatMuls at 32 rows: 3.1 to 4.2 MFLOP, run on one core by
 * {@link NativeKernelRules#threadsFor} or by OpenMP's 2-thread programs; with those forced, ff1 and
 * ff2 took 27-32 µs at their least against 16-19 on one thread and 10-14 in bands, load 7.6). Whether the bands pay depends on whether the second
 * core is free, so the kernel measures them against the whole product on one thread
 * ({@link DnnlThreadChoice}, "many" being the bands). {@value #PROPERTY} {@code off} keeps the whole.
 */
final class DnnlRowSplitMatMul implements KernelProvider.GemmKernel, RowBiasGemm {
    static final int PARTS = 2;
    /** {@value #PROPERTY}: {@code auto} (default) or {@code off}; read when a kernel is made. */
    static final String PROPERTY = "edgerun.onednn.matmulRowSplit";
    /**
     * Products from this many FLOP are split ({@link NativeKernelRules#FLOPS_PER_THREAD}): a band's
     * work must outweigh the hand-over to the worker. tiny_transformer's 32x128x128 (1 MFLOP) took
     * 5.2-5.7 µs at its least in bands against 4.5 whole; its 3.1-4.2 MFLOP products 9.1-14.1 against
     * 12.2-18.6 (ProfMin, bands forced, load 7.6).
     */
    static final long MIN_FLOPS = NativeKernelRules.FLOPS_PER_THREAD;
    /** Products from this many FLOP are left to OpenMP's threads ({@link NativeKernelRules#MEASURED_THREADS_MAX_FLOPS}). */
    static final long MAX_FLOPS = NativeKernelRules.MEASURED_THREADS_MAX_FLOPS;
    /** Rows a band has at least: one row tile of oneDNN's brgemm kernels, and more than one of the Java GEMM's. */
    static final int MIN_BAND_ROWS = 8;

    private final DnnlMatMulKernel whole;
    private final DnnlMatMulKernel[] bands;
    private final long[] aOffset; // bytes from A's start to each band's first row
    private final long[] yOffset; // likewise in Y
    private final int[] firstRow;
    /** Null where {@value DnnlKernel#ADAPTIVE_THREADS_PROPERTY} is {@code off}: the bands, always. */
    private final DnnlThreadChoice choice = System.getProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY, "on").trim()
            .equals("off") ? null : new DnnlThreadChoice(DnnlQ8RowSplitConv.GAIN_REQUIRED);
    private final Q8Reusable<Split> splits = new Q8Reusable<>(Split::new);

    private DnnlRowSplitMatMul(DnnlMatMulKernel whole, DnnlMatMulKernel[] bands, int[] firstRow, KernelProvider.GemmSpec spec) {
        this.whole = whole;
        this.bands = bands;
        this.firstRow = firstRow;
        this.aOffset = new long[PARTS];
        this.yOffset = new long[PARTS];
        for (int p = 0; p < PARTS; p++) {
            aOffset[p] = 4L * firstRow[p] * spec.k();
            yOffset[p] = 4L * firstRow[p] * spec.n();
        }
    }

    /** Whether {@code spec} is split at {@code sessionThreads}: see the class comment. */
    static boolean splits(KernelProvider.GemmSpec spec, int sessionThreads) {
        return sessionThreads >= PARTS && !spec.transA() && spec.constantA() == null && spec.m() >= PARTS * MIN_BAND_ROWS
                && spec.flops() >= MIN_FLOPS && spec.flops() < MAX_FLOPS
                && !System.getProperty(PROPERTY, "auto").trim().equals("off");
    }

    /** The split kernel for {@code whole} where {@link #splits} wants one for the planned session threads; else {@code whole}. */
    static KernelProvider.GemmKernel splitOrWhole(Dnnl dnnl, DnnlMatMulKernel whole, KernelProvider.GemmSpec spec) {
        if (whole == null || !splits(spec, KernelSelection.plannedThreads())) return whole;
        DnnlMatMulKernel[] bands = new DnnlMatMulKernel[PARTS];
        int[] first = new int[PARTS];
        for (int p = 0; p < PARTS; p++) {
            first[p] = spec.m() * p / PARTS;
            int rows = spec.m() * (p + 1) / PARTS - first[p];
            bands[p] = DnnlMatMulKernel.create(dnnl, new KernelProvider.GemmSpec(spec.dtype(), rows, spec.n(), spec.k(),
                    false, spec.transB(), spec.alpha(), spec.accumulate(), null, spec.constantB(), spec.epilogue()));
            if (bands[p] == null) return whole;
        }
        return new DnnlRowSplitMatMul(whole, bands, first, spec);
    }

    @Override
    public long scratchBytes() {
        return whole.scratchBytes(); // the bands use their programs' own scratch
    }

    @Override
    public void run(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment y, long yOff,
                    MemorySegment scratch, Parallel par) {
        if (!splitNow(a, b, y, par)) {
            whole.run(a, aOff, b, bOff, y, yOff, scratch, Parallel.SERIAL);
            return;
        }
        long start = System.nanoTime();
        boolean bandsNow = choice == null || choice.next(PARTS) == PARTS;
        if (bandsNow) runBands(a, aOff, b, bOff, null, 0, y, yOff, par, null);
        else whole.run(a, aOff, b, bOff, y, yOff, scratch, Parallel.SERIAL);
        if (choice != null) choice.record(bandsNow ? PARTS : 1, System.nanoTime() - start);
    }

    /** Whether this run may take the bands: two threads or more, native operands (else the whole kernel's heap fallback). */
    private static boolean splitNow(MemorySegment a, MemorySegment b, MemorySegment y, Parallel par) {
        return par.threads() >= PARTS && a.isNative() && (b == null || b.isNative()) && y.isNative();
    }

    /** The bands over {@code par}'s threads; {@code biased} the bands' row-bias forms, or null for the plain ones. */
    private void runBands(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment bias, long biasOff,
                          MemorySegment y, long yOff, Parallel par, RowBiasGemm.Kernel[] biased) {
        Split split = splits.claim();
        split.set(a, aOff, b, bOff, bias, biasOff, y, yOff, biased);
        try {
            par.forRange(PARTS, split);
        } finally {
            split.set(null, 0, null, 0, null, 0, null, 0, null);
            splits.release(split);
        }
    }

    /** The range body of a split run, reused across runs: the operands are set per run. */
    private final class Split implements RunContext.RangeBody {
        MemorySegment a, b, bias, y;
        long aOff, bOff, biasOff, yOff;
        RowBiasGemm.Kernel[] biased;

        void set(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment bias, long biasOff, MemorySegment y,
                 long yOff, RowBiasGemm.Kernel[] biased) {
            this.a = a;
            this.aOff = aOff;
            this.b = b;
            this.bOff = bOff;
            this.bias = bias;
            this.biasOff = biasOff;
            this.y = y;
            this.yOff = yOff;
            this.biased = biased;
        }

        @Override
        public void run(int from, int to) {
            for (int p = from; p < to; p++) {
                // scratch null: each band's program uses a scratchpad of its own (two bands run at once)
                if (biased == null) {
                    bands[p].run(a, aOff + aOffset[p], b, bOff, y, yOff + yOffset[p], null, Parallel.SERIAL);
                } else {
                    biased[p].run(a, aOff + aOffset[p], b, bOff, bias, biasOff, y, yOff + yOffset[p], null, Parallel.SERIAL);
                }
            }
        }
    }

    /**
     * The row-bias form of the whole and of every band ({@link DnnlMatMulKernel#withRowBias}), split as
     * the plain product is; null when one of them has none.
     */
    @Override
    public RowBiasGemm.Kernel withRowBias() {
        RowBiasGemm.Kernel wholeBiased = whole.withRowBias();
        if (wholeBiased == null) return null;
        RowBiasGemm.Kernel[] biased = new RowBiasGemm.Kernel[PARTS];
        for (int p = 0; p < PARTS; p++) {
            biased[p] = bands[p].withRowBias();
            if (biased[p] == null) return null;
        }
        return new RowBiasGemm.Kernel() {
            @Override
            public long scratchBytes() {
                return wholeBiased.scratchBytes();
            }

            @Override
            public void run(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment bias, long biasOff,
                            MemorySegment y, long yOff, MemorySegment scratch, Parallel par) {
                if (!splitNow(a, b, y, par) || !bias.isNative()) {
                    wholeBiased.run(a, aOff, b, bOff, bias, biasOff, y, yOff, scratch, Parallel.SERIAL);
                    return;
                }
                long start = System.nanoTime();
                boolean bandsNow = choice == null || choice.next(PARTS) == PARTS;
                if (bandsNow) runBands(a, aOff, b, bOff, bias, biasOff, y, yOff, par, biased);
                else wholeBiased.run(a, aOff, b, bOff, bias, biasOff, y, yOff, scratch, Parallel.SERIAL);
                if (choice != null) choice.record(bandsNow ? PARTS : 1, System.nanoTime() - start);
            }

            @Override
            public String toString() {
                return DnnlRowSplitMatMul.this + " +bias";
            }
        };
    }

    @Override
    public String toString() {
        return whole + " (rows split in " + PARTS + " at " + firstRow[1] + ")";
    }
}
