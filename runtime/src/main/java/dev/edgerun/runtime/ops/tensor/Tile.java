package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.Arrays;

/**
 * ONNX Tile (1, 6, 13): repeats the input {@code repeats[i]} times along axis i. The output viewed
 * as (r0, d0, r1, d1, ...) reads the input with stride 0 on every repeat axis: one {@link StridedCopy}.
 */
public final class Tile implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), in.rank(), v -> plan(ctx, in, esize, OpArgs.longs(v.input(1))), 1);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape in, int esize, long[] repeats) {
        int rank = in.rank();
        if (repeats.length != rank) throw ctx.error("repeats " + Arrays.toString(repeats) + " has " + repeats.length + " values, input rank is " + rank);
        long[] dims = in.dims();
        long[] inStrides = StridedCopy.contiguousStrides(dims);
        long[] loop = new long[2 * rank];
        long[] src = new long[2 * rank];
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            if (repeats[i] < 0) throw ctx.error("repeats " + Arrays.toString(repeats) + " must not be negative");
            loop[2 * i] = repeats[i];
            loop[2 * i + 1] = dims[i];
            src[2 * i] = 0;
            src[2 * i + 1] = inStrides[i];
            out[i] = repeats[i] * dims[i];
        }
        StridedCopy copy = new StridedCopy(loop, src, StridedCopy.contiguousStrides(loop), esize);
        Shape outShape = Shape.of(out);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return outShape; }
            @Override public void run(RunContext rc, Tensor dst) { copy.run(rc.input(0).data(), 0, dst.data(), 0); }
        };
    }
}
