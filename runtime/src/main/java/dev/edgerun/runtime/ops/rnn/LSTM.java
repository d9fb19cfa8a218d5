package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RnnDot;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX LSTM (opsets 1, 7, 14): gates in ONNX order i, o, f, c; peepholes P in order i, o, f;
 * {@code input_forget} couples the forget gate to the input gate (f = 1 - i), as ONNX Runtime does.
 * Batch items run one after another, each over its own {@code sequence_lens} steps; Y is zero
 * past the end of a sequence.
 */
public final class LSTM implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 4, List.of("Sigmoid", "Tanh", "Tanh"), 3);
        if (ctx.hasInput(6)) spec.expectShape(ctx, 6, "initial_c", spec.stateShape());
        if (ctx.hasInput(7)) spec.expectShape(ctx, 7, "P", dev.edgerun.runtime.Shape.of(spec.numDirections, 3L * spec.hidden));
        boolean inputForget = ctx.attrInt("input_forget", 0) != 0;
        F32Gemm gemm = F32Gemm.preferred();
        Tensor w = ctx.constantInput(1);
        MemorySegment packedW = w == null ? null : packW(gemm, spec, w.data(), F32Gemm.allocatePacked(packedWBytes(gemm, spec)), 0);
        return new LstmKernel(spec, ctx.hasInput(6), ctx.hasInput(7), inputForget, spec.outputTypes(2), gemm, packedW);
    }

    /** Bytes of W packed as GEMM B operands, one {@code [I x 4H]} panel set per direction. */
    private static long packedWBytes(F32Gemm gemm, RecurrentSpec s) {
        return 4L * s.numDirections * gemm.packedBSize(s.inputSize, 4 * s.hidden);
    }

    /** Packs Wᵀ of every direction ({@code [I x 4H]}, element (p, row) = W[d, row, p]) into {@code dst}. */
    private static MemorySegment packW(F32Gemm gemm, RecurrentSpec s, MemorySegment w, MemorySegment dst, long dstOff) {
        long perDirection = 4L * gemm.packedBSize(s.inputSize, 4 * s.hidden);
        for (int d = 0; d < s.numDirections; d++) {
            gemm.packB(w, 4L * d * 4 * s.hidden * s.inputSize, 1, s.inputSize, s.inputSize, 4 * s.hidden,
                    dst, dstOff + d * perDirection);
        }
        return dst;
    }

    private static final class LstmKernel implements Kernel {
        private final RecurrentSpec s;
        private final boolean hasInitialC;
        private final boolean hasPeepholes;
        private final boolean inputForget;
        private final List<ValueType> types;
        private final RnnDot dot = RnnDot.DEFAULT;
        private final F32Gemm gemm;
        private final MemorySegment packedW; // null: W is not constant, packed into scratch per run
        private final int rows;              // rows of X: seqLength * batch
        private final long packedXAt;        // scratch byte offsets
        private final long projectionAt;
        private final long packedWAt;
        private final long scratchBytes;

        LstmKernel(RecurrentSpec s, boolean hasInitialC, boolean hasPeepholes, boolean inputForget, List<ValueType> types,
                   F32Gemm gemm, MemorySegment packedW) {
            this.s = s;
            this.hasInitialC = hasInitialC;
            this.hasPeepholes = hasPeepholes;
            this.inputForget = inputForget;
            this.types = types;
            this.gemm = gemm;
            this.packedW = packedW;
            this.rows = s.seqLength * s.batch;
            this.packedXAt = 4L * 6 * s.hidden;
            this.projectionAt = packedXAt + 4L * F32Gemm.packedASize(rows, s.inputSize);
            this.packedWAt = projectionAt + 4L * rows * 4 * s.hidden;
            this.scratchBytes = packedWAt + (packedW == null ? packedWBytes(gemm, s) : 0);
        }

        @Override public List<ValueType> outputTypes() { return types; }

        /** h[H], c[H], gates[4H], packed X, X·Wᵀ of one direction [rows x 4H], packed W when not constant. */
        @Override public long scratchBytes() { return scratchBytes; }

        @Override
        public void run(RunContext ctx) {
            Tensor y = s.wantOutput[0] ? ctx.output(0) : null;
            Tensor yh = s.wantOutput[1] ? ctx.output(1) : null;
            Tensor yc = s.wantOutput[2] ? ctx.output(2) : null;
            if (y != null) y.data().fill((byte) 0);
            MemorySegment scratch = ctx.scratch();
            F32Gemm.packA(ctx.input(0).data(), 0, s.inputSize, 1, rows, s.inputSize, scratch, packedXAt);
            MemorySegment w = packedW != null ? packedW : packW(gemm, s, ctx.input(1).data(), scratch, packedWAt);
            long wAt = packedW != null ? 0 : packedWAt;
            for (int d = 0; d < s.numDirections; d++) {
                projectInput(scratch, w, wAt + 4L * d * gemm.packedBSize(s.inputSize, 4 * s.hidden));
                for (int b = 0; b < s.batch; b++) {
                    runSequence(ctx, d, b, y, yh, yc);
                }
            }
        }

        /** X·Wᵀ of one direction for every time step and batch item at once, rows in X's order. */
        private void projectInput(MemorySegment scratch, MemorySegment w, long wAt) {
            int n = 4 * s.hidden;
            gemm.multiply(rows, n, s.inputSize, scratch, packedXAt, w, wAt, scratch, projectionAt, n,
                    1f, false, null, Parallel.SERIAL);
        }

        private void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh, Tensor yc) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long cOff = 4L * hs;
            long gOff = 8L * hs;
            long stateAt = 4L * s.stateOffset(d, b);
            copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            copyOrZero(hasInitialC ? ctx.input(6) : null, stateAt, scratch, cOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            MemorySegment r = ctx.input(2).data();
            MemorySegment bias = s.hasBias ? ctx.input(3).data() : null;
            MemorySegment p = hasPeepholes ? ctx.input(7).data() : null;
            Activation f = s.activation(d, 0);
            Activation g = s.activation(d, 1);
            Activation h = s.activation(d, 2);
            long rDir = 4L * d * 4 * hs * hs;
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long xwAt = projectionAt + 4L * (s.xOffset(t, b) / s.inputSize) * 4 * hs;
                for (int row = 0; row < 4 * hs; row++) {
                    float acc = scratch.get(F, xwAt + 4L * row)
                            + dot.dot(scratch, hOff, r, rDir + 4L * row * hs, hs);
                    if (bias != null) {
                        long bAt = 4L * ((long) d * 8 * hs + row);
                        acc += bias.get(F, bAt) + bias.get(F, bAt + 16L * hs);
                    }
                    scratch.set(F, gOff + 4L * row, acc);
                }
                for (int j = 0; j < hs; j++) {
                    float cPrev = scratch.get(F, cOff + 4L * j);
                    float ai = scratch.get(F, gOff + 4L * j);
                    float ao = scratch.get(F, gOff + 4L * (hs + j));
                    float af = scratch.get(F, gOff + 4L * (2 * hs + j));
                    float ac = scratch.get(F, gOff + 4L * (3 * hs + j));
                    if (p != null) {
                        long pAt = 4L * ((long) d * 3 * hs + j);
                        ai += p.get(F, pAt) * cPrev;
                        af += p.get(F, pAt + 8L * hs) * cPrev;
                    }
                    float gi = f.apply(s.clip(ai));
                    float gf = inputForget ? 1f - gi : f.apply(s.clip(af));
                    float gc = g.apply(s.clip(ac));
                    float c = gf * cPrev + gi * gc;
                    if (p != null) ao += p.get(F, 4L * ((long) d * 3 * hs + hs + j)) * c;
                    float go = f.apply(s.clip(ao));
                    scratch.set(F, cOff + 4L * j, c);
                    scratch.set(F, gOff + 4L * j, go * h.apply(c)); // new h, kept apart until all j are done
                }
                MemorySegment.copy(scratch, gOff, scratch, hOff, 4L * hs);
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
            if (yc != null) MemorySegment.copy(scratch, cOff, yc.data(), stateAt, 4L * hs);
        }
    }

    static void copyOrZero(Tensor source, long sourceByteOffset, MemorySegment target, long targetOffset, int floats) {
        if (source == null) {
            for (int k = 0; k < floats; k++) target.set(F, targetOffset + 4L * k, 0f);
        } else {
            MemorySegment.copy(source.data(), sourceByteOffset, target, targetOffset, 4L * floats);
        }
    }
}
