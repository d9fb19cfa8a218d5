package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;

/**
 * ai.onnx.ml ArrayFeatureExtractor (opset 1): selects the columns listed in Y (int64) along the
 * last axis of X; a 1-D X gives [1, |Y|].
 */
public final class ArrayFeatureExtractor implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        Shape x = ctx.inputShape(0);
        int picks = (int) ctx.inputShape(1).elementCount();
        long[] dims = x.rank() == 1 ? new long[] {1, picks} : x.dims();
        dims[dims.length - 1] = picks;
        Shape out = Shape.of(dims);
        long columns = x.dim(x.rank() - 1);
        long rows = x.elementCount() / Math.max(columns, 1);
        boolean strings = dtype == DType.STRING;
        if (!strings && !Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        ValueType type = strings ? new ValueType.TensorType(dtype, null) : ValueType.tensor(dtype, out);
        return Kernel.of(type, rc -> {
            Tensor indices = rc.input(1);
            String[] in = strings ? rc.input(0).toStringArray() : null;
            String[] result = strings ? new String[(int) (rows * picks)] : null;
            for (long r = 0; r < rows; r++) {
                for (int p = 0; p < picks; p++) {
                    long c = indices.getAsLong(p);
                    if (c < 0 || c >= columns) throw new EdgerunException("ArrayFeatureExtractor: index " + c + " out of range [0, " + columns + ")");
                    if (strings) result[(int) (r * picks + p)] = in[(int) (r * columns + c)];
                    else Elements.put(rc.output(0).data(), dtype, r * picks + p, Elements.get(rc.input(0).data(), dtype, r * columns + c));
                }
            }
            if (strings) rc.setOutputValue(0, Tensor.ofStrings(result, out.dims()));
        });
    }
}
