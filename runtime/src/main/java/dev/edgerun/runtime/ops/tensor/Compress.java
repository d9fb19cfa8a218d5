package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX Compress (9, 11): keeps the slices along {@code axis} (or the elements of the flattened
 * input) whose condition entry is true; a condition shorter than the axis drops the rest. The
 * output size depends on the condition, so it is allocated at run time.
 */
public final class Compress implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (ctx.inputDType(1) != DType.BOOL) throw ctx.error("condition must be bool, got " + ctx.inputDType(1).onnxName());
        int esize = OpArgs.elemBytes(ctx, dtype);
        boolean flat = !ctx.hasAttr("axis");
        int axis = flat ? 0 : OpArgs.axis(ctx, ctx.attrInt("axis", 0), in.rank());
        long[] dims = flat ? new long[] {in.elementCount()} : in.dims();
        long outer = Shape.of(dims).product(0, axis);
        long len = dims[axis];
        long sliceBytes = Shape.of(dims).product(axis + 1, dims.length) * esize;
        return Kernel.of(ValueType.tensor(dtype, OpArgs.unknownShape(dims.length)), rc -> {
            MemorySegment cond = rc.input(1).data();
            long n = Math.min(len, cond.byteSize());
            long kept = 0;
            for (long i = 0; i < n; i++) if (cond.get(ValueLayout.JAVA_BYTE, i) != 0) kept++;
            long[] out = dims.clone();
            out[axis] = kept;
            Tensor dst = rc.allocateOutput(0, dtype, Shape.of(out));
            copy(rc, dst, cond, n, outer, len, kept, sliceBytes);
        });
    }

    private static void copy(RunContext rc, Tensor dst, MemorySegment cond, long n, long outer, long len, long kept, long sliceBytes) {
        MemorySegment src = rc.input(0).data();
        MemorySegment d = dst.data();
        for (long o = 0; o < outer; o++) {
            long j = 0;
            for (long i = 0; i < n; i++) {
                if (cond.get(ValueLayout.JAVA_BYTE, i) == 0) continue;
                MemorySegment.copy(src, (o * len + i) * sliceBytes, d, (o * kept + j) * sliceBytes, sliceBytes);
                j++;
            }
        }
    }
}
