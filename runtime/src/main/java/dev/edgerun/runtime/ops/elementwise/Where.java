package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.BroadcastPlan;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/** Where(condition, X, Y): X where the condition holds, else Y, with three-way broadcasting. */
public final class Where implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputCount() != 3) throw ctx.error("expected 3 inputs, got " + ctx.inputCount());
        if (ctx.inputDType(0) != DType.BOOL) throw ctx.error("condition must be bool, got " + ctx.inputDType(0).onnxName());
        DType type = ctx.inputDType(1);
        if (ctx.inputDType(2) != type) {
            throw ctx.error("X is " + type.onnxName() + " but Y is " + ctx.inputDType(2).onnxName());
        }
        int width = type.byteSize();
        if (width != 1 && width != 2 && width != 4 && width != 8) throw ctx.unsupported("element type " + type.onnxName());
        Shape c = ctx.inputShape(0);
        Shape x = ctx.inputShape(1);
        Shape y = ctx.inputShape(2);
        Shape out = BroadcastPlan.broadcastShape(c, x, y);
        if (out == null) throw ctx.error("shapes " + c + ", " + x + ", " + y + " do not broadcast");
        BroadcastPlan plan = BroadcastPlan.of(out, c, x, y);
        List<ValueType> types = List.of(ValueType.tensor(type, out));
        return Kernel.of(types, run -> select(plan, width, run));
    }

    private static void select(BroadcastPlan plan, int width, RunContext ctx) {
        MemorySegment c = ctx.input(0).data();
        MemorySegment x = ctx.input(1).data();
        MemorySegment y = ctx.input(2).data();
        MemorySegment o = ctx.output(0).data();
        int inner = plan.inner();
        int cs = plan.innerStride(0);
        int xs = plan.innerStride(1);
        int ys = plan.innerStride(2);
        for (int r = 0; r < plan.rows(); r++) {
            long ci = plan.rowStart(0, r);
            long xi = plan.rowStart(1, r);
            long yi = plan.rowStart(2, r);
            long oi = (long) r * inner;
            for (int i = 0; i < inner; i++) {
                boolean pick = c.get(ValueLayout.JAVA_BYTE, ci + (long) i * cs) != 0;
                MemorySegment src = pick ? x : y;
                long si = pick ? xi + (long) i * xs : yi + (long) i * ys;
                copyElement(src, si, o, oi + i, width);
            }
        }
    }

    private static void copyElement(MemorySegment src, long si, MemorySegment dst, long di, int width) {
        switch (width) {
            case 1 -> dst.set(ValueLayout.JAVA_BYTE, di, src.get(ValueLayout.JAVA_BYTE, si));
            case 2 -> dst.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, di, src.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, si));
            case 4 -> dst.setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, di, src.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, si));
            default -> dst.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, di, src.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, si));
        }
    }
}
