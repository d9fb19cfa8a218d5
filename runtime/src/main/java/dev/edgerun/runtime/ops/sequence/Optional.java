package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ONNX Optional (opset 15): an optional holding (a copy of) the input, or empty when there is none. */
public final class Optional implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean hasInput = ctx.hasInput(0);
        ValueType element = hasInput ? ctx.inputType(0) : declaredType(ctx);
        return Kernel.of(new ValueType.OptionalType(element == null ? new ValueType.Unknown() : element), rc -> {
            Object v = hasInput ? rc.inputValue(0) : null;
            rc.setOutputValue(0, v instanceof Tensor t ? Sequences.keep(rc, t) : v);
        });
    }

    private static ValueType declaredType(NodeContext ctx) {
        Attribute a = ctx.node().attribute("type");
        return a != null && a.value() instanceof ValueType t ? t : null;
    }
}
