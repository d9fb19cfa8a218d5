package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX Trilu (14): keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two
 * axes and zeroes the rest; k is an optional scalar input read at run time.
 */
public final class Trilu implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        if (in.rank() < 2) throw ctx.error("input must have rank >= 2, got " + in);
        boolean upper = ctx.attrInt("upper", 1) != 0;
        long rows = in.dim(-2), cols = in.dim(-1);
        long matrices = in.product(0, in.rank() - 2);
        int esize = OpArgs.elemBytes(ctx, ctx.inputDType(0));
        return Kernel.of(ValueType.tensor(ctx.inputDType(0), in), rc -> run(rc, upper, matrices, rows, cols, esize));
    }

    private static void run(RunContext rc, boolean upper, long matrices, long rows, long cols, int esize) {
        long k = rc.input(1) == null ? 0 : rc.input(1).getAsLong(0);
        MemorySegment src = rc.input(0).data();
        MemorySegment dst = rc.output(0).data();
        for (long m = 0; m < matrices; m++) {
            for (long i = 0; i < rows; i++) {
                long row = (m * rows + i) * cols;
                for (long j = 0; j < cols; j++) {
                    boolean keep = upper ? j - i >= k : j - i <= k;
                    long off = (row + j) * esize;
                    if (keep) {
                        StridedCopy.copyElement(src, off, dst, off, esize);
                    } else {
                        dst.asSlice(off, esize).fill((byte) 0);
                    }
                }
            }
        }
    }
}
