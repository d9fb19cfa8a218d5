package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX GRU (opsets 1, 3, 7, 14): gates in ONNX order z, r, h. With {@code linear_before_reset}
 * the reset gate multiplies (H·Rh + Rbh) instead of H before the product with Rh.
 */
public final class GRU implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 3, List.of("Sigmoid", "Tanh"), 2);
        boolean linearBeforeReset = ctx.attrInt("linear_before_reset", 0) != 0;
        return new GruKernel(spec, linearBeforeReset, spec.outputTypes(1));
    }

    private static final class GruKernel extends RecurrentKernel {
        private final boolean linearBeforeReset;

        GruKernel(RecurrentSpec s, boolean linearBeforeReset, List<ValueType> types) {
            super(s, types);
            this.linearBeforeReset = linearBeforeReset;
        }

        /** h[H], gates[3H], r*h[H], new h[H]. */
        @Override public long scratchBytes() { return 4L * 6 * s.hidden; }

        @Override
        void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long gOff = 4L * hs;
            long rhOff = 16L * hs;
            long newOff = 20L * hs;
            long stateAt = 4L * s.stateOffset(d, b);
            LSTM.copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            MemorySegment x = ctx.input(0).data();
            MemorySegment w = ctx.input(1).data();
            MemorySegment r = ctx.input(2).data();
            MemorySegment bias = s.hasBias ? ctx.input(3).data() : null;
            Activation f = s.activation(d, 0);
            Activation g = s.activation(d, 1);
            long wDir = 4L * d * 3 * hs * s.inputSize;
            long rDir = 4L * d * 3 * hs * hs;
            long bDir = 4L * d * 6 * hs;
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long xAt = 4L * s.xOffset(t, b);
                // z and r gates
                for (int row = 0; row < 2 * hs; row++) {
                    float acc = dot.dot(x, xAt, w, wDir + 4L * row * s.inputSize, s.inputSize)
                            + dot.dot(scratch, hOff, r, rDir + 4L * row * hs, hs);
                    if (bias != null) acc += bias.get(F, bDir + 4L * row) + bias.get(F, bDir + 4L * (3 * hs + row));
                    scratch.set(F, gOff + 4L * row, f.apply(s.clip(acc)));
                }
                if (!linearBeforeReset) {
                    for (int j = 0; j < hs; j++) {
                        float rj = scratch.get(F, gOff + 4L * (hs + j));
                        scratch.set(F, rhOff + 4L * j, rj * scratch.get(F, hOff + 4L * j));
                    }
                }
                for (int j = 0; j < hs; j++) {
                    int row = 2 * hs + j;
                    float wb = bias == null ? 0f : bias.get(F, bDir + 4L * row);
                    float rb = bias == null ? 0f : bias.get(F, bDir + 4L * (3 * hs + row));
                    float xw = dot.dot(x, xAt, w, wDir + 4L * row * s.inputSize, s.inputSize);
                    float a;
                    if (linearBeforeReset) {
                        float rj = scratch.get(F, gOff + 4L * (hs + j));
                        a = xw + rj * (dot.dot(scratch, hOff, r, rDir + 4L * row * hs, hs) + rb) + wb;
                    } else {
                        a = xw + dot.dot(scratch, rhOff, r, rDir + 4L * row * hs, hs) + rb + wb;
                    }
                    float ht = g.apply(s.clip(a));
                    float z = scratch.get(F, gOff + 4L * j);
                    scratch.set(F, newOff + 4L * j, (1f - z) * ht + z * scratch.get(F, hOff + 4L * j));
                }
                MemorySegment.copy(scratch, newOff, scratch, hOff, 4L * hs);
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
        }
    }
}
