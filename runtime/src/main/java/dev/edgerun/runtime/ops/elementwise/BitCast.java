package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** BitCast: the input's bytes reinterpreted as the type {@code to} of the same width (a copy, shape kept). */
public final class BitCast implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (!ctx.hasAttr("to")) throw ctx.error("attribute 'to' is required");
        DType from = ctx.inputDType(0);
        DType to = DType.fromOnnx((int) ctx.attrInt("to", 0));
        if (from == DType.STRING || to == DType.STRING) throw ctx.error("BitCast from or to string is not defined");
        if (from.byteSize() == 0 || to.byteSize() == 0) throw ctx.unsupported("sub-byte types " + from.onnxName() + " -> " + to.onnxName());
        if (from.byteSize() != to.byteSize()) {
            throw ctx.error("BitCast needs types of the same width, got " + from.onnxName() + " (" + 8 * from.byteSize()
                    + " bits) and " + to.onnxName() + " (" + 8 * to.byteSize() + " bits)");
        }
        return Kernel.of(ValueType.tensor(to, ctx.inputShape(0)), run -> run.output(0).data().copyFrom(run.input(0).data()));
    }
}
