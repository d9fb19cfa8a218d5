package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/**
 * ONNX StringConcat (opset 20): element-wise concatenation of two string tensors with numpy
 * broadcasting. String outputs are new heap tensors, so the output is declared data-dependent.
 */
public final class StringConcat implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (ctx.inputDType(0) != DType.STRING || ctx.inputDType(1) != DType.STRING) {
            throw ctx.error("inputs must be strings, got " + ctx.inputDType(0).onnxName() + " and " + ctx.inputDType(1).onnxName());
        }
        Shape a = ctx.inputShape(0), b = ctx.inputShape(1);
        Shape out = broadcast(ctx, a, b);
        long[] aIndex = sourceIndexes(a, out);
        long[] bIndex = sourceIndexes(b, out);
        return Kernel.of(new ValueType.TensorType(DType.STRING, null), rc -> {
            String[] x = rc.input(0).toStringArray();
            String[] y = rc.input(1).toStringArray();
            String[] z = new String[aIndex.length];
            for (int i = 0; i < z.length; i++) z[i] = x[(int) aIndex[i]] + y[(int) bIndex[i]];
            rc.setOutputValue(0, Tensor.ofStrings(z, out.dims()));
        });
    }

    static Shape broadcast(NodeContext ctx, Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        long[] d = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
            long db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
            if (da != db && da != 1 && db != 1) throw ctx.error("shapes " + a + " and " + b + " do not broadcast");
            d[i] = da == 1 ? db : da;
        }
        return Shape.of(d);
    }

    /** For every element of {@code out}, the index of the element of {@code in} broadcast to it. */
    static long[] sourceIndexes(Shape in, Shape out) {
        int rank = out.rank();
        long[] strides = new long[rank];
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            int j = i - (rank - in.rank());
            long dim = j < 0 ? 1 : in.dim(j);
            strides[i] = dim == 1 ? 0 : s;
            s *= dim;
        }
        long[] result = new long[(int) out.elementCount()];
        long[] index = new long[rank];
        for (int k = 0; k < result.length; k++) {
            long at = 0;
            for (int i = 0; i < rank; i++) at += index[i] * strides[i];
            result[k] = at;
            for (int i = rank - 1; i >= 0; i--) {
                if (++index[i] < out.dim(i)) break;
                index[i] = 0;
            }
        }
        return result;
    }
}
