package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.BroadcastPlan;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * QLinearAdd (com.microsoft, version 1): {@code C = quantize(dequantize(A) + dequantize(B))} with
 * numpy broadcasting; inputs A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale,
 * C_zero_point (zero points optional, scales and zero points per tensor), A, B and C int8 or uint8
 * (C has C_zero_point's type, else A's).
 *
 * <p>Computed as ONNX Runtime's x86 kernel computes it ({@link Q8Quantize#addQuantized}: the scale
 * ratios and zero points folded into two fused multiply-adds per element, float32): the engine
 * fuses a QDQ residual Add into this operator as ONNX Runtime does, and the two engines then give
 * the same bytes. That differs from DequantizeLinear, a float32 Add and QuantizeLinear only by
 * float32 rounding (a value next to a rounding tie can move by one step). The engine-internal
 * attributes {@link QLinearConv#OUTPUT_MIN_ATTR} and {@link QLinearConv#OUTPUT_MAX_ATTR} clamp
 * the output when a Relu or Clip was fused.
 */
public final class QLinearAdd implements Operator {
    /** The operator's domain (ONNX Runtime's contrib operators). */
    public static final String DOMAIN = "com.microsoft";
    /**
     * Fewest elements per part when the sum is split over threads; the parts are equal (64-byte
     * multiples), so that a tensor of 1.15 chunks (MobileNetV2's 56x56x24 residual) is not cut
     * into a part and a sliver, which took 15 us at 2 threads against 9 us on one.
     */
    static final long CHUNK = 1 << 16;

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "A");
        ZeroPoints.requireByteType(ctx, 3, "B");
        for (int i : new int[] {1, 4, 6}) {
            if (ctx.inputDType(i) != DType.FLOAT || ctx.inputShape(i).elementCount() != 1) {
                throw ctx.error("input " + i + " must be a float32 scale with one element, got " + ctx.inputType(i));
            }
        }
        for (int i : new int[] {2, 5, 7}) {
            if (ctx.hasInput(i) && ctx.inputShape(i).elementCount() != 1) {
                throw ctx.error("input " + i + " must be a zero point with one element, got " + ctx.inputType(i));
            }
        }
        requireZeroType(ctx, 2, ctx.inputDType(0));
        requireZeroType(ctx, 5, ctx.inputDType(3));
        DType cType = ctx.hasInput(7) ? ctx.inputDType(7) : ctx.inputDType(0);
        if (cType != DType.INT8 && cType != DType.UINT8) throw ctx.error("C_zero_point must be int8 or uint8, got " + cType.onnxName());
        Shape out = BroadcastPlan.broadcastShape(ctx.inputShape(0), ctx.inputShape(3));
        if (out == null) throw ctx.error("A " + ctx.inputShape(0) + " and B " + ctx.inputShape(3) + " do not broadcast");
        int lo = (int) Math.max(cType == DType.INT8 ? -128 : 0, ctx.attrInt(QLinearConv.OUTPUT_MIN_ATTR, Integer.MIN_VALUE));
        int hi = (int) Math.min(cType == DType.INT8 ? 127 : 255, ctx.attrInt(QLinearConv.OUTPUT_MAX_ATTR, Integer.MAX_VALUE));
        Sum sum = new Sum(ctx.inputDType(0) == DType.INT8, ctx.inputDType(3) == DType.INT8, cType, lo, hi,
                ctx.hasInput(2), ctx.hasInput(5), ctx.hasInput(7));
        boolean same = ctx.inputShape(0).equals(out) && ctx.inputShape(3).equals(out);
        if (same) {
            long count = out.elementCount();
            int parts = (int) Math.min(Integer.MAX_VALUE, count / CHUNK);
            boolean split = ctx.threads() > 1 && parts > 1;
            Q8Reusable<Part> bodies = new Q8Reusable<>(() -> new Part(sum, count, parts));
            return Kernel.of(ValueType.tensor(cType, out), rc -> {
                if (!split) {
                    sum.run(rc, 0, count);
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
        BroadcastPlan plan = BroadcastPlan.of(out, ctx.inputShape(0), ctx.inputShape(3));
        return Kernel.of(ValueType.tensor(cType, out), rc -> sum.runBroadcast(rc, plan));
    }

    private static void requireZeroType(NodeContext ctx, int i, DType type) {
        if (ctx.hasInput(i) && ctx.inputDType(i) != type) {
            throw ctx.error("input " + i + " (zero point) must have its tensor's type " + type.onnxName() + ", got "
                    + ctx.inputDType(i).onnxName());
        }
    }

    /** Same shapes, split over threads: parts {@code [from, to)} of {@code parts} equal ones; reused across runs. */
    private static final class Part implements RunContext.RangeBody {
        private final Sum sum;
        private final long count;
        private final int parts;
        RunContext rc;

        Part(Sum sum, long count, int parts) {
            this.sum = sum;
            this.count = count;
            this.parts = parts;
        }

        @Override
        public void run(int from, int to) {
            sum.run(rc, partStart(from, parts, count), partStart(to, parts, count));
        }
    }

    /** The first element of part {@code p} of {@code parts} equal ones (64-byte multiples) of {@code count}. */
    static long partStart(int p, int parts, long count) {
        return p >= parts ? count : (count * p / parts) & ~63L;
    }

    /** The parameters fixed at prepare; scales and zero points are read per run. */
    private record Sum(boolean aSigned, boolean bSigned, DType cType, int lo, int hi, boolean hasZa, boolean hasZb,
                       boolean hasZc) {

        /** Same shapes: elements {@code [from, to)}. */
        void run(RunContext rc, long from, long to) {
            Q8Quantize.addQuantized(Vectors.F32, rc.input(0).data(), from, 1, aSigned, scale(rc, 1), zero(rc, 2, hasZa),
                    rc.input(3).data(), from, 1, bSigned, scale(rc, 4), zero(rc, 5, hasZb),
                    rc.output(0).data(), from, to - from, scale(rc, 6), zero(rc, 7, hasZc), lo, hi);
        }

        void runBroadcast(RunContext rc, BroadcastPlan plan) {
            MemorySegment a = rc.input(0).data(), b = rc.input(3).data(), c = rc.output(0).data();
            float sa = scale(rc, 1), sb = scale(rc, 4), sc = scale(rc, 6);
            int za = zero(rc, 2, hasZa), zb = zero(rc, 5, hasZb), zc = zero(rc, 7, hasZc);
            int inner = plan.inner();
            for (int r = 0; r < plan.rows(); r++) {
                Q8Quantize.addQuantized(Vectors.F32, a, plan.rowStart(0, r), plan.innerStride(0), aSigned, sa, za,
                        b, plan.rowStart(1, r), plan.innerStride(1), bSigned, sb, zb, c, (long) r * inner, inner, sc, zc, lo, hi);
            }
        }

        private static float scale(RunContext rc, int i) {
            return rc.input(i).getFloat(0);
        }

        private static int zero(RunContext rc, int i, boolean present) {
            if (!present) return 0;
            Tensor z = rc.input(i);
            return QuantElements.getInt(z.data(), z.dtype(), 0);
        }
    }
}
