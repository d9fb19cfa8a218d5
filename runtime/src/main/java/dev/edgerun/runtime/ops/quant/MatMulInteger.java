package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8MatMul;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * ONNX MatMulInteger (opset 10): int32 product of int8/uint8 matrices with numpy broadcasting;
 * a's zero point per tensor or per row (M), b's per tensor or per column (N).
 */
public final class MatMulInteger implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "A");
        ZeroPoints.requireByteType(ctx, 1, "B");
        MatMulShape mm = new MatMulShape(ctx, ctx.inputShape(0), ctx.inputShape(1));
        boolean aSigned = ctx.inputDType(0) == DType.INT8;
        boolean bSigned = ctx.inputDType(1) == DType.INT8;
        boolean zaPerRow = ZeroPoints.perRow(ctx, 2, "a_zero_point", mm.m);
        boolean zbPerCol = ZeroPoints.perRow(ctx, 3, "b_zero_point", mm.n);
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return List.of(ValueType.tensor(DType.INT32, mm.out)); }
            @Override public long scratchBytes() { return 4L * (mm.m + mm.n); }
            @Override public void run(RunContext rc) {
                MemorySegment scratch = rc.scratch();
                ZeroPoints.expand(rc.input(2), zaPerRow, mm.m, scratch, 0);
                ZeroPoints.expand(rc.input(3), zbPerCol, mm.n, scratch, 4L * mm.m);
                MemorySegment a = rc.input(0).data();
                MemorySegment b = rc.input(1).data();
                MemorySegment c = rc.output(0).data();
                for (int t = 0; t < mm.batches(); t++) {
                    Q8MatMul.matmul(a, mm.aOffsets[t], aSigned, b, mm.bOffsets[t], bSigned, scratch, 0, 4L * mm.m,
                            mm.m, mm.k, mm.n, c, 4L * t * mm.m * mm.n);
                }
            }
        };
    }
}
