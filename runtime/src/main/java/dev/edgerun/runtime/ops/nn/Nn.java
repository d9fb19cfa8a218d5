package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;

/** Small helpers the nn operators share: type checks, axes, output types. */
final class Nn {
    private Nn() {}

    static ValueType.TensorType tensor(DType dtype, long... dims) {
        return ValueType.tensor(dtype, Shape.of(dims));
    }

    static ValueType.TensorType tensor(DType dtype, Shape shape) {
        return ValueType.tensor(dtype, shape);
    }

    /**
     * Input {@code i} must be float32 for the native kernels; any other dtype (double, float16,
     * the integer types MatMul allows, ...) is reported as unsupported at compile time.
     */
    static void requireFloat(NodeContext ctx, int i) {
        DType t = ctx.inputDType(i);
        if (t != DType.FLOAT) throw ctx.unsupported("input " + i + " of dtype " + t.onnxName() + " (float32 implemented)");
    }

    /** A numeric attribute stored as an int or (in some old opsets, such as LpPool-1's p) a float. */
    static double attrNumber(NodeContext ctx, String name, double dflt) {
        var a = ctx.node().attribute(name);
        if (a == null) return dflt;
        return a.kind() == dev.edgerun.runtime.ir.Attribute.Kind.FLOAT ? a.asFloat() : a.asInt();
    }

    /** Resolves a possibly negative axis against {@code rank}, checking its range. */
    static int axis(NodeContext ctx, long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw ctx.error("axis " + axis + " is out of range for rank " + rank + " (expected " + -rank + ".." + (rank - 1) + ")");
        }
        return (int) a;
    }

    static long product(long[] dims, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) p *= dims[i];
        return p;
    }

    static int toInt(NodeContext ctx, long v, String what) {
        if (v < 0 || v > Integer.MAX_VALUE) throw ctx.unsupported(what + " of " + v + " elements");
        return (int) v;
    }

    static Parallel parallel(RunContext ctx, int threads) {
        return Parallel.of(ctx, threads);
    }
}
