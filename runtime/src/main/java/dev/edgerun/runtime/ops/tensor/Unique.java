package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * ONNX Unique (11): the distinct elements (or, with {@code axis}, distinct slices along it),
 * ascending when {@code sorted} else in order of first occurrence, with the first-occurrence
 * indices, the inverse indices and the counts (all int64). Every output depends on data.
 */
public final class Unique implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean sorted = ctx.attrInt("sorted", 1) != 0;
        boolean hasAxis = ctx.hasAttr("axis");
        int axis = hasAxis ? OpArgs.axis(ctx, ctx.attrInt("axis", 0), in.rank()) : 0;
        long[] dims = hasAxis ? in.dims() : new long[] {in.elementCount()};
        int esize = OpArgs.elemBytes(ctx, dtype);
        List<ValueType> types = new ArrayList<>();
        types.add(ValueType.tensor(dtype, OpArgs.unknownShape(dims.length)));
        for (int i = 1; i < Math.max(1, ctx.outputCount()); i++) types.add(ValueType.tensor(DType.INT64, OpArgs.unknownShape(1)));
        boolean[] wanted = new boolean[4];
        for (int i = 1; i < types.size(); i++) wanted[i] = ctx.hasOutput(i);
        return Kernel.of(types, rc -> run(rc, dtype, dims, axis, sorted, esize, wanted));
    }

    private static void run(RunContext rc, DType dtype, long[] dims, int axis, boolean sorted, int esize, boolean[] wanted) {
        MemorySegment src = rc.input(0).data();
        Shape shape = Shape.of(dims);
        int n = (int) dims[axis];
        long outer = shape.product(0, axis);
        long inner = shape.product(axis + 1, dims.length);
        // Slice s holds elements (o, s, i); compare slices element by element in (o, i) order.
        double[][] slices = new double[n][(int) (outer * inner)];
        for (int s = 0; s < n; s++) {
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < inner; i++) slices[s][(int) (o * inner + i)] = Elements.loadDouble(src, dtype, (o * n + s) * inner + i);
            }
        }
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        sort(order, new int[n], 0, n, slices);
        int[] group = new int[n];       // group of each slice, in sorted order
        List<Integer> firsts = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            if (r == 0 || compare(slices[order[r - 1]], slices[order[r]]) != 0) {
                firsts.add(order[r]);
                counts.add(0);
            }
            group[order[r]] = firsts.size() - 1;
            counts.set(counts.size() - 1, counts.get(counts.size() - 1) + 1);
        }
        int u = firsts.size();
        int[] rank = new int[u]; // output position of each sorted group
        for (int g = 0; g < u; g++) rank[g] = g;
        if (!sorted) {
            Integer[] byFirst = new Integer[u];
            for (int g = 0; g < u; g++) byFirst[g] = g;
            java.util.Arrays.sort(byFirst, (a, b) -> Integer.compare(firsts.get(a), firsts.get(b)));
            for (int p = 0; p < u; p++) rank[byFirst[p]] = p;
        }
        long[] outDims = dims.clone();
        outDims[axis] = u;
        MemorySegment y = rc.allocateOutput(0, dtype, Shape.of(outDims)).data();
        for (int g = 0; g < u; g++) {
            int s = firsts.get(g);
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(src, ((o * n + s) * inner) * esize, y, ((o * u + rank[g]) * inner) * esize, inner * esize);
            }
        }
        if (wanted[1]) {
            MemorySegment idx = rc.allocateOutput(1, DType.INT64, Shape.of(u)).data();
            for (int g = 0; g < u; g++) idx.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rank[g], firsts.get(g));
        }
        if (wanted[2]) {
            MemorySegment inv = rc.allocateOutput(2, DType.INT64, Shape.of(n)).data();
            for (int s = 0; s < n; s++) inv.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, s, rank[group[s]]);
        }
        if (wanted[3]) {
            MemorySegment cnt = rc.allocateOutput(3, DType.INT64, Shape.of(u)).data();
            for (int g = 0; g < u; g++) cnt.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, rank[g], counts.get(g));
        }
    }

    private static int compare(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            int c = Double.compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    /** Stable merge sort of slice numbers by slice contents. */
    private static void sort(int[] order, int[] tmp, int from, int to, double[][] slices) {
        if (to - from < 2) return;
        int mid = (from + to) >>> 1;
        sort(order, tmp, from, mid, slices);
        sort(order, tmp, mid, to, slices);
        int a = from, b = mid, n = from;
        while (a < mid && b < to) tmp[n++] = compare(slices[order[b]], slices[order[a]]) < 0 ? order[b++] : order[a++];
        while (a < mid) tmp[n++] = order[a++];
        while (b < to) tmp[n++] = order[b++];
        System.arraycopy(tmp, from, order, from, to - from);
    }
}
