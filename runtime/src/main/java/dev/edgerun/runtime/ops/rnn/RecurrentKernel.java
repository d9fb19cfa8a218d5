package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32Gemv;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RnnDot;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * What GRU and RNN kernels share: the spec, the output types, the loop over directions and batch
 * entries, and the two products of a cell. The input product of every time step is one packed GEMM
 * per direction, {@code X·Wᵀ} plus a per-gate-row bias, written into scratch before the steps
 * ({@link #projectInput}); each step adds the recurrent product {@code h·Rᵀ} of a block of gate
 * rows onto a row of it ({@link #recur}): a one-row product over Rᵀ packed once when R is constant
 * and vectors are on, dot products over R otherwise. Subclasses run one sequence (outputs Y, Y_h).
 *
 * <p>Scratch: the subclass's state ({@link #stateBytes}), packed X, the projection
 * {@code [seq * batch, gates * H]} of one direction, and W packed per run when it is not constant.
 */
abstract class RecurrentKernel implements Kernel {
    private static final java.lang.foreign.ValueLayout.OfFloat F = java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;

    final RecurrentSpec s;
    final RnnDot dot = RnnDot.DEFAULT;
    private final List<ValueType> types;
    final F32Gemm gemm = F32Gemm.preferred();
    final F32Gemv gemv;                   // null: scalar kernels
    private final MemorySegment packedW;  // Wᵀ of every direction, or null: packed per run
    private final int rows;               // seqLength * batch
    private final int gateRows;           // gates * H
    private final long packedXAt;
    private final long projectionAt;
    private final long packedWAt;
    private final long scratchBytes;

    RecurrentKernel(NodeContext ctx, RecurrentSpec s, List<ValueType> types, long stateBytes) {
        this.s = s;
        this.types = types;
        this.gemv = gemm.species() == null ? null : new F32Gemv(gemm);
        this.rows = s.seqLength * s.batch;
        this.gateRows = s.gates * s.hidden;
        Tensor w = ctx.constantInput(1);
        this.packedW = w == null ? null : packW(w.data(), F32Gemm.allocatePacked(packedWBytes()), 0);
        this.packedXAt = (stateBytes + 63) / 64 * 64;
        this.projectionAt = packedXAt + 4L * F32Gemm.packedASize(rows, s.inputSize);
        this.packedWAt = projectionAt + 4L * rows * gateRows;
        this.scratchBytes = packedWAt + (packedW == null ? packedWBytes() : 0);
    }

    @Override
    public final List<ValueType> outputTypes() {
        return types;
    }

    @Override
    public final long scratchBytes() {
        return scratchBytes;
    }

    private long packedWBytes() {
        return 4L * s.numDirections * gemm.packedBSize(s.inputSize, gateRows);
    }

    private MemorySegment packW(MemorySegment w, MemorySegment dst, long dstOff) {
        long perDirection = 4L * gemm.packedBSize(s.inputSize, gateRows);
        for (int d = 0; d < s.numDirections; d++) {
            gemm.packB(w, 4L * d * gateRows * s.inputSize, 1, s.inputSize, s.inputSize, gateRows, dst, dstOff + d * perDirection);
        }
        return dst;
    }

    /**
     * Rows {@code [from, from + count)} of R (every direction) transposed into GEMM B panels, or
     * null when R is not constant or vectors are off ({@link #recur} then takes dot products).
     */
    MemorySegment packR(NodeContext ctx, int from, int count) {
        Tensor r = ctx.constantInput(2);
        if (r == null || gemv == null) return null;
        int hs = s.hidden;
        long perDirection = 4L * gemm.packedBSize(hs, count);
        MemorySegment dst = F32Gemm.allocatePacked(s.numDirections * perDirection);
        for (int d = 0; d < s.numDirections; d++) {
            gemm.packB(r.data(), 4L * ((long) d * gateRows + from) * hs, 1, hs, hs, count, dst, d * perDirection);
        }
        return dst;
    }

    @Override
    public final void run(RunContext ctx) {
        Tensor y = s.wantOutput[0] ? ctx.output(0) : null;
        Tensor yh = s.wantOutput[1] ? ctx.output(1) : null;
        // Y past a sequence's end is zero; without sequence_lens every step writes its row
        if (y != null && s.hasSequenceLens) y.data().fill((byte) 0);
        MemorySegment scratch = ctx.scratch();
        F32Gemm.packA(ctx.input(0).data(), 0, s.inputSize, 1, rows, s.inputSize, scratch, packedXAt);
        MemorySegment w = packedW != null ? packedW : packW(ctx.input(1).data(), scratch, packedWAt);
        long wAt = packedW != null ? 0 : packedWAt;
        for (int d = 0; d < s.numDirections; d++) {
            projectInput(ctx, d, scratch, w, wAt + 4L * d * gemm.packedBSize(s.inputSize, gateRows));
            for (int b = 0; b < s.batch; b++) {
                runSequence(ctx, d, b, y, yh);
            }
        }
    }

    /** Every projection row becomes {@link #inputBias} + X·Wᵀ of direction {@code d}, rows in X's order. */
    private void projectInput(RunContext ctx, int d, MemorySegment scratch, MemorySegment w, long wAt) {
        long rowBytes = 4L * gateRows;
        MemorySegment bias = s.hasBias ? ctx.input(3).data() : null;
        if (bias != null) {
            for (int j = 0; j < gateRows; j++) scratch.set(F, projectionAt + 4L * j, inputBias(bias, d, j));
            for (int row = 1; row < rows; row++) {
                MemorySegment.copy(scratch, projectionAt, scratch, projectionAt + row * rowBytes, rowBytes);
            }
        }
        gemm.multiply(rows, gateRows, s.inputSize, scratch, packedXAt, w, wAt, scratch, projectionAt, gateRows,
                1f, bias != null, null, Parallel.SERIAL);
    }

    /** The bias folded into the input product of gate row {@code j} of direction {@code d} (B is {@code [D, 2 * gates * H]}). */
    abstract float inputBias(MemorySegment bias, int d, int j);

    /** Byte offset in scratch of the projection row of time step {@code t}, batch item {@code b}. */
    final long projectionRow(int t, int b) {
        return projectionAt + 4L * (s.xOffset(t, b) / s.inputSize) * gateRows;
    }

    /**
     * {@code dst[j] (+)= sum_k h[k] * R[d, from + j, k]} for j in [0, count): over {@code packed}
     * (from {@link #packR} with the same rows) when not null, else by dot products over R.
     */
    final void recur(RunContext ctx, int d, MemorySegment h, long hOff, MemorySegment packed, int from, int count,
                     MemorySegment dst, long dstOff, boolean accumulate) {
        int hs = s.hidden;
        if (packed != null) {
            gemv.multiply(count, hs, h, hOff, 1, packed, 4L * d * gemm.packedBSize(hs, count), dst, dstOff, 1f,
                    accumulate, null, Parallel.SERIAL);
            return;
        }
        MemorySegment r = ctx.input(2).data();
        long rd = 4L * ((long) d * gateRows + from) * hs;
        for (int j = 0; j < count; j++) {
            float v = dot.dot(h, hOff, r, rd + 4L * j * hs, hs);
            long at = dstOff + 4L * j;
            dst.set(F, at, accumulate ? dst.get(F, at) + v : v);
        }
    }

    /** {@code m[i] = a(clip(m[i]))} for the {@code n} floats at byte {@code off}: whole vectors when a has a vector form and there is no clip. */
    final void activate(Activation a, MemorySegment m, long off, int n) {
        if (a.unaryOp() != null && s.clip == Float.POSITIVE_INFINITY) {
            dev.edgerun.runtime.kernels.F32Unary.apply(a.unaryOp(), a.alpha(), a.beta(), gemm.species(), m, off / 4, m,
                    off / 4, n);
        } else {
            for (int i = 0; i < n; i++) m.set(F, off + 4L * i, a.apply(s.clip(m.get(F, off + 4L * i))));
        }
    }

    /** Runs direction {@code d} of batch entry {@code b}; {@code y}/{@code yh} are null when not wanted. */
    abstract void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh);
}
