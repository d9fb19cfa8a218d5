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
 * ONNX Slice (1, 10, 11, 13): starts/ends/axes as attributes before opset 10, then as inputs with
 * optional steps (negative steps walk backwards); out-of-range bounds are clamped as in numpy. One
 * {@link StridedCopy} with a start offset and stepped (possibly negative) strides.
 */
public final class Slice implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        if (ctx.opset() < 10) {
            long[] starts = ctx.attrInts("starts", null);
            long[] ends = ctx.attrInts("ends", null);
            if (starts == null || ends == null) throw ctx.error("attributes starts and ends are required");
            long[] axes = ctx.attrInts("axes", null);
            return ValuePlanned.kernel(ctx, ctx.inputDType(0), in.rank(), v -> plan(ctx, in, esize, starts, ends, axes, null));
        }
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), in.rank(), v -> plan(ctx, in, esize,
                OpArgs.longs(v.input(1)), OpArgs.longs(v.input(2)), optional(v.input(3)), optional(v.input(4))), 1, 2, 3, 4);
    }

    private static long[] optional(Tensor t) {
        return t == null ? null : OpArgs.longs(t);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape in, int esize, long[] starts, long[] ends, long[] axesIn, long[] steps) {
        int rank = in.rank();
        if (starts.length != ends.length) throw ctx.error("starts " + Arrays.toString(starts) + " and ends " + Arrays.toString(ends) + " differ in length");
        long[] axesArg = axesIn;
        if (axesArg == null) {
            axesArg = new long[starts.length];
            for (int i = 0; i < axesArg.length; i++) axesArg[i] = i;
        }
        if (axesArg.length != starts.length) throw ctx.error("axes " + Arrays.toString(axesArg) + " and starts " + Arrays.toString(starts) + " differ in length");
        if (steps != null && steps.length != starts.length) throw ctx.error("steps " + Arrays.toString(steps) + " and starts differ in length");
        int[] axes = OpArgs.axes(ctx, axesArg, rank);
        long[] dims = in.dims();
        long[] inStrides = StridedCopy.contiguousStrides(dims);
        long[] outDims = dims.clone();
        long[] srcStrides = inStrides.clone();
        long offset = 0;
        for (int i = 0; i < axes.length; i++) {
            int a = axes[i];
            long d = dims[a];
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw ctx.error("steps must not be 0, got " + Arrays.toString(steps));
            long s = starts[i] < 0 ? starts[i] + d : starts[i];
            long e = ends[i] < 0 ? ends[i] + d : ends[i];
            long len;
            if (step > 0) {
                s = clamp(s, 0, d);
                e = clamp(e, 0, d);
                len = e > s ? (e - s + step - 1) / step : 0;
            } else {
                s = clamp(s, 0, d - 1);
                e = clamp(e, -1, d - 1);
                len = s > e ? (s - e - step - 1) / -step : 0;
            }
            outDims[a] = len;
            srcStrides[a] = inStrides[a] * step;
            if (len > 0) offset += s * inStrides[a];
        }
        StridedCopy copy = new StridedCopy(outDims, srcStrides, StridedCopy.contiguousStrides(outDims), esize);
        Shape out = Shape.of(outDims);
        long byteOffset = offset * esize;
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return out; }
            @Override public void run(RunContext rc, Tensor dst) { copy.run(rc.input(0).data(), byteOffset, dst.data(), 0); }
        };
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
