package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.ValueLayout;

/** ONNX OptionalHasElement (opsets 15, 18): whether the input is present and not an empty optional. */
public final class OptionalHasElement implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean hasInput = ctx.hasInput(0);
        return Kernel.of(ValueType.tensor(DType.BOOL, Shape.SCALAR), rc -> rc.output(0).data()
                .set(ValueLayout.JAVA_BYTE, 0, (byte) (hasInput && rc.inputValue(0) != null ? 1 : 0)));
    }
}
