package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The input projection of a one-direction, batch-1 recurrence, {@code X·Wᵀ + Wb + Rb} for every
 * time step, computed in row chunks, so that a second thread projects later time steps while the
 * first runs the steps whose rows are done: on two threads the projection (kws_lstm: 49x256x40,
 * about 4 µs of the LSTM's 23 on one core) leaves the recurrence's critical path but for its first
 * chunk.
 *
 * <p>Chunks grow from {@value #FIRST_ROWS} rows, doubling, so that each is done before the
 * steps reach it while the first is short; a tail shorter than {@value #FIRST_ROWS} joins the
 * chunk before it. Each chunk has a GEMM kernel of its own size (the kernel providers choose it as
 * for the whole product); the partition is fixed, so a row's bits do not depend on which thread
 * computed it.
 *
 * <p>Who computes what: the helper ({@link #help}) claims chunks in order and writes them to a
 * buffer of its own; the thread running the steps ({@link #rowAt}) takes a chunk the helper has
 * not claimed away from it and computes it into the main buffer, and waits for one the helper is
 * computing for at most {@link #waitNanos} before computing it too: a helper that lost its core
 * (another process's time slice, milliseconds) then costs that bound once, not its whole absence.
 * Each row is read from the buffer of whoever finished its chunk. Per run, the claim counter and
 * each chunk's state lie in the run's scratch (an int each, accessed atomically), so concurrent runs
 * of a session stay apart, and so does each chunk kernel's own scratch (a slice per chunk and
 * buffer, made when a run's scratch is first seen: a frame's scratch is the same segment from run
 * to run).
 */
final class ChunkedProjection {
    /** Rows of the first chunk: enough that oneDNN (not a one-tile Java kernel) takes each chunk. */
    static final int FIRST_ROWS = 8;
    /** Sequences shorter than this run the projection whole. */
    static final int MIN_ROWS = 3 * FIRST_ROWS;
    /** The most the steps' thread waits for a chunk the helper is computing: a fixed part and a part per row. */
    static final long WAIT_NANOS = 2_000, WAIT_NANOS_PER_ROW = 200;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final int PENDING = 0, BY_HELPER = 1, BY_STEPS = 2; // chunk states
    private static final int STEPS = 0, HELPER = 1;                       // buffers

    private final int[] bounds;                       // chunk c: rows [bounds[c], bounds[c + 1])
    private final int[] chunkOfRow;
    private final KernelProvider.GemmKernel[] kernels; // per chunk
    private final int columns;                        // 4H
    private final int inputSize;
    private final boolean hasBias;
    private final long[] bufferAt;                    // scratch byte offsets of row 0 of the steps' and the helper's buffers
    private final long flagsAt;                       // scratch byte offset of the claim counter, then a state per chunk
    private final long[][] kernelScratchAt;           // per buffer, per chunk kernel
    private final long scratchEnd;
    private volatile KernelScratch kernelScratch;     // slices of the last run's scratch

    /** The chunk kernels' slices of one scratch segment, per buffer. */
    private record KernelScratch(MemorySegment scratch, MemorySegment[][] slices) { }

    private ChunkedProjection(int[] bounds, KernelProvider.GemmKernel[] kernels, int columns, int inputSize,
                              boolean hasBias, long projectionAt, long scratchAt) {
        this.bounds = bounds;
        this.kernels = kernels;
        this.columns = columns;
        this.inputSize = inputSize;
        this.hasBias = hasBias;
        int rows = bounds[bounds.length - 1];
        this.flagsAt = scratchAt;
        long helperAt = align(flagsAt + 4L * bounds.length);
        this.bufferAt = new long[] {projectionAt, helperAt};
        long at = align(helperAt + 4L * rows * columns);
        this.kernelScratchAt = new long[2][kernels.length];
        for (int b = 0; b < 2; b++) {
            for (int c = 0; c < kernels.length; c++) {
                kernelScratchAt[b][c] = at;
                at = align(at + kernels[c].scratchBytes());
            }
        }
        this.scratchEnd = at;
        this.chunkOfRow = new int[rows];
        for (int c = 0; c + 1 < bounds.length; c++) {
            for (int row = bounds[c]; row < bounds[c + 1]; row++) chunkOfRow[row] = c;
        }
    }

    /**
     * The chunked projection of {@code rows} rows of {@code inputSize} onto {@code columns}
     * (W constant, {@code [columns x inputSize]}), written from byte {@code projectionAt} of the
     * run's scratch, or null for fewer than {@value #MIN_ROWS} rows. Its flags, the helper's buffer
     * and the chunk kernels' scratch lie from byte {@code scratchAt} (64-aligned) to {@link #scratchEnd}.
     */
    static ChunkedProjection plan(int rows, int columns, int inputSize, boolean hasBias, Tensor w, long projectionAt,
                                  long scratchAt) {
        if (rows < MIN_ROWS) return null;
        int[] bounds = bounds(rows);
        var kernels = new KernelProvider.GemmKernel[bounds.length - 1];
        Tensor weights = Tensor.wrap(DType.FLOAT, Shape.of(columns, inputSize), w.data().asSlice(0, 4L * columns * inputSize));
        for (int c = 0; c < kernels.length; c++) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, bounds[c + 1] - bounds[c], columns, inputSize, false, true,
                    1f, hasBias, null, weights, null);
            var kernel = KernelSelection.defaults().gemm(spec);
            if (kernel.isEmpty()) return null;
            kernels[c] = kernel.get();
        }
        return new ChunkedProjection(bounds, kernels, columns, inputSize, hasBias, projectionAt, scratchAt);
    }

    /** Chunk boundaries: {@value #FIRST_ROWS} rows, then doubling; a short tail joins the chunk before it. */
    static int[] bounds(int rows) {
        List<Integer> b = new ArrayList<>(List.of(0));
        int size = FIRST_ROWS, at = 0;
        while (at < rows) {
            int end = rows - (at + size) < FIRST_ROWS ? rows : at + size;
            b.add(end);
            at = end;
            size *= 2;
        }
        return b.stream().mapToInt(Integer::intValue).toArray();
    }

    int chunks() {
        return bounds.length - 1;
    }

    /** The end of this projection's scratch, in bytes from the run's scratch start. */
    long scratchEnd() {
        return scratchEnd;
    }

    private static long align(long at) {
        return (at + 63) / 64 * 64;
    }

    /** Makes every chunk unclaimed and pending: before the threads start. */
    void reset(MemorySegment scratch) {
        for (int c = 0; c <= chunks(); c++) INT.setVolatile(scratch, flagsAt + 4L * c, 0);
    }

    /** Claims and computes chunks into the helper's buffer until every one is claimed. */
    void help(MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment scratch) {
        int c;
        while ((c = (int) INT.getAndAdd(scratch, flagsAt, 1)) < chunks()) {
            compute(c, HELPER, x, w, bias, scratch);
            INT.compareAndSet(scratch, stateAt(c), PENDING, BY_HELPER);
        }
    }

    /**
     * The scratch byte offset of row {@code row}'s projection, done: in the helper's buffer where it
     * finished the row's chunk first, else in the main one, computed now where it was not yet.
     * Called by the steps' thread for its rows in order.
     */
    long rowAt(int row, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment scratch) {
        int c = chunkOfRow[row];
        int state = (int) INT.getVolatile(scratch, stateAt(c));
        if (state == PENDING) state = settle(c, x, w, bias, scratch);
        return bufferAt[state == BY_HELPER ? HELPER : STEPS] + 4L * row * columns;
    }

    /** Chunk {@code c} done: taken from the helper and computed, or awaited, for at most {@link #waitNanos}. */
    private int settle(int c, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment scratch) {
        if (!INT.compareAndSet(scratch, flagsAt, c, c + 1)) {   // the helper has claimed it
            long deadline = System.nanoTime() + waitNanos(c);
            int state;
            while ((state = (int) INT.getVolatile(scratch, stateAt(c))) == PENDING && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            if (state != PENDING) return state;
        }
        compute(c, STEPS, x, w, bias, scratch);
        INT.compareAndSet(scratch, stateAt(c), PENDING, BY_STEPS);
        return BY_STEPS; // the main buffer holds the chunk, whoever finished first
    }

    /** How long the steps' thread waits for chunk {@code c} when the helper computes it. */
    long waitNanos(int c) {
        return WAIT_NANOS + WAIT_NANOS_PER_ROW * (bounds[c + 1] - bounds[c]);
    }

    private long stateAt(int c) {
        return flagsAt + 4L * (c + 1);
    }

    /** Chunk {@code c}'s kernel scratch for {@code buffer} within {@code scratch}: slices made once per scratch segment. */
    private MemorySegment kernelScratch(MemorySegment scratch, int buffer, int c) {
        KernelScratch k = kernelScratch;
        if (k == null || k.scratch() != scratch) {
            MemorySegment[][] slices = new MemorySegment[2][kernels.length];
            for (int b = 0; b < 2; b++) {
                for (int i = 0; i < kernels.length; i++) {
                    slices[b][i] = scratch.asSlice(kernelScratchAt[b][i], kernels[i].scratchBytes());
                }
            }
            kernelScratch = k = new KernelScratch(scratch, slices);
        }
        return k.slices()[buffer][c];
    }

    /** Rows of chunk {@code c} in {@code buffer}: the bias sum in every row, then {@code + X·Wᵀ}. */
    private void compute(int c, int buffer, MemorySegment x, MemorySegment w, MemorySegment bias, MemorySegment scratch) {
        int from = bounds[c], to = bounds[c + 1];
        long rowBytes = 4L * columns;
        long first = bufferAt[buffer] + from * rowBytes;
        if (hasBias) {
            for (int j = 0; j < columns; j++) {
                scratch.set(F, first + 4L * j, bias.get(F, 4L * j) + bias.get(F, rowBytes + 4L * j));
            }
            for (int row = from + 1; row < to; row++) {
                MemorySegment.copy(scratch, first, scratch, first + (row - from) * rowBytes, rowBytes);
            }
        }
        kernels[c].run(x, 4L * from * inputSize, w, 0, scratch, first, kernelScratch(scratch, buffer, c), Parallel.SERIAL);
    }
}
