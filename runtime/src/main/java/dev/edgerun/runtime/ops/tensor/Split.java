package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ONNX Split (1, 2, 11, 13, 18): cuts the input along {@code axis}. Sizes come from the {@code split}
 * attribute (before 13) or input (from 13); without them the parts are equal, and from opset 18
 * ({@code num_outputs}) the last part may be smaller.
 */
public final class Split implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", 0), in.rank());
        int esize = OpArgs.elemBytes(ctx, dtype);
        int parts = ctx.outputCount();
        if (ctx.opset() < 13 || !ctx.hasInput(1)) {
            long[] split = ctx.opset() < 13 ? ctx.attrInts("split", null) : null;
            if (ctx.opset() < 2 && split == null && ctx.hasInput(1)) {
                if (ctx.constantInput(1) == null) throw ctx.unsupported("split sizes as a non-constant input at opset 1");
                split = OpArgs.longs(ctx.constantInput(1));
            }
            long[] sizes = sizes(ctx, in.dim(axis), split, parts);
            return planned(in, axis, sizes, dtype, esize);
        }
        Tensor constant = ctx.constantInput(1);
        if (constant != null) return planned(in, axis, sizes(ctx, in.dim(axis), OpArgs.longs(constant), parts), dtype, esize);
        List<ValueType> types = new ArrayList<>();
        for (int i = 0; i < parts; i++) types.add(ValueType.tensor(dtype, OpArgs.unknownShape(in.rank())));
        return Kernel.of(types, rc -> {
            long[] sizes = sizes(ctx, in.dim(axis), OpArgs.longs(rc.input(1)), parts);
            Plan plan = new Plan(in, axis, sizes, esize);
            Tensor[] outs = new Tensor[parts];
            for (int i = 0; i < parts; i++) outs[i] = rc.allocateOutput(i, dtype, plan.shapes[i]);
            plan.run(rc.input(0), outs);
        });
    }

    private static Kernel planned(Shape in, int axis, long[] sizes, DType dtype, int esize) {
        Plan plan = new Plan(in, axis, sizes, esize);
        List<ValueType> types = new ArrayList<>();
        for (Shape s : plan.shapes) types.add(ValueType.tensor(dtype, s));
        return Kernel.of(types, plan::run);
    }

    private static long[] sizes(NodeContext ctx, long dim, long[] split, int parts) {
        if (split != null) {
            if (split.length != parts) throw ctx.error("split " + Arrays.toString(split) + " has " + split.length + " sizes for " + parts + " outputs");
            long total = 0;
            for (long s : split) {
                if (s < 0) throw ctx.error("split " + Arrays.toString(split) + " has a negative size");
                total += s;
            }
            if (total != dim) throw ctx.error("split " + Arrays.toString(split) + " sums to " + total + ", axis length is " + dim);
            return split;
        }
        long n = ctx.opset() >= 18 ? ctx.attrInt("num_outputs", parts) : parts;
        if (n != parts) throw ctx.error("num_outputs is " + n + " but the node has " + parts + " outputs");
        long[] sizes = new long[parts];
        if (ctx.opset() >= 18) {
            long chunk = (dim + parts - 1) / parts;
            long left = dim;
            for (int i = 0; i < parts; i++) {
                sizes[i] = Math.min(chunk, left);
                left -= sizes[i];
            }
        } else {
            if (dim % parts != 0) throw ctx.error("axis length " + dim + " does not split into " + parts + " equal parts");
            Arrays.fill(sizes, dim / parts);
        }
        return sizes;
    }

    /** One strided block copy per output. */
    private static final class Plan {
        final Shape[] shapes;
        final StridedCopy[] copies;
        final long[] offsets; // bytes into the input

        Plan(Shape in, int axis, long[] sizes, int esize) {
            int parts = sizes.length;
            shapes = new Shape[parts];
            copies = new StridedCopy[parts];
            offsets = new long[parts];
            long outer = in.product(0, axis);
            long inner = in.product(axis + 1, in.rank());
            long inRow = in.dim(axis) * inner;
            long offset = 0;
            for (int i = 0; i < parts; i++) {
                long[] dims = in.dims();
                dims[axis] = sizes[i];
                shapes[i] = Shape.of(dims);
                long block = sizes[i] * inner;
                copies[i] = new StridedCopy(new long[] {outer, block}, new long[] {inRow, 1}, new long[] {block, 1}, esize);
                offsets[i] = offset * esize;
                offset += block;
            }
        }

        void run(RunContext rc) {
            var src = rc.input(0).data();
            for (int i = 0; i < copies.length; i++) {
                Tensor out = rc.output(i);
                if (out != null) copies[i].run(src, offsets[i], out.data(), 0);
            }
        }

        void run(Tensor in, Tensor[] outs) {
            for (int i = 0; i < copies.length; i++) copies[i].run(in.data(), offsets[i], outs[i].data(), 0);
        }
    }
}
