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
 * ONNX RNN (opsets 1, 7, 14): H = f(X·Wᵀ + H·Rᵀ + Wb + Rb), f defaulting to Tanh. X·Wᵀ + Wb + Rb
 * of every step is one GEMM, each step adds H·Rᵀ ({@link RecurrentKernel}).
 */
public final class RNN implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 1, List.of("Tanh"), 2);
        return new RnnKernel(ctx, spec, spec.outputTypes(1));
    }

    private static final class RnnKernel extends RecurrentKernel {
        private final MemorySegment packedR; // Rᵀ, or null (dot products)

        /** State: h[H]. */
        RnnKernel(NodeContext ctx, RecurrentSpec s, List<ValueType> types) {
            super(ctx, s, types, 4L * s.hidden);
            this.packedR = packR(ctx, 0, s.hidden);
        }

        @Override
        float inputBias(MemorySegment bias, int d, int j) {
            long at = 4L * ((long) d * 2 * s.hidden + j);
            return bias.get(F, at) + bias.get(F, at + 4L * s.hidden);
        }

        @Override
        void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long stateAt = 4L * s.stateOffset(d, b);
            LSTM.copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            Activation f = s.activation(d, 0);
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long g = projectionRow(t, b);
                recur(ctx, d, scratch, hOff, packedR, 0, hs, scratch, g, true);
                activate(f, scratch, g, hs);
                MemorySegment.copy(scratch, g, scratch, hOff, 4L * hs);
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
        }
    }
}
