package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.BroadcastPlan;
import dev.edgerun.runtime.kernels.F32Binary;
import dev.edgerun.runtime.kernels.F32BinaryOp;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32Norm;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.ColdStart;
import dev.edgerun.runtime.kernels.nativelib.DnnlLayerNormKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * LayerNormalization (opset 17): each row of the trailing block from {@code axis} is normalized
 * to zero mean and unit variance, then scaled and shifted element-wise; the optional outputs Mean
 * and InvStdDev have shape {@code X.shape[:axis] + [1] * (rank - axis)}. Statistics are
 * accumulated in double whatever {@code stash_type} says (at least float32 precision).
 *
 * <p>With {@link #SKIP_ATTR} (set by the engine's transformer rewrites when an Add fed X and
 * nothing else) X is the broadcast sum of input 0 and input 3, the residual connection of a
 * post-LN transformer: the sum is formed in the output buffer and normalized there while in cache.
 */
public final class LayerNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** Set to 1 when a preceding Add was folded in: X = input 0 + input 3. */
    public static final String SKIP_ATTR = "edgerun.skip_add";

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        if (ctx.hasInput(2)) Nn.requireFloat(ctx, 2);
        BroadcastPlan skip = null;
        Shape xShape = ctx.inputShape(0);
        if (ctx.attrInt(SKIP_ATTR, 0) != 0) {
            if (!ctx.hasInput(3)) throw ctx.error(SKIP_ATTR + " needs the Add's other operand as input 3");
            Nn.requireFloat(ctx, 3);
            xShape = BroadcastPlan.broadcastShape(ctx.inputShape(0), ctx.inputShape(3));
            if (xShape == null) throw ctx.error("the folded Add's operands " + ctx.inputShape(0) + " and " + ctx.inputShape(3) + " do not broadcast");
            skip = BroadcastPlan.of(xShape, ctx.inputShape(0), ctx.inputShape(3));
        }
        long[] x = xShape.dims();
        int axis = Nn.axis(ctx, ctx.attrInt("axis", -1), x.length);
        int rows = Nn.toInt(ctx, Nn.product(x, 0, axis), "rows");
        int n = Nn.toInt(ctx, Nn.product(x, axis, x.length), "normalized size");
        if (ctx.inputShape(1).elementCount() != n || (ctx.hasInput(2) && ctx.inputShape(2).elementCount() != n)) {
            throw ctx.unsupported("Scale/B broadcast to the normalized shape (Scale " + ctx.inputShape(1) + ", normalized size " + n + ")");
        }
        long[] stat = x.clone();
        for (int i = axis; i < stat.length; i++) stat[i] = 1;
        List<ValueType> types = new ArrayList<>();
        types.add(Nn.tensor(DType.FLOAT, xShape));
        for (int i = 1; i < Math.min(3, ctx.outputCount()); i++) types.add(Nn.tensor(DType.FLOAT, stat));
        float eps = ctx.attrFloat("epsilon", 1e-5f);
        ColdStart coldStart = ColdStart.forNode();
        DnnlLayerNormKernel nativeNorm = coldStart.usesNative() && types.size() == 1 && (skip == null || Node.sameShape(skip))
                ? DnnlLayerNormKernel.create(rows, n, eps, ctx.hasInput(2), skip != null).orElse(null) : null;
        return new Node(List.copyOf(types), rows, n, eps, ctx.threads(), false, skip, nativeNorm, coldStart);
    }

    /** {@code y = a + b} over {@code plan} (the folded Add), a row of the plan at a time. */
    private static void addInto(BroadcastPlan plan, MemorySegment a, MemorySegment b, MemorySegment y) {
        int inner = plan.inner();
        for (int r = 0; r < plan.rows(); r++) {
            long at = (long) r * inner;
            if (Vectors.enabled()) {
                F32Binary.apply(F32BinaryOp.ADD, Vectors.F32, a, plan.rowStart(0, r), plan.innerStride(0), b, plan.rowStart(1, r),
                        plan.innerStride(1), y, at, inner);
            } else {
                F32BinaryOp.ADD.reference(a, plan.rowStart(0, r), plan.innerStride(0), b, plan.rowStart(1, r), plan.innerStride(1),
                        y, at, inner);
            }
        }
    }

    /**
     * {@code threads}, or 1 when {@code elements} are fewer than {@code minElements}: a row-wise
     * pass touches each element a few times at vector speed, no more work than a multiply-add of
     * the GEMM, so work below the GEMM's threshold ({@link F32Gemm#PARALLEL_MIN_MACS}) costs more
     * to hand to a second thread than it saves. Shared by RMSNormalization (through {@link Node})
     * and the softmax family.
     */
    static int rowThreads(int threads, long elements, long minElements) {
        return elements < minElements ? 1 : threads;
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);

    /** {@link Node#rowsRange} of one run over threads. */
    private static final class Rows implements RunContext.RangeBody {
        private Node node;
        private MemorySegment x;
        private MemorySegment residual;
        private MemorySegment y;
        private MemorySegment scale;
        private MemorySegment bias;
        private MemorySegment mean;
        private MemorySegment inv;

        void set(Node node, MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment scale, MemorySegment bias,
                 MemorySegment mean, MemorySegment inv) {
            this.node = node;
            this.x = x;
            this.residual = residual;
            this.y = y;
            this.scale = scale;
            this.bias = bias;
            this.mean = mean;
            this.inv = inv;
        }

        @Override
        public void run(int from, int to) {
            node.rowsRange(x, residual, y, scale, bias, mean, inv, from, to);
        }
    }

    /**
     * Also RMSNormalization ({@code rms}: no mean subtraction, no bias, no statistics outputs).
     * {@code nativeNorm} (nullable): oneDNN normalizes (and adds the folded residual) for the
     * node's first runs ({@link ColdStart}) where the buffers are native memory.
     */
    record Node(List<ValueType> outputTypes, int rows, int n, float eps, int threads, boolean rms, BroadcastPlan skip,
                DnnlLayerNormKernel nativeNorm, ColdStart coldStart) implements Kernel {
        Node(List<ValueType> outputTypes, int rows, int n, float eps, int threads, boolean rms) {
            this(outputTypes, rows, n, eps, threads, rms, null, null, null);
        }

        @Override
        public long scratchBytes() {
            return nativeNorm == null ? 0 : nativeNorm.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), y = ctx.output(0).data(), scale = ctx.input(1).data();
            if (nativeNorm != null && coldStart.nativeNow() && runNative(ctx, x, y, scale)) return;
            MemorySegment residual = null;
            if (skip != null && sameShape(skip)) {
                residual = ctx.input(3).data();
            } else if (skip != null) {
                addInto(skip, x, ctx.input(3).data(), y);
                x = y;
            }
            MemorySegment bias = ctx.inputCount() > 2 && ctx.input(2) != null ? ctx.input(2).data() : null;
            MemorySegment mean = outputTypes.size() > 1 && ctx.output(1) != null ? ctx.output(1).data() : null;
            MemorySegment inv = outputTypes.size() > 2 && ctx.output(2) != null ? ctx.output(2).data() : null;
            if (rowThreads(threads, (long) rows * n, F32Gemm.PARALLEL_MIN_MACS) <= 1) {
                rowsRange(x, residual, y, scale, bias, mean, inv, 0, rows);
            } else {
                Rows body = ROWS.get();
                body.set(this, x, residual, y, scale, bias, mean, inv);
                ctx.parallelFor(rows, body);
            }
        }

        /** Runs {@link #nativeNorm} and returns true, or returns false where a buffer is on the heap. */
        private boolean runNative(RunContext ctx, MemorySegment x, MemorySegment y, MemorySegment scale) {
            MemorySegment residual = skip != null ? ctx.input(3).data() : null;
            MemorySegment bias = ctx.inputCount() > 2 && ctx.input(2) != null ? ctx.input(2).data() : null;
            if (!DnnlLayerNormKernel.runsOn(x, residual, y, scale, bias)) return false;
            nativeNorm.run(x, residual, y, scale, bias, ctx.scratch(), threads);
            return true;
        }

        /** Whether the folded Add's operands both have the output's shape (one row of the plan, both advancing). */
        static boolean sameShape(BroadcastPlan plan) {
            return plan.rows() == 1 && plan.innerStride(0) == 1 && plan.innerStride(1) == 1;
        }

        /** Rows {@code [from, to)}; with {@code residual} (not null) X is {@code x + residual}, formed in y by the first pass. */
        private void rowsRange(MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment scale, MemorySegment bias,
                               MemorySegment meanOut, MemorySegment invOut, int from, int to) {
            MemorySegment src = residual != null ? y : x; // the residual sum is formed in y, then normalized in place
            for (int r = from; r < to; r++) {
                long off = 4L * r * n;
                float m, inv;
                if (residual != null) {
                    m = (float) (F32Norm.addAndSum(Vectors.F32, x, off, residual, off, y, off, n) / n);
                    inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, y, off, n, m) / n + eps));
                } else if (rms) {
                    m = 0;
                    inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, x, off, n, 0f) / n + eps));
                } else {
                    m = (float) (F32Norm.sum(Vectors.F32, x, off, n) / n);
                    inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, x, off, n, m) / n + eps));
                }
                F32Norm.normalize(Vectors.F32, src, off, y, off, n, m, inv, scale, 0, bias, 0);
                if (meanOut != null) meanOut.setAtIndex(F, r, m);
                if (invOut != null) invOut.setAtIndex(F, r, inv);
            }
        }
    }
}
