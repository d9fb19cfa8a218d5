package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.List;

/** ONNX SequenceEmpty (opset 11): an empty sequence of {@code dtype} (default float). */
public final class SequenceEmpty implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = DType.fromOnnx((int) ctx.attrInt("dtype", DType.FLOAT.onnxCode()));
        return Kernel.of(Sequences.sequenceOf(dtype), rc -> rc.setOutputValue(0, List.of()));
    }
}
