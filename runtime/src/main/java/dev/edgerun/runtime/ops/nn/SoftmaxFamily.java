package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.ColdRuns;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32Softmax;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The axis rule shared by Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced
 * to 2-D at {@code axis} (default 1) and normalized over the flattened trailing block; from 13 the
 * operator works along the single axis {@code axis} (default -1). Either way the data is viewed as
 * {@code [outer, n, inner]}.
 */
final class SoftmaxFamily {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    enum Mode { SOFTMAX, LOG_SOFTMAX, HARDMAX }

    private SoftmaxFamily() {}

    static Kernel prepare(NodeContext ctx, Mode mode) {
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        int rank = x.length;
        long outer, n, inner;
        if (ctx.opset() < 13) {
            int axis = rank == 0 ? 0 : Nn.axis(ctx, ctx.attrInt("axis", 1), rank);
            outer = Nn.product(x, 0, axis);
            n = Nn.product(x, axis, rank);
            inner = 1;
        } else {
            int axis = rank == 0 ? 0 : Nn.axis(ctx, ctx.attrInt("axis", -1), rank);
            outer = Nn.product(x, 0, axis);
            n = rank == 0 ? 1 : x[axis];
            inner = Nn.product(x, axis + 1, rank);
        }
        int rows = Nn.toInt(ctx, outer * inner, "rows");
        int len = Nn.toInt(ctx, n, "axis length");
        int in = Nn.toInt(ctx, inner, "inner size");
        int threads = LayerNormalization.rowThreads(ctx.threads(), (long) rows * len, F32Gemm.PARALLEL_MIN_MACS);
        ValueType out = Nn.tensor(DType.FLOAT, ctx.inputShape(0));
        if (rows == 0 || len == 0) return Kernel.of(out, c -> { });
        if (mode == Mode.HARDMAX) {
            return Kernel.of(out, c -> hardmax(c.input(0).data(), c.output(0).data(), rows, len, in));
        }
        boolean log = mode == Mode.LOG_SOFTMAX;
        // Rows of at most one vector (a classifier's classes: mlp_tiny's 10 took 5-9 ms of a fresh JVM's first
        // runs on boxed vectors) take their first run(s) on the same arithmetic in scalar code. Longer rows
        // (attention's) were not measured and keep the vectors.
        ColdRuns cold = F32Softmax.isPartialRow(Vectors.F32, len, in) ? ColdRuns.fromProperty() : new ColdRuns(0);
        return Kernel.of(out, c -> {
            MemorySegment xs = c.input(0).data(), ys = c.output(0).data();
            if (cold.takeOne()) {
                F32Softmax.partialRowScalar(log, xs, ys, len, 0, rows);
            } else if (threads <= 1 || rows < 2) {
                F32Softmax.run(Vectors.F32, log, xs, ys, len, in, 0, rows);
            } else {
                Rows body = ROWS.get();
                body.set(log, xs, ys, len, in);
                c.parallelFor(rows, body);
            }
        });
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Rows> ROWS = ThreadLocal.withInitial(Rows::new);

    /** Softmax rows of one run over threads. */
    private static final class Rows implements RunContext.RangeBody {
        private boolean log;
        private MemorySegment x;
        private MemorySegment y;
        private int len;
        private int inner;

        void set(boolean log, MemorySegment x, MemorySegment y, int len, int inner) {
            this.log = log;
            this.x = x;
            this.y = y;
            this.len = len;
            this.inner = inner;
        }

        @Override
        public void run(int from, int to) {
            F32Softmax.run(Vectors.F32, log, x, y, len, inner, from, to);
        }
    }

    /** One-hot of the first maximum along each row. */
    private static void hardmax(MemorySegment x, MemorySegment y, int rows, int n, int inner) {
        for (int row = 0; row < rows; row++) {
            long base = 4L * ((long) (row / inner) * n * inner + row % inner);
            long step = 4L * inner;
            int best = 0;
            float max = x.get(F, base);
            for (int j = 1; j < n; j++) {
                float v = x.get(F, base + j * step);
                if (v > max) {
                    max = v;
                    best = j;
                }
            }
            for (int j = 0; j < n; j++) y.set(F, base + j * step, j == best ? 1f : 0f);
        }
    }
}
