package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/** ONNX ConstantOfShape (9, 20, 21, 23): a tensor of the shape given as input, filled with the one-element {@code value} (default float 0). */
public final class ConstantOfShape implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Tensor value = ctx.attrTensor("value");
        if (value != null && value.elementCount() != 1) throw ctx.error("value must hold one element, got " + value.shape());
        DType dtype = value == null ? DType.FLOAT : value.dtype();
        int esize = OpArgs.elemBytes(ctx, dtype);
        // A heap copy of the element: the attribute's tensor belongs to the model.
        MemorySegment fill = MemorySegment.ofArray(value == null ? new byte[4] : value.toByteArray());
        int rank = (int) ctx.inputShape(0).elementCount();
        return ValuePlanned.kernel(ctx, dtype, rank, v -> plan(ctx, OpArgs.longs(v.input(0)), fill, esize), 0);
    }

    private static ValuePlanned.Plan plan(NodeContext ctx, long[] dims, MemorySegment fill, int esize) {
        for (long d : dims) if (d < 0) throw ctx.error("shape " + java.util.Arrays.toString(dims) + " has a negative dimension");
        Shape out = Shape.of(dims);
        return new ValuePlanned.Plan() {
            @Override public Shape outputShape() { return out; }
            @Override public void run(RunContext rc, Tensor dst) { fill(dst.data(), fill, esize); }
        };
    }

    /** Fills {@code dst} with copies of the {@code esize}-byte element in {@code fill}, doubling the filled prefix. */
    static void fill(MemorySegment dst, MemorySegment fill, int esize) {
        long n = dst.byteSize();
        if (n == 0) return;
        MemorySegment.copy(fill, 0, dst, 0, esize);
        for (long done = esize; done < n; done *= 2) MemorySegment.copy(dst, 0, dst, done, Math.min(done, n - done));
    }
}
