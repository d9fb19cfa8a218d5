package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Softmax;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * SoftmaxCrossEntropyLoss: LogSoftmax over the class axis (1) of the scores, then
 * {@link NegativeLogLikelihoodLoss}'s loss; the optional second output is the log-probabilities.
 */
public final class SoftmaxCrossEntropyLoss implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims(), target = ctx.inputShape(1).dims();
        var loss = NegativeLogLikelihoodLoss.Loss.plan(ctx, x, target);
        if (ctx.hasInput(2)) Nn.requireFloat(ctx, 2);
        List<ValueType> types = new ArrayList<>();
        types.add(loss.outputType(target));
        if (ctx.outputCount() > 1) types.add(Nn.tensor(DType.FLOAT, ctx.inputShape(0)));
        boolean logOut = ctx.hasOutput(1);
        long bytes = 4L * Nn.product(x, 0, x.length);
        List<ValueType> outTypes = List.copyOf(types);
        return new Kernel() {
            @Override public List<ValueType> outputTypes() {
                return outTypes;
            }

            @Override public long scratchBytes() {
                return logOut ? 0 : bytes;
            }

            @Override public void run(RunContext r) {
                MemorySegment logp = logOut ? r.output(1).data() : r.scratch();
                // no vectors here: rows are strided over the class axis
                F32Softmax.run(null, true, r.input(0).data(), logp, loss.classes(), loss.inner(), 0, loss.batch() * loss.inner());
                Tensor w = r.inputCount() > 2 ? r.input(2) : null;
                loss.compute(logp, r.input(1).data(), w == null ? null : w.data(), r.output(0).data());
            }
        };
    }
}
