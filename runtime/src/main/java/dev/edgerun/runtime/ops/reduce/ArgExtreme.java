package dev.edgerun.runtime.ops.reduce;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.tensor.OpArgs;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX ArgMax and ArgMin (1, 11, 12, 13): int64 index of the largest (smallest) element along
 * {@code axis}; the first such index, or the last with {@code select_last_index} (opset 12).
 */
public final class ArgExtreme implements Operator {
    private final boolean max;

    /** @param max true for ArgMax, false for ArgMin */
    public ArgExtreme(boolean max) {
        this.max = max;
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        int rank = in.rank();
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", 0), rank);
        boolean keepDims = ctx.attrInt("keepdims", 1) != 0;
        boolean last = ctx.attrInt("select_last_index", 0) != 0;
        long[] dims = in.dims();
        long outer = in.product(0, axis);
        long len = dims[axis];
        long inner = in.product(axis + 1, rank);
        if (len == 0) throw ctx.error("cannot take arg" + (max ? "max" : "min") + " over empty axis " + axis + " of " + in);
        long[] out;
        if (keepDims) {
            out = dims.clone();
            out[axis] = 1;
        } else {
            out = new long[rank - 1];
            for (int i = 0, n = 0; i < rank; i++) if (i != axis) out[n++] = dims[i];
        }
        return Kernel.of(ValueType.tensor(DType.INT64, Shape.of(out)), rc -> run(rc, dtype, outer, len, inner, last));
    }

    private void run(RunContext rc, DType dtype, long outer, long len, long inner, boolean last) {
        MemorySegment src = rc.input(0).data();
        MemorySegment dst = rc.output(0).data();
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * len * inner + i;
                long best = 0;
                double bestValue = Elements.loadDouble(src, dtype, base);
                for (long k = 1; k < len; k++) {
                    double x = Elements.loadDouble(src, dtype, base + k * inner);
                    boolean better = max ? (last ? x >= bestValue : x > bestValue) : (last ? x <= bestValue : x < bestValue);
                    if (better) {
                        best = k;
                        bestValue = x;
                    }
                }
                dst.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, o * inner + i, best);
            }
        }
    }
}
