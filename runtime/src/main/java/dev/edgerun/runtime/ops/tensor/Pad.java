package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.StridedGather;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * ONNX Pad (1, 2, 11, 13, 18, 19, 21, 23): modes constant, reflect, edge and wrap; pads (negative
 * pads crop) from the attribute before opset 11, then from the second input, with an optional
 * constant value input and (18) axes input. Each axis gets a table of source indices and the
 * {@link StridedGather} does the rest.
 */
public final class Pad implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        int esize = OpArgs.elemBytes(ctx, dtype);
        String mode = ctx.attrString("mode", "constant");
        if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge") && !mode.equals("wrap")) {
            throw ctx.error("unknown mode '" + mode + "' (constant, reflect, edge, wrap)");
        }
        if (ctx.opset() < 11) {
            long[] pads = ctx.attrInts(ctx.opset() < 2 ? "paddings" : "pads", null);
            if (pads == null) throw ctx.error("attribute pads is required");
            float value = ctx.attrFloat("value", 0f);
            if (dtype != DType.FLOAT && value != 0f) throw ctx.unsupported("non-zero value attribute for " + dtype.onnxName());
            MemorySegment f = MemorySegment.ofArray(new byte[esize]);
            if (dtype == DType.FLOAT) f.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, value);
            return ValuePlanned.kernel(ctx, dtype, in.rank(), v -> plan(ctx, in, mode, pads, null, f, esize));
        }
        return ValuePlanned.kernel(ctx, dtype, in.rank(), v -> {
            Tensor value = v.input(2);
            MemorySegment fill = MemorySegment.ofArray(new byte[esize]);
            if (value != null && value.elementCount() > 0) MemorySegment.copy(value.data(), 0, fill, 0, esize);
            Tensor axes = v.input(3);
            return plan(ctx, in, mode, OpArgs.longs(v.input(1)), axes == null ? null : OpArgs.longs(axes), fill, esize);
        }, 1, 2, 3);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, Shape in, String mode, long[] pads, long[] axesArg,
                                          MemorySegment fill, int esize) {
        int rank = in.rank();
        int[] axes;
        if (axesArg == null) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) axes[i] = i;
        } else {
            axes = OpArgs.axes(ctx, axesArg, rank);
        }
        if (pads.length != 2 * axes.length) throw ctx.error("pads " + Arrays.toString(pads) + " needs " + 2 * axes.length + " values");
        long[] before = new long[rank];
        long[] after = new long[rank];
        for (int i = 0; i < axes.length; i++) {
            before[axes[i]] = pads[i];
            after[axes[i]] = pads[axes.length + i];
        }
        long[] outDims = new long[rank];
        int[][] tables = new int[rank][];
        for (int a = 0; a < rank; a++) {
            long d = in.dim(a);
            outDims[a] = d + before[a] + after[a];
            if (outDims[a] < 0) throw ctx.error("pads " + Arrays.toString(pads) + " crop axis " + a + " of " + in + " below zero");
            if (d == 0 && outDims[a] > 0 && !mode.equals("constant")) throw ctx.error("cannot " + mode + "-pad the empty axis " + a);
            tables[a] = new int[OpArgs.tableLength(ctx, outDims[a], a)];
            for (int j = 0; j < outDims[a]; j++) tables[a][j] = (int) source(mode, j - before[a], d);
        }
        StridedGather gather = new StridedGather(in.dims(), tables, esize, fill);
        Shape out = Shape.of(outDims);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return out; }
            @Override public void run(RunContext rc, Tensor dst) { gather.run(rc.input(0).data(), dst.data()); }
        };
    }

    /** The input index that output index {@code i} (in input coordinates) reads, or -1 for the constant. */
    private static long source(String mode, long i, long d) {
        if (i >= 0 && i < d) return i;
        return switch (mode) {
            case "edge" -> i < 0 ? 0 : d - 1;
            case "wrap" -> Math.floorMod(i, d);
            case "reflect" -> {
                if (d == 1) yield 0;
                long period = 2 * (d - 1);
                long m = Math.floorMod(i, period);
                yield m < d ? m : period - m;
            }
            default -> -1;
        };
    }
}
