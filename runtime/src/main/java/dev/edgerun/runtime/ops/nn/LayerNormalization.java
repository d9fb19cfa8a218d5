package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32Norm;
import dev.edgerun.runtime.kernels.Vectors;
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
 */
public final class LayerNormalization implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        if (ctx.hasInput(2)) Nn.requireFloat(ctx, 2);
        long[] x = ctx.inputShape(0).dims();
        int axis = Nn.axis(ctx, ctx.attrInt("axis", -1), x.length);
        int rows = Nn.toInt(ctx, Nn.product(x, 0, axis), "rows");
        int n = Nn.toInt(ctx, Nn.product(x, axis, x.length), "normalized size");
        if (ctx.inputShape(1).elementCount() != n || (ctx.hasInput(2) && ctx.inputShape(2).elementCount() != n)) {
            throw ctx.unsupported("Scale/B broadcast to the normalized shape (Scale " + ctx.inputShape(1) + ", normalized size " + n + ")");
        }
        long[] stat = x.clone();
        for (int i = axis; i < stat.length; i++) stat[i] = 1;
        List<ValueType> types = new ArrayList<>();
        types.add(Nn.tensor(DType.FLOAT, ctx.inputShape(0)));
        for (int i = 1; i < Math.min(3, ctx.outputCount()); i++) types.add(Nn.tensor(DType.FLOAT, stat));
        return new Node(List.copyOf(types), rows, n, ctx.attrFloat("epsilon", 1e-5f), ctx.threads(), false);
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

    /** Also RMSNormalization ({@code rms}: no mean subtraction, no bias, no statistics outputs). */
    record Node(List<ValueType> outputTypes, int rows, int n, float eps, int threads, boolean rms) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), y = ctx.output(0).data(), scale = ctx.input(1).data();
            MemorySegment bias = ctx.inputCount() > 2 && ctx.input(2) != null ? ctx.input(2).data() : null;
            MemorySegment mean = outputTypes.size() > 1 && ctx.output(1) != null ? ctx.output(1).data() : null;
            MemorySegment inv = outputTypes.size() > 2 && ctx.output(2) != null ? ctx.output(2).data() : null;
            if (rowThreads(threads, (long) rows * n, F32Gemm.PARALLEL_MIN_MACS) <= 1) {
                rowsRange(x, y, scale, bias, mean, inv, 0, rows);
            } else {
                ctx.parallelFor(rows, (from, to) -> rowsRange(x, y, scale, bias, mean, inv, from, to));
            }
        }

        private void rowsRange(MemorySegment x, MemorySegment y, MemorySegment scale, MemorySegment bias,
                               MemorySegment meanOut, MemorySegment invOut, int from, int to) {
            for (int r = from; r < to; r++) {
                long off = 4L * r * n;
                float m, inv;
                if (rms) {
                    m = 0;
                    inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, x, off, n, 0f) / n + eps));
                } else {
                    m = (float) (F32Norm.sum(Vectors.F32, x, off, n) / n);
                    inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(Vectors.F32, x, off, n, m) / n + eps));
                }
                F32Norm.normalize(Vectors.F32, x, off, y, off, n, m, inv, scale, 0, bias, 0);
                if (meanOut != null) meanOut.setAtIndex(F, r, m);
                if (invOut != null) invOut.setAtIndex(F, r, inv);
            }
        }
    }
}
