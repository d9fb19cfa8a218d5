package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;

/** ONNX EyeLike (9, 22): a 2-D tensor of the input's shape with ones on diagonal k, zeros elsewhere; dtype from the attribute or the input. */
public final class EyeLike implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        if (in.rank() != 2) throw ctx.error("input must be 2-D, got " + in);
        DType dtype = ctx.hasAttr("dtype") ? DType.fromOnnx((int) ctx.attrInt("dtype", 1)) : ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        long k = ctx.attrInt("k", 0);
        long rows = in.dim(0), cols = in.dim(1);
        return Kernel.of(ValueType.tensor(dtype, in), rc -> {
            MemorySegment d = rc.output(0).data();
            d.fill((byte) 0);
            for (long i = Math.max(0, -k); i < rows && i + k < cols; i++) Elements.storeLong(d, dtype, i * cols + i + k, 1);
        });
    }
}
