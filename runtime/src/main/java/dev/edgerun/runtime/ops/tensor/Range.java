package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.reduce.Elements;

/** ONNX Range (11): start, start + delta, ... up to (excluding) limit; max(ceil((limit - start) / delta), 0) elements. */
public final class Range implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype) || dtype == DType.BOOL) throw ctx.unsupported("dtype " + dtype.onnxName());
        for (int i = 1; i < 3; i++) {
            if (ctx.inputDType(i) != dtype) throw ctx.error("input " + i + " is " + ctx.inputDType(i).onnxName() + ", start is " + dtype.onnxName());
        }
        return ValuePlanned.kernel(ctx, dtype, 1, v -> plan(ctx, dtype, v.input(0), v.input(1), v.input(2)), 0, 1, 2);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, DType dtype, Tensor start, Tensor limit, Tensor delta) {
        boolean floating = Elements.floating(dtype);
        double s = start.getAsDouble(0);
        double d = delta.getAsDouble(0);
        if (d == 0) throw ctx.error("delta must not be 0");
        long n = (long) Math.max(Math.ceil((limit.getAsDouble(0) - s) / d), 0);
        long ls = start.getAsLong(0);
        long ld = delta.getAsLong(0);
        Shape out = Shape.of(n);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return out; }

            @Override
            public void run(RunContext rc, Tensor dst) {
                for (long i = 0; i < n; i++) {
                    if (floating) {
                        Elements.storeDouble(dst.data(), dtype, i, s + i * d);
                    } else {
                        Elements.storeLong(dst.data(), dtype, i, ls + i * ld);
                    }
                }
            }
        };
    }
}
