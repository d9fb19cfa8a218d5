package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ONNX OptionalGetElement (opsets 15, 18): the value inside an optional (or a plain tensor/sequence, opset 18). */
public final class OptionalGetElement implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        ValueType in = ctx.inputType(0);
        if (in instanceof ValueType.OptionalType o) in = o.element();
        ValueType out = in instanceof ValueType.TensorType t ? new ValueType.TensorType(t.dtype(), null)
                : in instanceof ValueType.SequenceType ? in : new ValueType.Unknown();
        String label = ctx.node().label();
        return Kernel.of(out, rc -> {
            Object v = rc.inputValue(0);
            if (v == null) throw new EdgerunException(label + ": OptionalGetElement of an empty optional");
            rc.setOutputValue(0, v instanceof Tensor t ? Sequences.keep(rc, t) : v);
        });
    }
}
