package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX AffineGrid (opset 20): the sampling grid of GridSample for affine matrices theta
 * ([N, 2, 3] or [N, 3, 4]) over an output of {@code size} ([N, C, H, W] or [N, C, D, H, W]);
 * grid points are theta · (x, y[, z], 1) with x, y, z the normalized coordinates of the pixel
 * centres (or corners with {@code align_corners}).
 */
public final class AffineGrid implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean alignCorners = ctx.attrInt("align_corners", 0) != 0;
        Tensor size = ctx.constantInput(1);
        ValueType type = size == null ? new ValueType.TensorType(dtype, null) : ValueType.tensor(dtype, outShape(size));
        boolean planned = size != null;
        return Kernel.of(type, rc -> {
            Shape out = outShape(rc.input(1));
            Tensor y = planned ? rc.output(0) : rc.allocateOutput(0, dtype, out);
            fill(rc, dtype, rc.input(1), alignCorners, y.data());
        });
    }

    private static Shape outShape(Tensor size) {
        int spatial = (int) size.elementCount() - 2;
        long[] dims = new long[spatial + 2];
        dims[0] = size.getAsLong(0);
        for (int i = 0; i < spatial; i++) dims[1 + i] = size.getAsLong(2 + i);
        dims[spatial + 1] = spatial;
        return Shape.of(dims);
    }

    private static double coordinate(long i, long n, boolean alignCorners) {
        if (alignCorners) return n == 1 ? 0 : -1 + 2.0 * i / (n - 1);
        return (2.0 * i + 1) / n - 1;
    }

    private static void fill(RunContext rc, DType dtype, Tensor size, boolean alignCorners, MemorySegment y) {
        MemorySegment theta = rc.input(0).data();
        int spatial = (int) size.elementCount() - 2;
        long n = size.getAsLong(0);
        long depth = spatial == 3 ? size.getAsLong(2) : 1;
        long height = size.getAsLong(spatial == 3 ? 3 : 2);
        long width = size.getAsLong(spatial == 3 ? 4 : 3);
        int cols = spatial + 1;
        long at = 0;
        for (long b = 0; b < n; b++) {
            long t = b * spatial * cols;
            for (long dd = 0; dd < depth; dd++) {
                double z = coordinate(dd, depth, alignCorners);
                for (long h = 0; h < height; h++) {
                    double yy = coordinate(h, height, alignCorners);
                    for (long w = 0; w < width; w++) {
                        double xx = coordinate(w, width, alignCorners);
                        for (int r = 0; r < spatial; r++) {
                            long row = t + (long) r * cols;
                            double v = Elements.get(theta, dtype, row) * xx + Elements.get(theta, dtype, row + 1) * yy;
                            if (spatial == 3) v += Elements.get(theta, dtype, row + 2) * z;
                            v += Elements.get(theta, dtype, row + spatial);
                            Elements.put(y, dtype, at++, v);
                        }
                    }
                }
            }
        }
    }
}
