package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * ONNX ConcatFromSequence (opset 11): concatenates the tensors along {@code axis}, or stacks them
 * along a new axis when {@code new_axis} is 1 (then axis may be rank, meaning last).
 */
public final class ConcatFromSequence implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        long axis = ctx.attrInt("axis", Long.MIN_VALUE);
        if (axis == Long.MIN_VALUE) throw ctx.error("attribute 'axis' is required");
        boolean newAxis = ctx.attrInt("new_axis", 0) != 0;
        DType dtype = Sequences.elementType(ctx, 0);
        ValueType out = dtype == null ? new ValueType.Unknown() : new ValueType.TensorType(dtype, null);
        return Kernel.of(out, rc -> run(rc, axis, newAxis));
    }

    private static void run(RunContext rc, long axisAttr, boolean newAxis) {
        List<Tensor> seq = Sequences.sequence(rc, 0, "ConcatFromSequence");
        if (seq.isEmpty()) throw new EdgerunException("ConcatFromSequence: the sequence is empty");
        Tensor first = seq.get(0);
        int rank = first.shape().rank() + (newAxis ? 1 : 0);
        int axis = (int) (axisAttr < 0 ? axisAttr + rank : axisAttr);
        if (axis < 0 || axis >= rank) throw new EdgerunException("ConcatFromSequence: axis " + axisAttr + " out of range for rank " + rank);
        long[] dims = newAxis ? insert(first.shape().dims(), axis) : first.shape().dims();
        long total = 0;
        for (Tensor t : seq) {
            long[] d = newAxis ? insert(t.shape().dims(), axis) : t.shape().dims();
            for (int i = 0; i < rank; i++) {
                if (i != axis && d[i] != dims[i]) {
                    throw new EdgerunException("ConcatFromSequence: shapes " + first.shape() + " and " + t.shape() + " differ off axis " + axis);
                }
            }
            total += d[axis];
        }
        dims[axis] = total;
        Tensor out = rc.allocateOutput(0, first.dtype(), Shape.of(dims));
        long at = 0;
        for (Tensor t : seq) {
            Tensor view = newAxis ? t.reshaped(Shape.of(insert(t.shape().dims(), axis))) : t;
            long len = view.shape().dim(axis);
            Sequences.copySlices(view, axis, 0, len, out, at);
            at += len;
        }
    }

    private static long[] insert(long[] dims, int axis) {
        long[] r = new long[dims.length + 1];
        for (int i = 0, j = 0; i < r.length; i++) r[i] = i == axis ? 1 : dims[j++];
        return r;
    }
}
