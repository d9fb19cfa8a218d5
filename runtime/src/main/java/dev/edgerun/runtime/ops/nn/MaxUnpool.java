package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MaxUnpool: zeros of the unpooled shape with each X value written at its flat index from I (the
 * Indices output of MaxPool) in the unpooled shape {@code (in - 1) * stride + kernel - pads}; with
 * {@code output_shape} (input 2) that result sits at the origin of the larger output.
 */
public final class MaxUnpool implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        Nn.requireFloat(ctx, 0);
        if (ctx.inputDType(1) != DType.INT64) throw ctx.error("I must be int64, got " + ctx.inputDType(1).onnxName());
        long[] x = ctx.inputShape(0).dims();
        if (!ctx.inputShape(1).sameDims(ctx.inputShape(0))) throw ctx.error("I" + ctx.inputShape(1) + " must have X's shape " + ctx.inputShape(0));
        int r = x.length - 2;
        long[] ks = ctx.attrInts("kernel_shape", null);
        if (ks == null || ks.length != r) throw ctx.error("kernel_shape must list " + r + " sizes");
        int[] s = Spatial.ints(ctx, "strides", r, 1), pads = Spatial.ints(ctx, "pads", 2 * r, 0);
        long[] inferred = new long[x.length];
        inferred[0] = x[0];
        inferred[1] = x[1];
        for (int a = 0; a < r; a++) inferred[a + 2] = (x[a + 2] - 1) * s[a] + ks[a] - pads[a] - pads[a + r];
        long count = Nn.product(x, 0, x.length);
        if (ctx.hasInput(2) && ctx.constantInput(2) == null) {
            // the output shape is data: allocated at run time
            return Kernel.of(ValueType.tensor(DType.FLOAT, null), c -> {
                long[] y = longs(c.input(2));
                if (y.length != x.length) throw new IllegalArgumentException("MaxUnpool: output_shape must have rank " + x.length);
                unpool(c.input(0).data(), c.input(1).data(), c.allocateOutput(0, DType.FLOAT, Shape.of(y)).data(), count, inferred, y);
            });
        }
        long[] y = ctx.hasInput(2) ? longs(ctx.constantInput(2)) : inferred;
        if (y.length != x.length) throw ctx.error("output_shape must have rank " + x.length);
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, y),
                c -> unpool(c.input(0).data(), c.input(1).data(), c.output(0).data(), count, inferred, y));
    }

    private static long[] longs(Tensor t) {
        long[] v = new long[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) v[i] = t.getAsLong(i);
        return v;
    }

    /**
     * Scatters X to the flat indices of I in the inferred unpooled shape, which is then placed at
     * the origin of the output shape (cropped or zero-extended), as the reference does.
     */
    private static void unpool(MemorySegment xs, MemorySegment idx, MemorySegment ys, long count, long[] inferred, long[] out) {
        ys.fill((byte) 0);
        long inferredCount = Shape.of(inferred).elementCount();
        boolean same = java.util.Arrays.equals(inferred, out);
        for (long i = 0; i < count; i++) {
            long at = idx.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
            if (at < 0 || at >= inferredCount) throw new IndexOutOfBoundsException("MaxUnpool index " + at + " outside [0, " + inferredCount + ")");
            long target = same ? at : relocate(at, inferred, out);
            if (target >= 0) ys.setAtIndex(F, target, xs.getAtIndex(F, i));
        }
    }

    /** The index in {@code out} of flat index {@code at} of {@code from}, or -1 when it falls outside. */
    private static long relocate(long at, long[] from, long[] out) {
        long target = 0, stride = 1;
        for (int a = from.length - 1; a >= 0; a--) {
            long coord = at % from[a];
            at /= from[a];
            if (coord >= out[a]) return -1;
            target += coord * stride;
            stride *= out[a];
        }
        return target;
    }
}
