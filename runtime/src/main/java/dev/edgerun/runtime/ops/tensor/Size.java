package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ONNX Size (1, 13, 19, 21, 23): the element count of the input as an int64 scalar, known at compile time. */
public final class Size implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        return Kernel.constant(Tensor.scalar(ctx.inputShape(0).elementCount()));
    }
}
