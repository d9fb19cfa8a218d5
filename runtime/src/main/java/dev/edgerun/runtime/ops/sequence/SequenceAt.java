package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.List;

/** ONNX SequenceAt (opset 11): the tensor at {@code position} (negative counts from the end). */
public final class SequenceAt implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = Sequences.elementType(ctx, 0);
        ValueType out = dtype == null ? new ValueType.Unknown() : new ValueType.TensorType(dtype, null);
        return Kernel.of(out, rc -> {
            List<Tensor> seq = Sequences.sequence(rc, 0, "SequenceAt");
            Tensor t = seq.get(Sequences.position(rc.input(1).getAsLong(0), seq.size(), false, "SequenceAt"));
            rc.setOutputValue(0, Sequences.keep(rc, t));
        });
    }
}
