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
 * the reset gate multiplies (H·Rh + Rbh) instead of H before the product with Rh. The input part
 * of every gate and step (X·Wᵀ, Wb, and Rb where it is a plain sum) is one GEMM; each step adds
 * H·Rzrᵀ to the z and r rows and the reset-gated product to the h rows ({@link RecurrentKernel}).
 */
public final class GRU implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        RecurrentSpec spec = new RecurrentSpec(ctx, 3, List.of("Sigmoid", "Tanh"), 2);
        boolean linearBeforeReset = ctx.attrInt("linear_before_reset", 0) != 0;
        return new GruKernel(ctx, spec, linearBeforeReset, spec.outputTypes(1));
    }

    private static final class GruKernel extends RecurrentKernel {
        private final boolean linearBeforeReset;
        private final MemorySegment packedZr; // [Rz; Rr]ᵀ, or null (dot products)
        private final MemorySegment packedH;  // Rhᵀ, or null

        /** State: h[H], r*h[H], h·Rhᵀ[H]. */
        GruKernel(NodeContext ctx, RecurrentSpec s, boolean linearBeforeReset, List<ValueType> types) {
            super(ctx, s, types, 12L * s.hidden);
            this.linearBeforeReset = linearBeforeReset;
            this.packedZr = packR(ctx, 0, 2 * s.hidden);
            this.packedH = packR(ctx, 2 * s.hidden, s.hidden);
        }

        @Override
        float inputBias(MemorySegment bias, int d, int j) {
            long at = 4L * ((long) d * 6 * s.hidden + j);
            float wb = bias.get(F, at);
            boolean rbInside = linearBeforeReset && j >= 2 * s.hidden; // r * (H·Rhᵀ + Rbh): added per step
            return rbInside ? wb : wb + bias.get(F, at + 12L * s.hidden);
        }

        @Override
        void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh) {
            int hs = s.hidden;
            MemorySegment scratch = ctx.scratch();
            long hOff = 0;
            long rhOff = 4L * hs;
            long linOff = 8L * hs;
            long stateAt = 4L * s.stateOffset(d, b);
            LSTM.copyOrZero(s.hasInitialH ? ctx.input(5) : null, stateAt, scratch, hOff, hs);
            int steps = s.hasSequenceLens ? Math.min(ctx.input(4).getInt(b), s.seqLength) : s.seqLength;
            MemorySegment bias = s.hasBias ? ctx.input(3).data() : null;
            long rbh = 4L * ((long) d * 6 * hs + 5 * hs);
            Activation f = s.activation(d, 0);
            Activation g = s.activation(d, 1);
            for (int step = 0; step < steps; step++) {
                int t = s.reversed(d) ? steps - 1 - step : step;
                long z = projectionRow(t, b), r = z + 4L * hs, hGate = z + 8L * hs;
                recur(ctx, d, scratch, hOff, packedZr, 0, 2 * hs, scratch, z, true);
                activate(f, scratch, z, 2 * hs);
                if (linearBeforeReset) {
                    recur(ctx, d, scratch, hOff, packedH, 2 * hs, hs, scratch, linOff, false);
                    for (int j = 0; j < hs; j++) {
                        float lin = scratch.get(F, linOff + 4L * j) + (bias == null ? 0f : bias.get(F, rbh + 4L * j));
                        long at = hGate + 4L * j;
                        scratch.set(F, at, scratch.get(F, at) + scratch.get(F, r + 4L * j) * lin);
                    }
                } else {
                    for (int j = 0; j < hs; j++) {
                        scratch.set(F, rhOff + 4L * j, scratch.get(F, r + 4L * j) * scratch.get(F, hOff + 4L * j));
                    }
                    recur(ctx, d, scratch, rhOff, packedH, 2 * hs, hs, scratch, hGate, true);
                }
                activate(g, scratch, hGate, hs);
                for (int j = 0; j < hs; j++) {
                    float zj = scratch.get(F, z + 4L * j);
                    long hAt = hOff + 4L * j;
                    scratch.set(F, hAt, (1f - zj) * scratch.get(F, hGate + 4L * j) + zj * scratch.get(F, hAt));
                }
                if (y != null) MemorySegment.copy(scratch, hOff, y.data(), 4L * s.yOffset(t, d, b), 4L * hs);
            }
            if (yh != null) MemorySegment.copy(scratch, hOff, yh.data(), stateAt, 4L * hs);
        }
    }
}
