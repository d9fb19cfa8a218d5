package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/**
 * ONNX DepthToSpace (1, 11, 13) and SpaceToDepth (1, 13): the reshape-transpose-reshape of the spec
 * (DCR or CRD for DepthToSpace) done as one {@link StridedCopy} over the 6-D transposed view.
 */
public final class DepthToSpace implements Operator {
    private final boolean toSpace;

    /** @param toSpace true for DepthToSpace, false for SpaceToDepth */
    public DepthToSpace(boolean toSpace) {
        this.toSpace = toSpace;
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        if (in.rank() != 4) throw ctx.error("input must be 4-D (N, C, H, W), got " + in);
        long b = ctx.attrInt("blocksize", 0);
        if (b <= 0) throw ctx.error("blocksize must be positive, got " + b);
        long n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3);
        long[] view;   // the 6-D reshape of the input
        int[] perm;    // the transpose of the spec
        long[] out;
        if (toSpace) {
            if (c % (b * b) != 0) throw ctx.error("channels " + c + " do not divide by blocksize^2 = " + b * b);
            boolean crd = ctx.attrString("mode", "DCR").equals("CRD");
            view = crd ? new long[] {n, c / (b * b), b, b, h, w} : new long[] {n, b, b, c / (b * b), h, w};
            perm = crd ? new int[] {0, 1, 4, 2, 5, 3} : new int[] {0, 3, 4, 1, 5, 2};
            out = new long[] {n, c / (b * b), h * b, w * b};
        } else {
            if (h % b != 0 || w % b != 0) throw ctx.error("spatial size " + h + "x" + w + " does not divide by blocksize " + b);
            view = new long[] {n, c, h / b, b, w / b, b};
            perm = new int[] {0, 3, 5, 1, 2, 4};
            out = new long[] {n, c * b * b, h / b, w / b};
        }
        long[] viewStrides = StridedCopy.contiguousStrides(view);
        long[] dims = new long[6];
        long[] src = new long[6];
        for (int i = 0; i < 6; i++) {
            dims[i] = view[perm[i]];
            src[i] = viewStrides[perm[i]];
        }
        StridedCopy copy = new StridedCopy(dims, src, StridedCopy.contiguousStrides(dims), OpArgs.elemBytes(ctx, ctx.inputDType(0)));
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), Shape.of(out)), rc -> copy.run(rc.input(0).data(), 0, rc.output(0).data(), 0));
    }
}
