package dev.edgerun.runtime.kernels.nativelib;

import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import java.lang.foreign.MemorySegment;

/**
 * A float32 oneDNN matmul that, in a session of 2 or more threads, runs instead as the Java
 * kernels' product over the session's threads when that measures faster: {@link DnnlThreadChoice}
 * (gain {@link DnnlQ8RowSplitConv#GAIN_REQUIRED}) times the Java product on {@code par} against
 * the whole oneDNN product on one thread, so a busy second core keeps oneDNN's. It takes the
 * products {@link DnnlRowSplitMatMul} would cut into oneDNN bands, in their place.
 *
 * <p>Why the Java product: it splits by column panels, each thread taking all rows, where a band
 * of half the rows fits oneDNN's brgemm tiles worse. tiny_transformer at 2 threads, per-node least
 * (ProfMin, 1000 runs after 10 s): ff1 (32x512x128, GELU) 11.2 µs on the Java split against 14.0
 * in oneDNN bands (load 7.6, earlier session) and 18.6-19.5 whole; ff2 9.1 against 16.7 whole, qkv
 * 8.2 against 12.7. The bands' 0.75 of the whole is the choice's threshold, so they were seldom
 * kept; the Java split's 0.6 is kept whenever a core is free.
 *
 * <p>{@value #PROPERTY} {@code off} restores the oneDNN bands ({@link DnnlRowSplitMatMul});
 * {@value DnnlKernel#ADAPTIVE_THREADS_PROPERTY} {@code off} runs the Java split always.
 */
final class DnnlJavaSplitMatMul implements KernelProvider.GemmKernel, RowBiasGemm {
    /** {@value #PROPERTY}: {@code auto} (default) or {@code off}; read when a kernel is made. */
    static final String PROPERTY = "edgerun.onednn.matmulJavaSplit";

    private final DnnlMatMulKernel whole;
    private final KernelProvider.GemmKernel java;
    /** Null where {@value DnnlKernel#ADAPTIVE_THREADS_PROPERTY} is {@code off}: the Java split, always. */
    private final DnnlThreadChoice choice = System.getProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY, "on").trim()
            .equals("off") ? null : new DnnlThreadChoice(DnnlQ8RowSplitConv.GAIN_REQUIRED);

    private DnnlJavaSplitMatMul(DnnlMatMulKernel whole, KernelProvider.GemmKernel java) {
        this.whole = whole;
        this.java = java;
    }

    /**
     * The kernel for {@code whole}: this one where {@link DnnlRowSplitMatMul#splits} wants a split at
     * the planned session threads and the Java provider has the product, else
     * {@link DnnlRowSplitMatMul#splitOrWhole}'s.
     */
    static KernelProvider.GemmKernel splitOrWhole(Dnnl dnnl, DnnlMatMulKernel whole, KernelProvider.GemmSpec spec) {
        if (whole == null || !DnnlRowSplitMatMul.splits(spec, KernelSelection.plannedThreads())
                || System.getProperty(PROPERTY, "auto").trim().equals("off")) {
            return DnnlRowSplitMatMul.splitOrWhole(dnnl, whole, spec);
        }
        return KernelSelection.defaults().provider("java").flatMap(p -> p.gemm(spec))
                .<KernelProvider.GemmKernel>map(java -> new DnnlJavaSplitMatMul(whole, java))
                .orElseGet(() -> DnnlRowSplitMatMul.splitOrWhole(dnnl, whole, spec));
    }

    @Override
    public long scratchBytes() {
        return Math.max(whole.scratchBytes(), java.scratchBytes());
    }

    @Override
    public void run(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment y, long yOff,
                    MemorySegment scratch, Parallel par) {
        if (par.threads() < 2 || !nativeOperands(a, b, y)) {
            whole.run(a, aOff, b, bOff, y, yOff, scratch, Parallel.SERIAL);
            return;
        }
        long start = System.nanoTime();
        boolean javaNow = javaNow();
        if (javaNow) java.run(a, aOff, b, bOff, y, yOff, scratch, par);
        else whole.run(a, aOff, b, bOff, y, yOff, scratch, Parallel.SERIAL);
        record(javaNow, start);
    }

    private boolean javaNow() {
        return choice == null || choice.next(2) == 2;
    }

    private void record(boolean javaNow, long start) {
        if (choice != null) choice.record(javaNow ? 2 : 1, System.nanoTime() - start);
    }

    /** Where an operand is on the heap, the whole kernel's own fallback runs (as in {@link DnnlRowSplitMatMul}). */
    private static boolean nativeOperands(MemorySegment a, MemorySegment b, MemorySegment y) {
        return a.isNative() && (b == null || b.isNative()) && y.isNative();
    }

    /** The row-bias forms of both kernels, chosen between alike; null when either has none. */
    @Override
    public RowBiasGemm.Kernel withRowBias() {
        RowBiasGemm.Kernel wholeBiased = whole.withRowBias();
        RowBiasGemm.Kernel javaBiased = java instanceof RowBiasGemm r ? r.withRowBias() : null;
        if (wholeBiased == null || javaBiased == null) return null;
        return new RowBiasGemm.Kernel() {
            @Override
            public long scratchBytes() {
                return Math.max(wholeBiased.scratchBytes(), javaBiased.scratchBytes());
            }

            @Override
            public void run(MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment bias, long biasOff,
                            MemorySegment y, long yOff, MemorySegment scratch, Parallel par) {
                if (par.threads() < 2 || !nativeOperands(a, b, y) || !bias.isNative()) {
                    wholeBiased.run(a, aOff, b, bOff, bias, biasOff, y, yOff, scratch, Parallel.SERIAL);
                    return;
                }
                long start = System.nanoTime();
                boolean javaNow = javaNow();
                if (javaNow) javaBiased.run(a, aOff, b, bOff, bias, biasOff, y, yOff, scratch, par);
                else wholeBiased.run(a, aOff, b, bOff, bias, biasOff, y, yOff, scratch, Parallel.SERIAL);
                record(javaNow, start);
            }

            @Override
            public String toString() {
                return DnnlJavaSplitMatMul.this + " +bias";
            }
        };
    }

    @Override
    public String toString() {
        return whole + " or " + java + " split";
    }
}
