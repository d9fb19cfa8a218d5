package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.Arrays;

/**
 * ONNX Transpose (1, 13, 21, 23): output dimension i is input dimension perm[i] (default: reversed).
 * A {@link StridedCopy} with permuted source strides; it merges dimensions that stay adjacent (NCHW
 * to NHWC is one 2-D transpose per image) and tiles long 2-D transposes.
 */
public final class Transpose implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        int rank = in.rank();
        long[] perm = ctx.attrInts("perm", null);
        if (perm == null) {
            perm = new long[rank];
            for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        }
        if (perm.length != rank) throw ctx.error("perm " + Arrays.toString(perm) + " has " + perm.length + " entries, input rank is " + rank);
        int[] p = OpArgs.axes(ctx, perm, rank);
        long[] inDims = in.dims();
        long[] inStrides = StridedCopy.contiguousStrides(inDims);
        long[] outDims = new long[rank];
        long[] srcStrides = new long[rank];
        for (int i = 0; i < rank; i++) {
            outDims[i] = inDims[p[i]];
            srcStrides[i] = inStrides[p[i]];
        }
        StridedCopy copy = new StridedCopy(outDims, srcStrides, StridedCopy.contiguousStrides(outDims),
                OpArgs.elemBytes(ctx, ctx.inputDType(0)));
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), Shape.of(outDims)),
                rc -> copy.run(rc.input(0).data(), 0, rc.output(0).data(), 0));
    }
}
