package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX SplitToSequence (opset 11): splits along {@code axis} into chunks of the sizes given by
 * {@code split} (a scalar: equal chunks, the last smaller; a 1-D tensor: one size per chunk);
 * without {@code split}, into slices of 1, squeezed unless {@code keepdims} is 1.
 */
public final class SplitToSequence implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape shape = ctx.inputShape(0);
        if (ctx.inputDType(0).byteSize() == 0) throw ctx.unsupported("dtype " + ctx.inputDType(0).onnxName());
        long axisAttr = ctx.attrInt("axis", 0);
        int axis = (int) (axisAttr < 0 ? axisAttr + shape.rank() : axisAttr);
        if (axis < 0 || axis >= shape.rank()) throw ctx.error("axis " + axisAttr + " out of range for " + shape);
        boolean keepDims = ctx.attrInt("keepdims", 1) != 0;
        boolean hasSplit = ctx.hasInput(1);
        return Kernel.of(Sequences.sequenceOf(ctx.inputDType(0)), rc -> run(rc, axis, keepDims, hasSplit));
    }

    private static void run(RunContext rc, int axis, boolean keepDims, boolean hasSplit) {
        Tensor x = rc.input(0);
        long dim = x.shape().dim(axis);
        List<Long> sizes = new ArrayList<>();
        if (!hasSplit) {
            for (long i = 0; i < dim; i++) sizes.add(1L);
        } else {
            Tensor split = rc.input(1);
            if (split.shape().rank() == 0) {
                long chunk = split.getAsLong(0);
                if (chunk <= 0) throw new EdgerunException("SplitToSequence: split must be positive, got " + chunk);
                for (long at = 0; at < dim; at += chunk) sizes.add(Math.min(chunk, dim - at));
            } else {
                long total = 0;
                for (long i = 0; i < split.elementCount(); i++) {
                    sizes.add(split.getAsLong(i));
                    total += split.getAsLong(i);
                }
                if (total != dim) throw new EdgerunException("SplitToSequence: split sizes sum to " + total + ", axis has " + dim);
            }
        }
        List<Tensor> seq = new ArrayList<>(sizes.size());
        long start = 0;
        for (long size : sizes) {
            long[] dims = x.shape().dims();
            dims[axis] = size;
            Tensor part = rc.allocateTemp(x.dtype(), Shape.of(dims));
            Sequences.copySlices(x, axis, start, size, part, 0);
            if (!hasSplit && !keepDims) {
                long[] squeezed = new long[dims.length - 1];
                for (int i = 0, j = 0; i < dims.length; i++) if (i != axis) squeezed[j++] = dims[i];
                part = part.reshaped(Shape.of(squeezed));
            }
            seq.add(part);
            start += size;
        }
        rc.setOutputValue(0, seq);
    }
}
