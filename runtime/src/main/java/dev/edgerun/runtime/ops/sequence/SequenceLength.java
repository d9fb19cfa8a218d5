package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.ValueLayout;

/** ONNX SequenceLength (opset 11): the number of tensors, as an int64 scalar. */
public final class SequenceLength implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        return Kernel.of(ValueType.tensor(DType.INT64, Shape.SCALAR), rc -> rc.output(0).data()
                .set(ValueLayout.JAVA_LONG_UNALIGNED, 0, Sequences.sequence(rc, 0, "SequenceLength").size()));
    }
}
