package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.Arrays;

/**
 * ONNX Reshape (1, 5, 13, 14, 19, 21, 23): the shape comes from the attribute (opset 1) or the
 * second input; 0 copies the input dimension unless {@code allowzero}, -1 is inferred.
 */
public final class Reshape implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (StringMoves.any(ctx)) return StringMoves.kernel(ctx, this);
        Shape in = ctx.inputShape(0);
        boolean allowZero = ctx.attrInt("allowzero", 0) != 0;
        if (ctx.opset() < 5) {
            Shape out = resolve(ctx, in, ctx.attrInts("shape", new long[0]), allowZero);
            return ValuePlanned.kernel(ctx, ctx.inputDType(0), out.rank(), v -> ValuePlanned.view(out));
        }
        int outRank = (int) ctx.inputShape(1).elementCount();
        return ValuePlanned.kernel(ctx, ctx.inputDType(0), outRank,
                v -> ValuePlanned.view(resolve(ctx, in, OpArgs.longs(v.input(1)), allowZero)), 1);
    }

    static Shape resolve(NodeContext ctx, Shape in, long[] requested, boolean allowZero) {
        long[] out = requested.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                if (i >= in.rank()) throw ctx.error("shape " + Arrays.toString(requested) + " copies dimension " + i + " of input " + in + " which has no such dimension");
                out[i] = in.dim(i);
            }
            if (out[i] == -1) {
                if (inferred >= 0) throw ctx.error("shape " + Arrays.toString(requested) + " has more than one -1");
                inferred = i;
            } else if (out[i] < 0) {
                throw ctx.error("shape " + Arrays.toString(requested) + " has negative dimension " + out[i]);
            } else {
                known *= out[i];
            }
        }
        long count = in.elementCount();
        if (inferred >= 0) {
            if (known == 0 || count % known != 0) {
                throw ctx.error("cannot reshape " + in + " to " + Arrays.toString(requested) + ": " + count + " elements do not divide by " + known);
            }
            out[inferred] = count / known;
        }
        Shape s = Shape.of(out);
        if (s.elementCount() != count) {
            throw ctx.error("cannot reshape " + in + " (" + count + " elements) to " + s + " (" + s.elementCount() + " elements)");
        }
        return s;
    }
}
