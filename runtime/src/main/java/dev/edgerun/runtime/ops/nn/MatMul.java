package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;
import dev.edgerun.runtime.kernels.F32RowEpilogue;
import dev.edgerun.runtime.kernels.F32StridedMatMul;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.ColdStart;
import dev.edgerun.runtime.kernels.nativelib.DnnlStridedMatMulKernel;
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
 *
 * <p>The engine's transformer rewrites ({@code TransformerFusion}) may fold neighbours into a
 * MatMul through engine-internal attributes: Transposes of its inputs or output
 * ({@link #PERM_A_ATTR}, {@link #PERM_B_ATTR}, {@link #PERM_Y_ATTR}: the operand is stored as the
 * Transpose's input and read through strides, {@link F32StridedMatMul}), a following Div by a
 * constant and Softmax over the last axis ({@link #DIVISOR_ATTR}, {@link #SOFTMAX_ATTR}), or a
 * following exact GELU ({@link #GELU_ATTR}); each is applied to finished output rows.
 */
public final class MatMul implements Operator {
    /** Set to 1 by the engine's graph optimizer when input 2 is a bias [N] to add to every row. */
    public static final String FUSED_BIAS_ATTR = "edgerun.fused_bias";
    /** A's Transpose folded in: input 0 is the Transpose's input, A = transpose(input 0, perm). */
    public static final String PERM_A_ATTR = "edgerun.perm_a";
    /** B's Transpose folded in, as {@link #PERM_A_ATTR}. */
    public static final String PERM_B_ATTR = "edgerun.perm_b";
    /** A following Transpose folded in: the output is transpose(A . B, perm); perm must keep the last axis last. */
    public static final String PERM_Y_ATTR = "edgerun.perm_y";
    /** A following Div by this constant, applied to the finished output. */
    public static final String DIVISOR_ATTR = "edgerun.divisor";
    /** Set to 1 when a following Softmax over the last axis was folded in (after the division). */
    public static final String SOFTMAX_ATTR = "edgerun.softmax";
    /** Set to 1 when a following GELU (erf form, 0.5 x (1 + erf(x / sqrt 2))) was folded in. */
    public static final String GELU_ATTR = "edgerun.fused_gelu";

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        Nn.requireFloat(ctx, 0);
        Nn.requireFloat(ctx, 1);
        if (ctx.hasAttr(PERM_A_ATTR) || ctx.hasAttr(PERM_B_ATTR) || ctx.hasAttr(PERM_Y_ATTR) || ctx.attrInt(SOFTMAX_ATTR, 0) != 0) {
            return prepareStrided(ctx);
        }
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
        var epilogue = epilogue(ctx);
        if (bBatches == 1 && aBatches == batches) {
            int rows = Nn.toInt(ctx, batches * m, "MatMul rows");
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, rows, n, k, false, false, 1f, bias, null,
                    constB == null ? null : constB.reshaped(dev.edgerun.runtime.Shape.of(k, n)), epilogue);
            KernelProvider.GemmKernel gemm = gemm(ctx, spec);
            RowBiasGemm.Kernel biased = bias && gemm instanceof RowBiasGemm r ? r.withRowBias() : null;
            if (biased != null) return new RowBiasMatMulNode(List.of(outType), biased, ctx.threads());
            return new MatMulNode(List.of(outType), gemm, new long[] {0}, new long[] {0}, new long[] {0},
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

    /** The one fused step applied to finished outputs (activation, GELU, or division and softmax), or null. */
    private static F32GemmEpilogue epilogue(NodeContext ctx) {
        F32GemmEpilogue activation = FusedActivation.epilogue(ctx);
        boolean gelu = ctx.attrInt(GELU_ATTR, 0) != 0;
        boolean rows = ctx.hasAttr(DIVISOR_ATTR) || ctx.attrInt(SOFTMAX_ATTR, 0) != 0;
        if ((activation != null ? 1 : 0) + (gelu ? 1 : 0) + (rows ? 1 : 0) > 1) {
            throw ctx.error("at most one of a fused activation, " + GELU_ATTR + " and " + DIVISOR_ATTR + "/" + SOFTMAX_ATTR
                    + " may be set");
        }
        if (gelu) return new ActivationEpilogue(F32UnaryOp.GELU, 0f, 0f);
        if (rows) {
            float divisor = ctx.attrFloat(DIVISOR_ATTR, 1f);
            if (divisor == 0f || !Float.isFinite(divisor)) throw ctx.error(DIVISOR_ATTR + " must be finite and non-zero, got " + divisor);
            return new F32RowEpilogue(Vectors.F32, divisor, ctx.attrInt(SOFTMAX_ATTR, 0) != 0);
        }
        return activation;
    }

    /**
     * A MatMul with folded Transposes or a folded Softmax: operands read through strides, one
     * packed product per batch on one thread (so a softmax epilogue sees whole rows), the result
     * written through strides. No fused bias here (the rewrites fold none into such a node).
     */
    private static Kernel prepareStrided(NodeContext ctx) {
        if (ctx.attrInt(FUSED_BIAS_ATTR, 0) != 0) throw ctx.error("a fused bias cannot be combined with folded transposes or softmax");
        long[] aPhys = ctx.inputShape(0).dims(), bPhys = ctx.inputShape(1).dims();
        if (aPhys.length < 2 || bPhys.length < 2) {
            throw ctx.error("folded transposes need operands of rank >= 2, got A" + ctx.inputShape(0) + " B" + ctx.inputShape(1));
        }
        int[] permA = perm(ctx, PERM_A_ATTR, aPhys.length);
        int[] permB = perm(ctx, PERM_B_ATTR, bPhys.length);
        long[] a = permute(aPhys, permA), aStrides = permute(StridedCopy.contiguousStrides(aPhys), permA);
        long[] b = permute(bPhys, permB), bStrides = permute(StridedCopy.contiguousStrides(bPhys), permB);
        int ra = a.length, rb = b.length;
        int m = Nn.toInt(ctx, a[ra - 2], "rows"), k = Nn.toInt(ctx, a[ra - 1], "inner size"), n = Nn.toInt(ctx, b[rb - 1], "columns");
        if (b[rb - 2] != k) throw ctx.error("inner dimensions differ: A" + Arrays.toString(a) + " . B" + Arrays.toString(b) + " after the folded transposes");
        long[] batch = broadcast(ctx, Arrays.copyOf(a, ra - 2), Arrays.copyOf(b, rb - 2));
        int r = batch.length + 2;
        long[] y = Arrays.copyOf(batch, r);
        y[r - 2] = m;
        y[r - 1] = n;
        int[] permY = perm(ctx, PERM_Y_ATTR, r);
        if (permY[r - 1] != r - 1) throw ctx.error(PERM_Y_ATTR + " must keep the last axis last, got " + Arrays.toString(permY));
        long[] yPhys = permute(y, permY);
        long[] yPhysStrides = StridedCopy.contiguousStrides(yPhys);
        long[] yStrides = new long[r];
        for (int i = 0; i < r; i++) yStrides[permY[i]] = yPhysStrides[i];
        ValueType outType = Nn.tensor(DType.FLOAT, yPhys);
        int count = Nn.toInt(ctx, Nn.product(batch, 0, batch.length), "MatMul batches");
        long[] aOff = new long[count], bOff = new long[count], yOff = new long[count];
        long[] idx = new long[batch.length];
        for (int t = 0; t < count; t++) {
            aOff[t] = batchOffset(idx, batch, a, aStrides);
            bOff[t] = batchOffset(idx, batch, b, bStrides);
            yOff[t] = batchOffset(idx, batch, y, yStrides);
            increment(idx, batch);
        }
        long[] aRowCol = {aStrides[ra - 2], aStrides[ra - 1]}, bRowCol = {bStrides[rb - 2], bStrides[rb - 1]};
        int ldy = Nn.toInt(ctx, yStrides[r - 2], "row stride");
        F32GemmEpilogue epilogue = epilogue(ctx);
        var product = new F32StridedMatMul(F32Gemm.preferred(), m, n, k, aOff, aRowCol, bOff, bRowCol, yOff, ldy, epilogue);
        ColdStart coldStart = ColdStart.forNode();
        DnnlStridedMatMulKernel nativeProduct = !coldStart.usesNative() || epilogue != null && !(epilogue instanceof F32RowEpilogue) ? null
                : DnnlStridedMatMulKernel.create(m, n, k, aOff, aRowCol, bOff, bRowCol, yOff, ldy, ctx.attrFloat(DIVISOR_ATTR, 1f),
                        ctx.attrInt(SOFTMAX_ATTR, 0) != 0).orElse(null);
        return new StridedMatMulNode(List.of(outType), product, nativeProduct, coldStart, ctx.threads());
    }

    /** The permutation in attribute {@code name} (identity when absent), checked against {@code rank}. */
    private static int[] perm(NodeContext ctx, String name, int rank) {
        long[] p = ctx.attrInts(name, null);
        int[] perm = new int[rank];
        if (p == null) {
            for (int i = 0; i < rank; i++) perm[i] = i;
            return perm;
        }
        if (p.length != rank) throw ctx.error(name + " " + Arrays.toString(p) + " has " + p.length + " entries, rank is " + rank);
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            if (p[i] < 0 || p[i] >= rank || seen[(int) p[i]]) throw ctx.error(name + " " + Arrays.toString(p) + " is not a permutation");
            seen[(int) p[i]] = true;
            perm[i] = (int) p[i];
        }
        return perm;
    }

    private static long[] permute(long[] v, int[] perm) {
        long[] out = new long[perm.length];
        for (int i = 0; i < perm.length; i++) out[i] = v[perm[i]];
        return out;
    }

    /** Element offset of output batch index {@code idx} in an operand of dims {@code own} (batch axes right-aligned, size 1 broadcast). */
    private static long batchOffset(long[] idx, long[] batch, long[] own, long[] strides) {
        int ownBatch = own.length - 2;
        int shift = batch.length - ownBatch;
        long off = 0;
        for (int i = 0; i < ownBatch; i++) if (own[i] != 1) off += idx[i + shift] * strides[i];
        return off;
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

    /**
     * The Java {@code product}, or for the node's first runs ({@link ColdStart}) {@code nativeProduct}
     * (nullable: none) where the buffers are native memory.
     */
    private record StridedMatMulNode(List<ValueType> outputTypes, F32StridedMatMul product, DnnlStridedMatMulKernel nativeProduct,
                                     ColdStart coldStart, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return Math.max(product.scratchBytes(threads), nativeProduct == null ? 0 : nativeProduct.scratchBytes());
        }

        @Override
        public void run(RunContext ctx) {
            var a = ctx.input(0).data();
            var b = ctx.input(1).data();
            var y = ctx.output(0).data();
            if (nativeProduct != null && coldStart.nativeNow() && DnnlStridedMatMulKernel.runsOn(a, b, y)) {
                nativeProduct.run(a, b, y, ctx.scratch(), threads);
            } else {
                product.run(a, b, y, ctx.scratch(), Parallel.of(ctx, threads));
            }
        }
    }

    /** One product that adds the fused bias itself ({@link RowBiasGemm}): Y is not filled with the bias first. */
    private record RowBiasMatMulNode(List<ValueType> outputTypes, RowBiasGemm.Kernel gemm, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return gemm.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            gemm.run(ctx.input(0).data(), 0, ctx.input(1).data(), 0, ctx.input(2).data(), 0, ctx.output(0).data(), 0,
                    ctx.scratch(), Parallel.of(ctx, threads));
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
