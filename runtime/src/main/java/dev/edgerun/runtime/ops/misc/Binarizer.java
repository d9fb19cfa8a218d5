package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/** ai.onnx.ml Binarizer (opset 1): 1 where the input exceeds {@code threshold}, else 0, in the input's type. */
public final class Binarizer implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype) || dtype == DType.BOOL) throw ctx.unsupported("dtype " + dtype.onnxName());
        double threshold = ctx.attrFloat("threshold", 0f);
        long count = ctx.inputShape(0).elementCount();
        return Kernel.of(ValueType.tensor(dtype, ctx.inputShape(0)), rc -> {
            for (long i = 0; i < count; i++) {
                Elements.put(rc.output(0).data(), dtype, i, Elements.get(rc.input(0).data(), dtype, i) > threshold ? 1 : 0);
            }
        });
    }
}
