package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.Arrays;
import java.util.List;

/**
 * MatMul with numpy semantics: 1-D operands are promoted (and the extra axis dropped from the
 * result), batch axes broadcast. When B has no batch (the usual weight matrix) every batch of A is
 * folded into one tall GEMM and a constant B is packed once; otherwise one GEMM runs per batch at
 * offsets planned here.
 */
public final class MatMul implements Operator {
    /** Set to 1 by the engine's graph optimizer when input 2 is a bias [N] to add to every row. */
    public static final String FUSED_BIAS_ATTR = "edgerun.fused_bias";

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        long[] a = ctx.inputShape(0).dims(), b = ctx.inputShape(1).dims();
        if (a.length == 0 || b.length == 0) throw ctx.error("MatMul inputs must have rank >= 1, got A" + ctx.inputShape(0) + " B" + ctx.inputShape(1));
        long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
        int m = (int) a2[a2.length - 2], k = (int) a2[a2.length - 1];
        int kb = (int) b2[b2.length - 2], n = (int) b2[b2.length - 1];
        if (k != kb) throw ctx.error("inner dimensions differ: A" + ctx.inputShape(0) + " . B" + ctx.inputShape(1));
        long[] aBatch = Arrays.copyOf(a2, a2.length - 2), bBatch = Arrays.copyOf(b2, b2.length - 2);
        long[] batch = broadcast(ctx, aBatch, bBatch);
        long[] out = Arrays.copyOf(batch, batch.length + (a.length > 1 ? 1 : 0) + (b.length > 1 ? 1 : 0));
        int at = batch.length;
        if (a.length > 1) out[at++] = m;
        if (b.length > 1) out[at] = n;
        ValueType outType = Nn.tensor(DType.FLOAT, out);
        long batches = Nn.product(batch, 0, batch.length);
        long bBatches = Nn.product(bBatch, 0, bBatch.length);
        long aBatches = Nn.product(aBatch, 0, aBatch.length);
        if (batches == 0 || m == 0 || n == 0) return Kernel.of(outType, c -> { });
        Tensor constB = ctx.constantInput(1);
        boolean bias = hasFusedBias(ctx, n);
        var epilogue = FusedActivation.epilogue(ctx);
        if (bBatches == 1 && aBatches == batches) {
            int rows = Nn.toInt(ctx, batches * m, "MatMul rows");
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, rows, n, k, false, false, 1f, bias, null,
                    constB == null ? null : constB.reshaped(dev.edgerun.runtime.Shape.of(k, n)), epilogue);
            return new MatMulNode(List.of(outType), gemm(ctx, spec), new long[] {0}, new long[] {0}, new long[] {0},
                    bias, n, ctx.threads());
        }
        var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, bias, null, null, epilogue);
        int count = Nn.toInt(ctx, batches, "MatMul batches");
        long[] aOff = new long[count], bOff = new long[count], yOff = new long[count];
        long[] idx = new long[batch.length];
        for (int t = 0; t < count; t++) {
            aOff[t] = 4L * m * k * offset(idx, batch, aBatch);
            bOff[t] = 4L * k * n * offset(idx, batch, bBatch);
            yOff[t] = 4L * m * n * t;
            increment(idx, batch);
        }
        return new MatMulNode(List.of(outType), gemm(ctx, spec), aOff, bOff, yOff, bias, n, ctx.threads());
    }

    /**
     * Whether the graph optimizer fused a following Add into this node: a third input, a float
     * bias of {@code n} elements added to every output row ({@link #FUSED_BIAS_ATTR}).
     */
    private static boolean hasFusedBias(NodeContext ctx, int n) {
        if (ctx.attrInt(FUSED_BIAS_ATTR, 0) == 0) return false;
        if (!ctx.hasInput(2)) throw ctx.error("a fused bias needs a third input");
        Nn.requireFloat(ctx, 2);
        if (ctx.inputShape(2).rank() != 1 || ctx.inputShape(2).elementCount() != n) {
            throw ctx.error("the fused bias must be [" + n + "], got " + ctx.inputShape(2));
        }
        return true;
    }

    private static KernelProvider.GemmKernel gemm(NodeContext ctx, KernelProvider.GemmSpec spec) {
        return GemmKernels.choose(ctx, spec);
    }

    private static long[] broadcast(NodeContext ctx, long[] x, long[] y) {
        int r = Math.max(x.length, y.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long dx = i - (r - x.length) >= 0 ? x[i - (r - x.length)] : 1;
            long dy = i - (r - y.length) >= 0 ? y[i - (r - y.length)] : 1;
            if (dx != dy && dx != 1 && dy != 1) {
                throw ctx.error("batch dimensions do not broadcast: " + Arrays.toString(x) + " and " + Arrays.toString(y));
            }
            out[i] = dx == 1 ? dy : dx;
        }
        return out;
    }

    /** Linear batch index into {@code own} (right-aligned, size-1 axes broadcast) of output batch index {@code idx}. */
    private static long offset(long[] idx, long[] batch, long[] own) {
        long off = 0;
        int shift = batch.length - own.length;
        for (int i = 0; i < own.length; i++) off = off * own[i] + (own[i] == 1 ? 0 : idx[i + shift]);
        return off;
    }

    private static void increment(long[] idx, long[] dims) {
        for (int i = dims.length - 1; i >= 0; i--) {
            if (++idx[i] < dims[i]) return;
            idx[i] = 0;
        }
    }

    private record MatMulNode(List<ValueType> outputTypes, KernelProvider.GemmKernel gemm, long[] aOff, long[] bOff,
                              long[] yOff, boolean bias, int n, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return gemm.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            Parallel par = Parallel.of(ctx, threads);
            var a = ctx.input(0).data();
            var b = ctx.input(1).data();
            var y = ctx.output(0).data();
            if (bias) fillRows(ctx.input(2).data(), y);
            for (int t = 0; t < aOff.length; t++) gemm.run(a, aOff[t], b, bOff[t], y, yOff[t], ctx.scratch(), par);
        }

        /** Every row of Y starts as the bias; the GEMMs accumulate onto it. */
        private void fillRows(java.lang.foreign.MemorySegment bias, java.lang.foreign.MemorySegment y) {
            long rowBytes = 4L * n;
            for (long at = 0; at < y.byteSize(); at += rowBytes) {
                java.lang.foreign.MemorySegment.copy(bias, 0, y, at, rowBytes);
            }
        }
    }
}
