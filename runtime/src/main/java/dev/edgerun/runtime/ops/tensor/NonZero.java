package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.reduce.Elements;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** ONNX NonZero (9, 13): int64 (rank, count) coordinates of the non-zero elements in row-major order; the count depends on data. */
public final class NonZero implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape in = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        long[] dims = in.dims();
        int rank = dims.length;
        long count = in.elementCount();
        return Kernel.of(ValueType.tensor(DType.INT64, OpArgs.unknownShape(2)), rc -> {
            MemorySegment src = rc.input(0).data();
            long nz = 0;
            for (long i = 0; i < count; i++) if (nonZero(src, dtype, i)) nz++;
            Tensor out = rc.allocateOutput(0, DType.INT64, Shape.of(rank, nz));
            MemorySegment d = out.data();
            long j = 0;
            for (long i = 0; i < count; i++) {
                if (!nonZero(src, dtype, i)) continue;
                long rem = i;
                for (int a = rank - 1; a >= 0; a--) {
                    d.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, a * nz + j, rem % dims[a]);
                    rem /= dims[a];
                }
                j++;
            }
        });
    }

    private static boolean nonZero(MemorySegment s, DType t, long i) {
        return Elements.floating(t) ? Elements.loadDouble(s, t, i) != 0 : Elements.loadLong(s, t, i) != 0;
    }
}
