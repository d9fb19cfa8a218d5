package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;

/**
 * ONNX CumSum (11, 14) and CumProd (26): running sum (product) along the axis given as a scalar
 * input, optionally {@code exclusive} (the element itself left out) and {@code reverse}.
 */
public final class Cumulative implements Operator {
    private final boolean product;

    /** @param product true for CumProd, false for CumSum */
    public Cumulative(boolean product) {
        this.product = product;
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype) || dtype == DType.BOOL) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean exclusive = ctx.attrInt("exclusive", 0) != 0;
        boolean reverse = ctx.attrInt("reverse", 0) != 0;
        return Kernel.of(ValueType.tensor(dtype, in), rc -> {
            int axis = OpArgs.axis(ctx, rc.input(1).getAsLong(0), in.rank());
            run(rc, dtype, in.product(0, axis), in.dim(axis), in.product(axis + 1, in.rank()), exclusive, reverse);
        });
    }

    private void run(RunContext rc, DType dtype, long outer, long len, long inner, boolean exclusive, boolean reverse) {
        MemorySegment src = rc.input(0).data();
        MemorySegment dst = rc.output(0).data();
        boolean floating = Elements.floating(dtype);
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                double accD = product ? 1 : 0;
                long accL = product ? 1 : 0;
                for (long step = 0; step < len; step++) {
                    long k = reverse ? len - 1 - step : step;
                    long at = (o * len + k) * inner + i;
                    if (floating) {
                        double x = Elements.loadDouble(src, dtype, at);
                        if (!exclusive) accD = product ? accD * x : accD + x;
                        Elements.storeDouble(dst, dtype, at, accD);
                        if (exclusive) accD = product ? accD * x : accD + x;
                    } else {
                        long x = Elements.loadLong(src, dtype, at);
                        if (!exclusive) accL = product ? accL * x : accL + x;
                        Elements.storeLong(dst, dtype, at, accL);
                        if (exclusive) accL = product ? accL * x : accL + x;
                    }
                }
            }
        }
    }
}
