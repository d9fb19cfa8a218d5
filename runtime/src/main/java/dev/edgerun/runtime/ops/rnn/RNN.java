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

/** ONNX RNN (opsets 1, 7, 14): H = f(X·Wᵀ + H·Rᵀ + Wb + Rb), f defaulting to Tanh. */
public final class RNN implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 1, List.of("Tanh"), 2);
        return new RnnKernel(spec, spec.outputTypes(1));
    }

    private static final class RnnKernel extends RecurrentKernel {
        RnnKernel(RecurrentSpec s, List<ValueType> types) {
            super(s, types);
        }

        /** h[H], new h[H]. */
        @Override public long scratchBytes() { return 4L * 2 * s.hidden; }

        @Override
        void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long newOff = 4L * hs;
            long stateAt = 4L * s.stateOffset(d, b);
            LSTM.copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            MemorySegment x = ctx.input(0).data();
            MemorySegment w = ctx.input(1).data();
            MemorySegment r = ctx.input(2).data();
            MemorySegment bias = s.hasBias ? ctx.input(3).data() : null;
            Activation f = s.activation(d, 0);
            long wDir = 4L * d * hs * s.inputSize;
            long rDir = 4L * d * hs * hs;
            long bDir = 4L * d * 2 * hs;
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long xAt = 4L * s.xOffset(t, b);
                for (int j = 0; j < hs; j++) {
                    float acc = dot.dot(x, xAt, w, wDir + 4L * j * s.inputSize, s.inputSize)
                            + dot.dot(scratch, hOff, r, rDir + 4L * j * hs, hs);
                    if (bias != null) acc += bias.get(F, bDir + 4L * j) + bias.get(F, bDir + 4L * (hs + j));
                    scratch.set(F, newOff + 4L * j, f.apply(s.clip(acc)));
                }
                MemorySegment.copy(scratch, newOff, scratch, hOff, 4L * hs);
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
        }
    }
}
