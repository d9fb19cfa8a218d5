package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Pool;
import dev.edgerun.runtime.kernels.F32PoolRows;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.DnnlPoolKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * AveragePool (1-3 spatial axes; count_include_pad, ceil_mode, dilations, pads, auto_pad), on
 * oneDNN where it is in use ({@link OneDnnPooling}).
 */
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
        F32PoolRows rows = lp ? null : pool.separable(countPad);
        int chunks = F32PoolRows.ranges(threads, planes, Nn.product(x, 0, x.length));
        Kernel java = new Node(List.of(Nn.tensor(DType.FLOAT, y)), pool, rows, lp, p, countPad, planes, chunks, threads);
        if (lp) return java;
        var algorithm = countPad ? DnnlPoolKernel.Algorithm.AVERAGE_INCLUDING_PADS : DnnlPoolKernel.Algorithm.AVERAGE_EXCLUDING_PADS;
        return OneDnnPooling.windowed(java, algorithm, sp, x, y, threads);
    }

    /** {@code rows} (null where it does not apply) runs the planes in {@code chunks} ranges, each with its own row buffer. */
    private record Node(List<ValueType> outputTypes, F32Pool pool, F32PoolRows rows, boolean lp, int p, boolean countPad, int planes,
                        int chunks, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return rows == null ? 0 : chunks * rows.bufferBytes();
        }

        @Override
        public void run(RunContext c) {
            MemorySegment xs = c.input(0).data(), ys = c.output(0).data();
            if (rows != null) {
                separable(c, xs, ys);
            } else if (threads <= 1) {
                general(xs, ys, 0, planes);
            } else {
                Split body = SPLIT.get();
                body.set(this, xs, ys, null);
                c.parallelFor(planes, body);
            }
        }

        private void separable(RunContext c, MemorySegment x, MemorySegment y) {
            MemorySegment bufs = c.scratch();
            if (chunks == 1) {
                rows.average(Vectors.F32, x, y, bufs, 0, planes);
                return;
            }
            Split body = SPLIT.get();
            body.set(this, x, y, bufs);
            c.parallelFor(chunks, body);
        }

        private void general(MemorySegment x, MemorySegment y, int from, int to) {
            if (lp) pool.lp(x, y, p, from, to);
            else pool.average(x, y, countPad, from, to);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    /** Planes of one run over threads: separable ranges with a row buffer each when {@code bufs} is set, else the general pool. */
    private static final class Split implements RunContext.RangeBody {
        private Node node;
        private MemorySegment x;
        private MemorySegment y;
        private MemorySegment bufs;

        void set(Node node, MemorySegment x, MemorySegment y, MemorySegment bufs) {
            this.node = node;
            this.x = x;
            this.y = y;
            this.bufs = bufs;
        }

        @Override
        public void run(int from, int to) {
            if (bufs == null) {
                node.general(x, y, from, to);
                return;
            }
            long bufBytes = node.rows.bufferBytes();
            int planes = node.planes, chunks = node.chunks;
            for (int k = from; k < to; k++) {
                node.rows.average(Vectors.F32, x, y, bufs, k * bufBytes, (int) ((long) planes * k / chunks),
                        (int) ((long) planes * (k + 1) / chunks));
            }
        }
    }
}
