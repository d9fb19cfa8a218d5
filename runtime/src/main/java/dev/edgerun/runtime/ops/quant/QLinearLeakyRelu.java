package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;

/**
 * QLinearLeakyRelu (com.microsoft, version 1): {@code Y = quantize(LeakyRelu(dequantize(X)))}
 * with attribute alpha (default 0.01); inputs X, X_scale, X_zero_point, Y_scale, Y_zero_point
 * (zero points optional, all per tensor); X and Y int8 or uint8 (Y has Y_zero_point's type, else
 * X's). Each element is computed as DequantizeLinear, LeakyRelu and QuantizeLinear compute it in
 * float32 ({@link Q8Quantize#remap}), so the bytes equal those of the three nodes; the engine
 * fuses {@code Q(Relu(DQ(x)))} (alpha 0) and {@code Q(LeakyRelu(DQ(x)))} into this operator.
 */
public final class QLinearLeakyRelu implements Operator {
    /** Elements per part when the tensor is split over threads. */
    private static final long CHUNK = 1 << 16;

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "X");
        for (int i : new int[] {1, 3}) {
            if (ctx.inputDType(i) != DType.FLOAT || ctx.inputShape(i).elementCount() != 1) {
                throw ctx.error("input " + i + " must be a float32 scale with one element, got " + ctx.inputType(i));
            }
        }
        for (int i : new int[] {2, 4}) {
            if (ctx.hasInput(i) && ctx.inputShape(i).elementCount() != 1) {
                throw ctx.error("input " + i + " must be a zero point with one element, got " + ctx.inputType(i));
            }
        }
        DType xType = ctx.inputDType(0);
        if (ctx.hasInput(2) && ctx.inputDType(2) != xType) {
            throw ctx.error("X_zero_point must have X's type " + xType.onnxName() + ", got " + ctx.inputDType(2).onnxName());
        }
        DType yType = ctx.hasInput(4) ? ctx.inputDType(4) : xType;
        if (yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("Y_zero_point must be int8 or uint8, got " + yType.onnxName());
        Map map = new Map(xType == DType.INT8, yType, ctx.attrFloat("alpha", 0.01f), ctx.hasInput(2), ctx.hasInput(4));
        long count = ctx.inputShape(0).elementCount();
        int parts = (int) ((count + CHUNK - 1) / CHUNK);
        boolean split = ctx.threads() > 1 && parts > 1;
        Q8Reusable<Part> bodies = new Q8Reusable<>(() -> new Part(map, count));
        return Kernel.of(ValueType.tensor(yType, ctx.inputShape(0)), rc -> {
            if (!split) {
                map.run(rc, 0, count);
                return;
            }
            Part part = bodies.claim();
            part.rc = rc;
            try {
                rc.parallelFor(parts, part);
            } finally {
                part.rc = null;
                bodies.release(part);
            }
        });
    }

    /** Chunks {@code [from, to)} of {@link #CHUNK} elements, split over threads; reused across runs. */
    private static final class Part implements RunContext.RangeBody {
        private final Map map;
        private final long count;
        RunContext rc;

        Part(Map map, long count) {
            this.map = map;
            this.count = count;
        }

        @Override
        public void run(int from, int to) {
            map.run(rc, from * CHUNK, Math.min(count, to * CHUNK));
        }
    }

    /** The parameters fixed at prepare; scales and zero points are read per run. */
    private record Map(boolean xSigned, DType yType, float alpha, boolean hasZx, boolean hasZy) {
        /** Elements {@code [from, to)}. */
        void run(RunContext rc, long from, long to) {
            int lo = yType == DType.INT8 ? -128 : 0, hi = yType == DType.INT8 ? 127 : 255;
            Q8Quantize.remap(Vectors.F32, rc.input(0).data(), from, xSigned, zero(rc, 2, hasZx), rc.input(1).getFloat(0), alpha,
                    rc.output(0).data(), from, to - from, rc.input(3).getFloat(0), zero(rc, 4, hasZy), lo, hi);
        }

        private static int zero(RunContext rc, int i, boolean present) {
            if (!present) return 0;
            var z = rc.input(i);
            return QuantElements.getInt(z.data(), z.dtype(), 0);
        }
    }
}
