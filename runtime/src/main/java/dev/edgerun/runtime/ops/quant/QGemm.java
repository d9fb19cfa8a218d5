package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8DenseRows;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * QGemm (com.microsoft, version 1), ONNX Runtime's quantized Gemm: inputs A, a_scale,
 * a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point (zero points, C and y's
 * parameters optional); attributes alpha, transA, transB. With {@code acc = (A - za) . op(B - zb)}
 * in int32 and C an int32 bias row (scale {@code a_scale * b_scale}, zero point 0):
 * {@code Y = float(acc + C) * (alpha * a_scale * b_scale)}, float32, when y_scale is absent;
 * else that value requantized to y's type ({@link Q8Quantize#requantize}).
 * <p>
 * Implemented for what the engine fuses into it ({@code DQ -> Gemm} with DequantizeLinear'd 8-bit
 * weights, a classifier): A 2-D, transA 0, B a constant, a_scale and y's parameters per tensor,
 * b's per tensor or per output column. The weights stay 8-bit ({@link Q8DenseRows}), the sums are
 * exact, and the outputs split over threads in column ranges when the product is large.
 */
public final class QGemm implements Operator {
    /** Multiply-adds from which a product splits its columns over the session's threads. */
    static final long PARALLEL_MACS = 1 << 18;
    /** Columns per range of a split. */
    private static final int COLUMNS = 64;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "A");
        ZeroPoints.requireByteType(ctx, 3, "B");
        Shape a = ctx.inputShape(0), b = ctx.inputShape(3);
        if (a.rank() != 2 || b.rank() != 2) throw ctx.error("A and B must be 2-D, got A" + a + " and B" + b);
        if (ctx.attrInt("transA", 0) != 0) throw ctx.unsupported("transA 1");
        Tensor weights = ctx.constantInput(3);
        if (weights == null) throw ctx.unsupported("a B that is not a constant");
        boolean transB = ctx.attrInt("transB", 0) != 0;
        int m = (int) a.dim(0), k = (int) a.dim(1);
        int n = (int) (transB ? b.dim(0) : b.dim(1));
        if ((transB ? b.dim(1) : b.dim(0)) != k) throw ctx.error("inner dimensions differ: A" + a + ", B" + b + (transB ? " transposed" : ""));
        requireScale(ctx, 1, "a_scale", 1);
        requireScale(ctx, 4, "b_scale", n);
        requireZero(ctx, 2, "a_zero_point", ctx.inputDType(0), 1);
        requireZero(ctx, 5, "b_zero_point", ctx.inputDType(3), n);
        if (ctx.hasInput(6) && (ctx.inputDType(6) != DType.INT32 || ctx.inputShape(6).elementCount() != n
                && ctx.inputShape(6).elementCount() != 1)) {
            throw ctx.error("C must be int32 with 1 or " + n + " elements, got " + ctx.inputType(6));
        }
        boolean quantizedOutput = ctx.hasInput(7);
        if (quantizedOutput) requireScale(ctx, 7, "y_scale", 1);
        DType yType = !quantizedOutput ? DType.FLOAT : ctx.hasInput(8) ? ctx.inputDType(8) : DType.UINT8;
        if (quantizedOutput && yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("y_zero_point must be int8 or uint8");
        if (quantizedOutput) requireZero(ctx, 8, "y_zero_point", yType, 1);
        Tensor bZero = ctx.hasInput(5) ? ctx.constantInput(5) : null;
        if (ctx.hasInput(5) && bZero == null) throw ctx.unsupported("a b_zero_point that is not a constant");
        Q8DenseRows dense = new Q8DenseRows(Vectors.F32, n, k, weights.data(), transB, ctx.inputDType(3) == DType.INT8,
                bZero == null ? null : ints(bZero));
        Shape out = Shape.of(m, n);
        boolean parallel = ctx.threads() > 1 && (long) m * n * k >= PARALLEL_MACS;
        float alpha = ctx.attrFloat("alpha", 1f);
        Tensor aScale = ctx.constantInput(1), bScale = ctx.constantInput(4), c = ctx.hasInput(6) ? ctx.constantInput(6) : null;
        boolean settled = !quantizedOutput && !dense.hasZeroPoints() && aScale != null && bScale != null
                && (!ctx.hasInput(6) || c != null);
        Plan plan = new Plan(dense, m, alpha, ctx.inputDType(0) == DType.INT8, yType,
                ctx.hasInput(2), ctx.hasInput(6), ctx.hasInput(6) && ctx.inputShape(6).elementCount() > 1,
                ctx.inputShape(4).elementCount() > 1, quantizedOutput, ctx.hasInput(8),
                settled ? biasRow(c, n) : null, settled ? scaleRow(aScale, bScale, alpha, n) : null);
        return new QGemmKernel(List.of(ValueType.tensor(yType, out)), plan, parallel ? ctx.threads() : 1,
                new Q8Reusable<>(() -> new Columns(plan)));
    }

    private static void requireScale(NodeContext ctx, int i, String name, int perColumn) {
        long count = ctx.inputShape(i).elementCount();
        if (ctx.inputDType(i) != DType.FLOAT || count != 1 && (count != perColumn || ctx.inputShape(i).rank() != 1)) {
            throw ctx.error(name + " must be float32 with 1" + (perColumn > 1 ? " or " + perColumn : "") + " elements, got " + ctx.inputType(i));
        }
    }

    private static void requireZero(NodeContext ctx, int i, String name, DType type, int perColumn) {
        if (!ctx.hasInput(i)) return;
        long count = ctx.inputShape(i).elementCount();
        if (ctx.inputDType(i) != type || count != 1 && count != perColumn) {
            throw ctx.error(name + " must be " + type.onnxName() + " with 1" + (perColumn > 1 ? " or " + perColumn : "")
                    + " elements, got " + ctx.inputType(i));
        }
    }

    /** C as n int32 (broadcast from one, or zeros when absent). */
    private static int[] biasRow(Tensor c, int n) {
        int[] r = new int[n];
        for (int j = 0; c != null && j < n; j++) r[j] = c.data().getAtIndex(I, c.elementCount() == 1 ? 0 : j);
        return r;
    }

    /** The float output's scale per column, computed as {@link Plan#store} does. */
    private static float[] scaleRow(Tensor aScale, Tensor bScale, float alpha, int n) {
        float[] r = new float[n];
        float as = aScale.data().get(F, 0);
        for (int j = 0; j < n; j++) {
            float scale = as * bScale.data().getAtIndex(F, bScale.elementCount() == 1 ? 0 : j);
            r[j] = alpha != 1f ? alpha * scale : scale;
        }
        return r;
    }

    private static int[] ints(Tensor t) {
        int[] r = new int[(int) t.elementCount()];
        for (int i = 0; i < r.length; i++) r[i] = QuantElements.getInt(t.data(), t.dtype(), i);
        return r;
    }

    /**
     * What a run needs besides the inputs: the shapes, the types and which optional inputs exist;
     * with constant scales and C, float output and no weight zero points, the bias and scale of
     * every column ({@code bias}, {@code scale}; else null), applied where the sums are formed.
     */
    private record Plan(Q8DenseRows dense, int m, float alpha, boolean aSigned, DType yType, boolean hasAZero,
                        boolean hasC, boolean cPerColumn, boolean bPerColumn, boolean quantizedOutput, boolean hasYZero,
                        int[] bias, float[] scale) {
        long widenedBytes() {
            return m * dense.widenedBytes();
        }

        long scratchBytes() {
            return widenedBytes() + 4L * m * dense.n();
        }

        /** Outputs {@code [from, to)} of every row: sums, then bias, scale and (when quantized) requantization. */
        void columns(RunContext rc, boolean cold, int from, int to) {
            MemorySegment scratch = rc.scratch();
            long accAt = widenedBytes();
            int n = dense.n();
            for (int i = 0; i < m; i++) {
                if (scale != null) {
                    dense.scaledSums(cold, scratch, i * dense.widenedBytes(), from, to, bias, scale, rc.output(0).data(), 4L * i * n);
                    continue;
                }
                long rowAcc = accAt + 4L * i * n;
                dense.sums(cold, scratch, i * dense.widenedBytes(), from, to, scratch, rowAcc);
                store(rc, scratch, rowAcc, i, from, to);
            }
        }

        private void store(RunContext rc, MemorySegment acc, long accOff, int row, int from, int to) {
            float as = rc.input(1).data().get(F, 0);
            MemorySegment bScale = rc.input(4).data();
            MemorySegment c = hasC ? rc.input(6).data() : null;
            MemorySegment y = rc.output(0).data();
            long yRow = (long) row * dense.n();
            float ys = quantizedOutput ? rc.input(7).data().get(F, 0) : 1f;
            int zy = hasYZero ? QuantElements.getInt(rc.input(8).data(), yType, 0) : 0;
            int lo = yType == DType.INT8 ? -128 : 0, hi = yType == DType.INT8 ? 127 : 255;
            for (int j = from; j < to; j++) {
                long sum = (long) acc.get(I, accOff + 4L * j) + (c == null ? 0 : c.getAtIndex(I, cPerColumn ? j : 0));
                float scale = as * bScale.getAtIndex(F, bPerColumn ? j : 0);
                if (alpha != 1f) scale = alpha * scale;
                if (quantizedOutput) {
                    int q = Q8Quantize.requantize((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, sum)),
                            scale / ys, zy, lo, hi);
                    y.set(ValueLayout.JAVA_BYTE, yRow + j, (byte) q);
                } else {
                    y.setAtIndex(F, yRow + j, (float) sum * scale);
                }
            }
        }

        /** Widens every row of A into the scratch; returns whether this is a cold (scalar) run. */
        boolean widenRows(RunContext rc) {
            MemorySegment x = rc.input(0).data();
            int za = hasAZero ? QuantElements.getInt(rc.input(2).data(), aSigned ? DType.INT8 : DType.UINT8, 0) : 0;
            int k = dense.k();
            for (int i = 0; i < m; i++) dense.widen(x, (long) i * k, aSigned, za, rc.scratch(), i * dense.widenedBytes());
            return dense.coldRun();
        }
    }

    /** The range body of a split run, reused across runs: {@code rc} and {@code cold} are set for one call. */
    private static final class Columns implements RunContext.RangeBody {
        private final Plan plan;
        RunContext rc;
        boolean cold;

        Columns(Plan plan) {
            this.plan = plan;
        }

        @Override
        public void run(int from, int to) {
            plan.columns(rc, cold, from * COLUMNS, Math.min(plan.dense().n(), to * COLUMNS));
        }
    }

    private record QGemmKernel(List<ValueType> outputTypes, Plan plan, int threads, Q8Reusable<Columns> splits) implements Kernel {
        @Override
        public long scratchBytes() {
            return plan.scratchBytes();
        }

        @Override
        public void run(RunContext rc) {
            boolean cold = plan.widenRows(rc);
            int n = plan.dense().n();
            if (threads > 1) {
                Columns split = splits.claim();
                split.rc = rc;
                split.cold = cold;
                try {
                    rc.parallelFor((n + COLUMNS - 1) / COLUMNS, split);
                } finally {
                    split.rc = null;
                    splits.release(split);
                }
            } else {
                plan.columns(rc, cold, 0, n);
            }
            if (cold) plan.dense().afterColdRun();
        }
    }
}
