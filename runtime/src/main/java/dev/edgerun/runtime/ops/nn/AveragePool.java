package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Pool;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;

/** AveragePool (1-3 spatial axes; count_include_pad, ceil_mode, dilations, pads, auto_pad). */
public final class AveragePool implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        return prepareWindowed(ctx, false);
    }

    /** AveragePool, or LpPool when {@code lp}. */
    static Kernel prepareWindowed(NodeContext ctx, boolean lp) {
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 3 || x.length > 5) throw ctx.unsupported("pooling on " + (x.length - 2) + " spatial axes, input " + ctx.inputShape(0));
        long[] ks = ctx.attrInts("kernel_shape", null);
        if (ks == null || ks.length != x.length - 2) throw ctx.error("kernel_shape must list " + (x.length - 2) + " sizes");
        Spatial sp = Spatial.resolve(ctx, Spatial.spatialDims(x), Col2Im.toInts(ks), ctx.attrInt("ceil_mode", 0) != 0);
        long[] y = sp.outputDims(x[0], x[1]);
        F32Pool pool = new F32Pool(sp.in(), sp.kernel(), sp.strides(), sp.padsBegin(), sp.padsEnd(), sp.dilations(), sp.out());
        int planes = Nn.toInt(ctx, x[0] * x[1], "planes");
        boolean countPad = ctx.attrInt("count_include_pad", 0) != 0;
        double pAttr = Nn.attrNumber(ctx, "p", 2);
        int p = (int) pAttr;
        if (lp && (p != pAttr || p < 1)) throw ctx.unsupported("LpPool with p = " + pAttr + " (positive integers implemented)");
        int threads = ctx.threads();
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, y), c -> {
            MemorySegment xs = c.input(0).data(), ys = c.output(0).data();
            if (threads <= 1) {
                run(pool, lp, p, countPad, xs, ys, 0, planes);
            } else {
                c.parallelFor(planes, (from, to) -> run(pool, lp, p, countPad, xs, ys, from, to));
            }
        });
    }

    private static void run(F32Pool pool, boolean lp, int p, boolean countPad, MemorySegment x, MemorySegment y, int from, int to) {
        if (lp) pool.lp(x, y, p, from, to);
        else pool.average(x, y, countPad, from, to);
    }
}
