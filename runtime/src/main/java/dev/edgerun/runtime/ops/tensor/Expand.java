package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.Arrays;

/** ONNX Expand (8, 13): broadcasts the input to the shape given as the second input (numpy rules); a copy with zero strides. */
public final class Expand implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), -1, v -> plan(ctx, in, OpArgs.longs(v.input(1)), esize), 1);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape in, long[] shape, int esize) {
        int rank = Math.max(in.rank(), shape.length);
        long[] out = new long[rank];
        long[] srcStrides = new long[rank];
        long[] inStrides = StridedCopy.contiguousStrides(in.dims());
        for (int i = 0; i < rank; i++) {
            int ii = i - (rank - in.rank());
            int si = i - (rank - shape.length);
            long a = ii >= 0 ? in.dim(ii) : 1;
            long b = si >= 0 ? shape[si] : 1;
            if (a != b && a != 1 && b != 1) {
                throw ctx.error("cannot expand " + in + " to " + Arrays.toString(shape) + ": dimension " + i + " is " + a + " vs " + b);
            }
            out[i] = a == 1 ? b : a;
            srcStrides[i] = ii >= 0 && a != 1 ? inStrides[ii] : 0;
        }
        StridedCopy copy = new StridedCopy(out, srcStrides, StridedCopy.contiguousStrides(out), esize);
        Shape outShape = Shape.of(out);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return outShape; }
            @Override public void run(RunContext rc, Tensor dst) { copy.run(rc.input(0).data(), 0, dst.data(), 0); }
        };
    }
}
