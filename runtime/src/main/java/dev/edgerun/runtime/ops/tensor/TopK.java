package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.StridedCopy;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * ONNX TopK (1, 10, 11, 24): the k largest (or smallest) elements along {@code axis} and their int64
 * indices; equal values keep ascending index order, so results are deterministic. k is an attribute
 * before opset 10, then an input; a k known only at run time gives run-time allocated outputs.
 * Each line is ranked with a merge sort over index arrays allocated per run.
 */
public final class TopK implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        int axis = OpArgs.axis(ctx, ctx.attrInt("axis", -1), in.rank());
        boolean largest = ctx.attrInt("largest", 1) != 0;
        int esize = OpArgs.elemBytes(ctx, dtype);
        Tensor kConst = ctx.opset() < 10 ? null : ctx.constantInput(1);
        if (ctx.opset() < 10 || kConst != null) {
            long k = ctx.opset() < 10 ? ctx.attrInt("k", -1) : kConst.getAsLong(0);
            Shape out = outShape(ctx, in, axis, k);
            return Kernel.of(List.of(ValueType.tensor(dtype, out), ValueType.tensor(DType.INT64, out)),
                    rc -> topK(rc, rc.output(0), rc.output(1), dtype, in, axis, k, largest, esize));
        }
        Shape unknown = OpArgs.unknownShape(in.rank());
        return Kernel.of(List.of(ValueType.tensor(dtype, unknown), ValueType.tensor(DType.INT64, unknown)), rc -> {
            long k = rc.input(1).getAsLong(0);
            Shape out = outShape(ctx, in, axis, k);
            Tensor values = rc.allocateOutput(0, dtype, out);
            Tensor indices = rc.allocateOutput(1, DType.INT64, out);
            topK(rc, values, indices, dtype, in, axis, k, largest, esize);
        });
    }

    private static Shape outShape(NodeContext ctx, Shape in, int axis, long k) {
        if (k < 0 || k > in.dim(axis)) throw ctx.error("k = " + k + " is outside [0, " + in.dim(axis) + "] for input " + in);
        long[] d = in.dims();
        d[axis] = k;
        return Shape.of(d);
    }

    private static void topK(RunContext rc, Tensor values, Tensor indices, DType dtype, Shape in, int axis, long k,
                             boolean largest, int esize) {
        int len = (int) in.dim(axis);
        long outer = in.product(0, axis);
        long inner = in.product(axis + 1, in.rank());
        MemorySegment src = rc.input(0).data();
        MemorySegment vd = values.data();
        MemorySegment id = indices.data();
        double[] line = new double[len];
        int[] order = new int[len];
        int[] tmp = new int[len];
        for (long o = 0; o < outer; o++) {
            for (long i = 0; i < inner; i++) {
                long base = o * len * inner + i;
                for (int j = 0; j < len; j++) {
                    double x = Elements.loadDouble(src, dtype, base + j * inner);
                    line[j] = largest ? -x : x; // rank ascending on the key; ties stay in index order
                    order[j] = j;
                }
                mergeSort(order, tmp, 0, len, line);
                for (int r = 0; r < k; r++) {
                    long outAt = o * k * inner + r * inner + i;
                    StridedCopy.copyElement(src, (base + (long) order[r] * inner) * esize, vd, outAt * esize, esize);
                    id.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, outAt, order[r]);
                }
            }
        }
    }

    /** Stable sort of {@code order[from, to)} by {@code key[order[i]]}, NaN last. */
    static void mergeSort(int[] order, int[] tmp, int from, int to, double[] key) {
        if (to - from < 2) return;
        int mid = (from + to) >>> 1;
        mergeSort(order, tmp, from, mid, key);
        mergeSort(order, tmp, mid, to, key);
        int a = from, b = mid, n = from;
        while (a < mid && b < to) tmp[n++] = Double.compare(key[order[b]], key[order[a]]) < 0 ? order[b++] : order[a++];
        while (a < mid) tmp[n++] = order[a++];
        while (b < to) tmp[n++] = order[b++];
        System.arraycopy(tmp, from, order, from, to - from);
    }
}
