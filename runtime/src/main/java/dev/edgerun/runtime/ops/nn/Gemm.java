package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Copy;
import dev.edgerun.runtime.kernels.F32DenseRow;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;
import dev.edgerun.runtime.kernels.F32GemmKernel;
import dev.edgerun.runtime.kernels.F32GemvColdRow;
import dev.edgerun.runtime.kernels.F32TinyRow;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Gemm: {@code Y = alpha * op(A) . op(B) + beta * C}, C broadcast to {@code [M, N]}. Y is first
 * filled with {@code beta * C}, then the kernel accumulates the product onto it; constant A or B
 * (the usual weights) are packed once by the kernel provider. A one-row product on the Java GEMV
 * whose C is a bias row adds it in registers instead ({@link F32GemmKernel#runAddingRow}); with
 * constant B and C too (a fully connected layer at batch 1) it runs {@link F32DenseRow}, which
 * holds weights, bias and activation itself. The first run of either one-row path takes a scalar
 * loop with the same bits ({@link dev.edgerun.runtime.kernels.ColdRuns}), not the Vector API loops
 * that the interpreter runs boxed; a bias-row product of at most one vector of outputs and
 * {@link F32TinyRow#MAX_MACS} constant weights takes that scalar loop on every run ({@link F32TinyRow}).
 */
public final class Gemm implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        Shape a = ctx.inputShape(0), b = ctx.inputShape(1);
        if (a.rank() != 2 || b.rank() != 2) throw ctx.error("A and B must be 2-D, got A" + a + " and B" + b);
        boolean transA = ctx.attrInt("transA", 0) != 0, transB = ctx.attrInt("transB", 0) != 0;
        float alpha = ctx.attrFloat("alpha", 1f), beta = ctx.attrFloat("beta", 1f);
        int m = (int) (transA ? a.dim(1) : a.dim(0)), k = (int) (transA ? a.dim(0) : a.dim(1));
        int kb = (int) (transB ? b.dim(1) : b.dim(0)), n = (int) (transB ? b.dim(0) : b.dim(1));
        if (k != kb) throw ctx.error("inner dimensions differ: op(A) is " + m + "x" + k + ", op(B) is " + kb + "x" + n);
        boolean hasC = ctx.hasInput(2) && beta != 0f;
        int cRowStride = 0, cColStride = 0;
        if (hasC) {
            Nn.requireFloat(ctx, 2);
            long[] c = ctx.inputShape(2).dims();
            if (c.length > 2) throw ctx.error("C must have rank <= 2, got " + ctx.inputShape(2));
            long cm = c.length == 2 ? c[0] : 1, cn = c.length >= 1 ? c[c.length - 1] : 1;
            if ((cm != 1 && cm != m) || (cn != 1 && cn != n)) {
                throw ctx.error("C" + ctx.inputShape(2) + " does not broadcast to [" + m + ", " + n + "]");
            }
            cColStride = cn == 1 ? 0 : 1;
            cRowStride = cm == 1 ? 0 : (int) cn;
        }
        var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, transA, transB, alpha, hasC,
                ctx.constantInput(0), ctx.constantInput(1), FusedActivation.epilogue(ctx));
        if (spec.constantB() != null && (!hasC || ctx.constantInput(2) != null) && GemmKernels.javaVectorsTakeRow(spec)
                && F32DenseRow.suits(Vectors.F32, n, k)) {
            float[] bias = hasC ? biasRow(ctx.constantInput(2), beta, n, cColStride) : null;
            return new DenseRowNode(List.of(Nn.tensor(DType.FLOAT, m, n)),
                    new F32DenseRow(Vectors.F32, n, k, spec.constantB().data(), transB, alpha, bias, spec.epilogue()));
        }
        KernelProvider.GemmKernel gemm = GemmKernels.choose(ctx, spec);
        if (hasC && beta == 1f && cColStride == 1 && gemm instanceof F32GemmKernel row && row.addsRowInRegisters()) {
            if (spec.constantB() != null && F32TinyRow.suits(Vectors.F32, n, k)) {
                return new TinyRowNode(List.of(Nn.tensor(DType.FLOAT, m, n)),
                        new F32TinyRow(n, k, spec.constantB().data(), transB, alpha), spec.epilogue(), n);
            }
            F32GemvColdRow cold = spec.constantB() == null ? null
                    : F32GemvColdRow.of(Vectors.F32, n, k, spec.constantB().data(), transB, alpha);
            return new BiasRowNode(List.of(Nn.tensor(DType.FLOAT, m, n)), row, cold, spec.epilogue(), n, ctx.threads());
        }
        return new GemmNode(List.of(Nn.tensor(DType.FLOAT, m, n)), gemm, m, n, hasC, beta, cRowStride, cColStride,
                ctx.threads());
    }

    /** {@code beta * C} as the row of n that a one-row product adds (C broadcast along the row when its last dimension is 1). */
    private static float[] biasRow(Tensor c, float beta, int n, int colStride) {
        float[] row = new float[n];
        for (int j = 0; j < n; j++) {
            float v = c.data().getAtIndex(F, (long) j * colStride);
            row[j] = beta == 1f ? v : beta * v;
        }
        return row;
    }

    /** A one-row product with constant weights and bias: one kernel call, reading only A and writing Y. */
    private record DenseRowNode(List<ValueType> outputTypes, F32DenseRow dense) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            dense.run(ctx.input(0).data(), 0, ctx.output(0).data(), 0);
        }
    }

    /** A one-row product of at most one vector of outputs and few weights whose C is a bias row: a scalar loop ({@link F32TinyRow}). */
    private record TinyRowNode(List<ValueType> outputTypes, F32TinyRow tiny, F32GemmEpilogue epilogue, int n)
            implements Kernel {
        @Override
        public void run(RunContext ctx) {
            MemorySegment y = ctx.output(0).data();
            tiny.run(ctx.input(0).data(), 0, ctx.input(2).data(), 0, y, 0);
            if (epilogue != null) epilogue.apply(y, 0, n);
        }
    }

    /**
     * A one-row product whose C is a row of n added as it is (a bias): added in the GEMV's registers, no fill of Y.
     * {@code cold} (nullable) takes the first run(s) on a scalar loop, with the same bits.
     */
    private record BiasRowNode(List<ValueType> outputTypes, F32GemmKernel gemm, F32GemvColdRow cold,
                               F32GemmEpilogue epilogue, int n, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return gemm.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            if (cold != null && cold.run(ctx.input(0).data(), 0, ctx.input(2).data(), 0, ctx.output(0).data(), 0)) {
                if (epilogue != null) epilogue.apply(ctx.output(0).data(), 0, n);
                return;
            }
            gemm.runAddingRow(ctx.input(0).data(), 0, ctx.input(1).data(), 0, ctx.input(2).data(), 0,
                    ctx.output(0).data(), 0, ctx.scratch(), Parallel.of(ctx, threads));
        }
    }

    private record GemmNode(List<ValueType> outputTypes, KernelProvider.GemmKernel gemm, int m, int n, boolean hasC,
                            float beta, int cRowStride, int cColStride, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return gemm.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment y = ctx.output(0).data();
            if (hasC) fillC(ctx.input(2).data(), y);
            Parallel par = Parallel.of(ctx, threads);
            gemm.run(ctx.input(0).data(), 0, ctx.input(1).data(), 0, y, 0, ctx.scratch(), par);
        }

        private void fillC(MemorySegment c, MemorySegment y) {
            if (beta == 1f && cColStride == 1) { // C rows as they are (a bias row, or C itself): bulk copies
                long rowBytes = 4L * n;
                for (int i = 0; i < m; i++) F32Copy.copy(c, cRowStride == 0 ? 0 : rowBytes * i, y, rowBytes * i, n);
                return;
            }
            long at = 0;
            for (int i = 0; i < m; i++) {
                long row = (long) i * cRowStride;
                for (int j = 0; j < n; j++, at += 4) y.set(F, at, beta * c.getAtIndex(F, row + (long) j * cColStride));
            }
        }
    }
}
