package dev.edgerun.runtime.ops.rnn;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.RnnDot;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * What GRU and RNN kernels share: the spec, the output types, the dot kernel and the loop over
 * directions and batch entries; each subclass runs one sequence (outputs Y and Y_h).
 */
abstract class RecurrentKernel implements Kernel {
    final RecurrentSpec s;
    final RnnDot dot = RnnDot.DEFAULT;
    private final List<ValueType> types;

    RecurrentKernel(RecurrentSpec s, List<ValueType> types) {
        this.s = s;
        this.types = types;
    }

    @Override
    public final List<ValueType> outputTypes() {
        return types;
    }

    @Override
    public final void run(RunContext ctx) {
        Tensor y = s.wantOutput[0] ? ctx.output(0) : null;
        Tensor yh = s.wantOutput[1] ? ctx.output(1) : null;
        if (y != null) y.data().fill((byte) 0);
        for (int d = 0; d < s.numDirections; d++) {
            for (int b = 0; b < s.batch; b++) {
                runSequence(ctx, d, b, y, yh);
            }
        }
    }

    /** Runs direction {@code d} of batch entry {@code b}; {@code y}/{@code yh} are null when not wanted. */
    abstract void runSequence(RunContext ctx, int d, int b, Tensor y, Tensor yh);
}
