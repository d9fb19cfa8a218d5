package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8MatMul;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX QLinearMatMul (opsets 10, 21): the int32 product of (a - a_zp) and (b - b_zp), requantized
 * with {@code a_scale * b_scale / y_scale} and {@code y_zero_point}. a's scale and zero point are
 * per tensor or per row, b's per tensor or per column, y's per tensor or per row.
 * Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
 */
public final class QLinearMatMul implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "a");
        ZeroPoints.requireByteType(ctx, 3, "b");
        DType yType = ctx.inputDType(7);
        if (yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("y_zero_point must be int8 or uint8, got " + yType.onnxName());
        MatMulShape mm = new MatMulShape(ctx, ctx.inputShape(0), ctx.inputShape(3));
        boolean aSigned = ctx.inputDType(0) == DType.INT8;
        boolean bSigned = ctx.inputDType(3) == DType.INT8;
        boolean aRow = ZeroPoints.perRow(ctx, 1, "a_scale", mm.m);
        boolean zaRow = ZeroPoints.perRow(ctx, 2, "a_zero_point", mm.m);
        boolean bCol = ZeroPoints.perRow(ctx, 4, "b_scale", mm.n);
        boolean zbCol = ZeroPoints.perRow(ctx, 5, "b_zero_point", mm.n);
        boolean yRow = ZeroPoints.perRow(ctx, 6, "y_scale", mm.m);
        boolean zyRow = ZeroPoints.perRow(ctx, 7, "y_zero_point", mm.m);
        DType scaleType = ctx.inputDType(1);
        int lo = yType == DType.INT8 ? -128 : 0;
        int hi = yType == DType.INT8 ? 127 : 255;
        int mn = mm.m * mm.n;
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return List.of(ValueType.tensor(yType, mm.out)); }
            @Override public long scratchBytes() { return 4L * (mm.m + mm.n + mn); }
            @Override public void run(RunContext rc) {
                MemorySegment scratch = rc.scratch();
                ZeroPoints.expand(rc.input(2), zaRow, mm.m, scratch, 0);
                ZeroPoints.expand(rc.input(5), zbCol, mm.n, scratch, 4L * mm.m);
                long accAt = 4L * (mm.m + mm.n);
                Tensor aScale = rc.input(1), bScale = rc.input(4), yScale = rc.input(6), yZero = rc.input(7);
                MemorySegment y = rc.output(0).data();
                for (int t = 0; t < mm.batches(); t++) {
                    Q8MatMul.matmul(rc.input(0).data(), mm.aOffsets[t], aSigned, rc.input(3).data(), mm.bOffsets[t], bSigned,
                            scratch, 0, 4L * mm.m, mm.m, mm.k, mm.n, scratch, accAt);
                    for (int i = 0; i < mm.m; i++) {
                        float as = ZeroPoints.scale(aScale, aRow, i);
                        float ys = ZeroPoints.scale(yScale, yRow, i);
                        int zy = QuantElements.getInt(yZero.data(), yType, zyRow ? i : 0);
                        for (int j = 0; j < mm.n; j++) {
                            double mult = ZeroPoints.multiplier(scaleType, as, ZeroPoints.scale(bScale, bCol, j), ys);
                            int acc = scratch.get(ValueLayout.JAVA_INT_UNALIGNED, accAt + 4L * (i * mm.n + j));
                            int q = Q8MatMul.requantize(acc, mult, zy, lo, hi);
                            y.set(ValueLayout.JAVA_BYTE, (long) t * mn + (long) i * mm.n + j, (byte) q);
                        }
                    }
                }
            }
        };
    }
}
