package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.NodeContext;
import java.util.ArrayList;
import java.util.List;

/**
 * What the ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) share: inputs R (rate),
 * T (step), then {@code groups} lists of n tensors each (X, G, then the optimizer's states); the
 * outputs are the new X and the new states, each with the shape of its input.
 */
final class TrainingUpdate {
    final int n;

    TrainingUpdate(NodeContext ctx, int groups) {
        int tensors = ctx.inputCount() - 2;
        if (tensors <= 0 || tensors % groups != 0) {
            throw ctx.error("expects R, T and " + groups + " lists of equal length, got " + ctx.inputCount() + " inputs");
        }
        n = tensors / groups;
        for (int i = 0; i < tensors; i++) {
            DType t = ctx.inputDType(2 + i);
            if (t != DType.FLOAT && t != DType.DOUBLE) throw ctx.unsupported("dtype " + t.onnxName());
            if (!ctx.inputShape(2 + i).sameDims(ctx.inputShape(2 + i % n))) {
                throw ctx.error("input " + (2 + i) + " " + ctx.inputShape(2 + i) + " differs from X " + ctx.inputShape(2 + i % n));
            }
        }
    }

    /** Types of the outputs: X_new... then each state list (inputs from group 2 on). */
    List<ValueType> outputTypes(NodeContext ctx, int groups) {
        List<ValueType> types = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int from = g == 0 ? 0 : g + 1; // X, then state lists after G
            for (int i = 0; i < n; i++) types.add(ValueType.tensor(ctx.inputDType(2 + from * n + i), ctx.inputShape(2 + from * n + i)));
        }
        return types;
    }
}
