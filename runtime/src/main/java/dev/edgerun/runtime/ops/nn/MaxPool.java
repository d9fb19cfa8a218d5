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
import java.util.ArrayList;
import java.util.List;

/**
 * MaxPool (1-3 spatial axes; ceil_mode, dilations, pads, auto_pad, storage_order and the optional
 * int64 Indices output). Float32 runs directly; double, float16, int8 and uint8 go through float32
 * scratch (exact for the 8-bit types). Float32 without Indices runs on oneDNN where it is in use
 * ({@link OneDnnPooling}).
 */
public final class MaxPool implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType t = ctx.inputDType(0);
        if (!Floats.convertible(t)) throw ctx.unsupported("dtype " + t.onnxName());
        long[] x = ctx.inputShape(0).dims();
        if (x.length < 3 || x.length > 5) throw ctx.unsupported("MaxPool on " + (x.length - 2) + " spatial axes, input " + ctx.inputShape(0));
        long[] ks = ctx.attrInts("kernel_shape", null);
        if (ks == null || ks.length != x.length - 2) throw ctx.error("kernel_shape must list " + (x.length - 2) + " sizes");
        Spatial sp = Spatial.resolve(ctx, Spatial.spatialDims(x), Col2Im.toInts(ks), ctx.attrInt("ceil_mode", 0) != 0);
        long[] y = sp.outputDims(x[0], x[1]);
        boolean columnMajor = ctx.attrInt("storage_order", 0) != 0;
        boolean withIndices = ctx.hasOutput(1);
        List<ValueType> types = new ArrayList<>(List.of(Nn.tensor(t, y)));
        if (ctx.outputCount() > 1) types.add(Nn.tensor(DType.INT64, y));
        F32Pool pool = new F32Pool(sp.in(), sp.kernel(), sp.strides(), sp.padsBegin(), sp.padsEnd(), sp.dilations(), sp.out());
        int planes = Nn.toInt(ctx, x[0] * x[1], "planes");
        long inCount = Nn.product(x, 0, x.length), outCount = Nn.product(y, 0, y.length);
        F32PoolRows rows = withIndices ? null : pool.separable(false);
        int chunks = F32PoolRows.ranges(ctx.threads(), planes, inCount);
        Kernel java = new Node(List.copyOf(types), t, pool, rows, planes, chunks, inCount, outCount, withIndices, columnMajor,
                ctx.threads());
        if (withIndices || t != DType.FLOAT) return java;
        return OneDnnPooling.windowed(java, DnnlPoolKernel.Algorithm.MAX, sp, x, y, ctx.threads());
    }

    /** {@code rows} (null where it does not apply) runs the planes in {@code chunks} ranges, each with its own row buffer. */
    private record Node(List<ValueType> outputTypes, DType dtype, F32Pool pool, F32PoolRows rows, int planes, int chunks,
                        long inCount, long outCount, boolean withIndices, boolean columnMajor, int threads) implements Kernel {
        @Override
        public long scratchBytes() {
            return conversionBytes() + (rows == null ? 0 : chunks * rows.bufferBytes());
        }

        private long conversionBytes() {
            return dtype == DType.FLOAT ? 0 : 4 * (inCount + outCount);
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), y = ctx.output(0).data();
            MemorySegment idx = withIndices ? ctx.output(1).data() : null;
            MemorySegment xf = x, yf = y;
            if (dtype != DType.FLOAT) {
                MemorySegment s = ctx.scratch();
                Floats.toFloat(dtype, x, s, 0, inCount);
                xf = s.asSlice(0, 4 * inCount);
                yf = s.asSlice(4 * inCount, 4 * outCount);
            }
            if (rows != null) {
                separable(ctx, xf, yf);
            } else if (threads <= 1) {
                pool.max(xf, yf, idx, columnMajor, 0, planes);
            } else {
                Split body = SPLIT.get();
                body.set(this, xf, yf, idx, null);
                ctx.parallelFor(planes, body);
            }
            if (dtype != DType.FLOAT) Floats.fromFloat(yf, 0, dtype, y, outCount);
        }

        private void separable(RunContext ctx, MemorySegment x, MemorySegment y) {
            MemorySegment bufs = dtype == DType.FLOAT ? ctx.scratch() : ctx.scratch().asSlice(conversionBytes()); // no slice object when it can be avoided
            if (chunks == 1) {
                rows.max(Vectors.F32, x, y, bufs, 0, planes);
                return;
            }
            Split body = SPLIT.get();
            body.set(this, x, y, null, bufs);
            ctx.parallelFor(chunks, body);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Split> SPLIT = ThreadLocal.withInitial(Split::new);

    /** Planes of one run over threads: separable ranges with a row buffer each when {@code bufs} is set, else the general pool. */
    private static final class Split implements RunContext.RangeBody {
        private Node node;
        private MemorySegment x;
        private MemorySegment y;
        private MemorySegment idx;
        private MemorySegment bufs;

        void set(Node node, MemorySegment x, MemorySegment y, MemorySegment idx, MemorySegment bufs) {
            this.node = node;
            this.x = x;
            this.y = y;
            this.idx = idx;
            this.bufs = bufs;
        }

        @Override
        public void run(int from, int to) {
            if (bufs == null) {
                node.pool.max(x, y, idx, node.columnMajor, from, to);
                return;
            }
            long bufBytes = node.rows.bufferBytes();
            int planes = node.planes, chunks = node.chunks;
            for (int c = from; c < to; c++) {
                node.rows.max(Vectors.F32, x, y, bufs, c * bufBytes, (int) ((long) planes * c / chunks),
                        (int) ((long) planes * (c + 1) / chunks));
            }
        }
    }
}
