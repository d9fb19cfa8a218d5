package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.StridedGather;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** ONNX CenterCropPad (18): crops or zero-pads each listed axis to the requested size, centred (the extra element goes to the end). */
public final class CenterCropPad implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        long[] axesAttr = ctx.attrInts("axes", null);
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), in.rank(), v -> plan(ctx, in, OpArgs.longs(v.input(1)), axesAttr, esize), 1);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape in, long[] sizes, long[] axesAttr, int esize) {
        int rank = in.rank();
        int[] axes;
        if (axesAttr == null) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) axes[i] = i;
        } else {
            axes = OpArgs.axes(ctx, axesAttr, rank);
        }
        if (sizes.length != axes.length) throw ctx.error("shape " + Arrays.toString(sizes) + " has " + sizes.length + " sizes for " + axes.length + " axes");
        long[] out = in.dims();
        for (int i = 0; i < axes.length; i++) out[axes[i]] = sizes[i];
        int[][] tables = new int[rank][];
        for (int a = 0; a < rank; a++) {
            long d = in.dim(a);
            long shift = out[a] < d ? (d - out[a]) / 2 : -((out[a] - d) / 2);
            tables[a] = new int[OpArgs.tableLength(ctx, out[a], a)];
            for (int j = 0; j < out[a]; j++) {
                long src = j + shift;
                tables[a][j] = src >= 0 && src < d ? (int) src : -1;
            }
        }
        StridedGather gather = new StridedGather(in.dims(), tables, esize, MemorySegment.ofArray(new byte[esize]));
        Shape outShape = Shape.of(out);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return outShape; }
            @Override public void run(RunContext rc, Tensor dst) { gather.run(rc.input(0).data(), dst.data()); }
        };
    }
}
