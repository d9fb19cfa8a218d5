package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/** ONNX Det (opsets 11, 22): determinants of the [..., M, M] matrices, by LU with partial pivoting in double. */
public final class Det implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        int rank = x.rank();
        if (rank < 2 || x.dim(rank - 1) != x.dim(rank - 2)) throw ctx.error("input must be [..., M, M], got " + x);
        int m = (int) x.dim(rank - 1);
        long[] outDims = new long[rank - 2];
        System.arraycopy(x.dims(), 0, outDims, 0, rank - 2);
        long count = x.product(0, rank - 2);
        return Kernel.of(ValueType.tensor(dtype, Shape.of(outDims)), rc -> {
            MemorySegment in = rc.input(0).data();
            double[] a = new double[m * m];
            for (long b = 0; b < count; b++) {
                for (int i = 0; i < m * m; i++) a[i] = Elements.get(in, dtype, b * m * m + i);
                Elements.put(rc.output(0).data(), dtype, b, determinant(a, m));
            }
        });
    }

    static double determinant(double[] a, int m) {
        double det = 1;
        for (int c = 0; c < m; c++) {
            int pivot = c;
            for (int r = c + 1; r < m; r++) if (Math.abs(a[r * m + c]) > Math.abs(a[pivot * m + c])) pivot = r;
            if (a[pivot * m + c] == 0) return 0;
            if (pivot != c) {
                for (int k = 0; k < m; k++) {
                    double t = a[c * m + k];
                    a[c * m + k] = a[pivot * m + k];
                    a[pivot * m + k] = t;
                }
                det = -det;
            }
            double p = a[c * m + c];
            det *= p;
            for (int r = c + 1; r < m; r++) {
                double f = a[r * m + c] / p;
                for (int k = c; k < m; k++) a[r * m + k] -= f * a[c * m + k];
            }
        }
        return det;
    }
}
