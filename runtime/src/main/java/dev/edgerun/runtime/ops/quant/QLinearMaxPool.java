package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.Q8MaxPool;
import dev.edgerun.runtime.kernels.Q8Quantize;
import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.nn.Spatial;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Engine-internal {@code QLinearMaxPool} (domain {@link #DOMAIN}), what the QDQ fusion makes of
 * {@code QuantizeLinear(MaxPool(DequantizeLinear(x)))}: inputs X (int8/uint8, N x C x H x W),
 * X_scale, X_zero_point, Y_scale, Y_zero_point (constants, one element each; Y's type is
 * Y_zero_point's); MaxPool's kernel_shape (2), strides, pads or auto_pad and dilations (resolved by
 * {@link Spatial}), no ceil mode, no Indices. Dequantizing with a positive scale keeps the order, so the max is taken
 * on the bytes ({@link Q8MaxPool}) and then dequantized and quantized as the two nodes would
 * ({@link Q8Quantize#remap}), a step skipped when it maps every value to itself (equal scales and
 * zero points): the same bytes as the three nodes.
 */
public final class QLinearMaxPool implements Operator {
    /** The domain of the engine's own fused operators. */
    public static final String DOMAIN = "dev.edgerun";
    /** Input elements below which the planes are not split over threads. */
    private static final long PARALLEL_MIN = 1 << 16;

    @Override
    public Kernel prepare(NodeContext ctx) {
        ZeroPoints.requireByteType(ctx, 0, "X");
        Shape x = ctx.inputShape(0);
        if (x.rank() != 4) throw ctx.unsupported("QLinearMaxPool of a rank " + x.rank() + " input " + x + " (needs N x C x H x W)");
        float sx = constantScale(ctx, 1, "X_scale"), sy = constantScale(ctx, 3, "Y_scale");
        if (!(sx > 0) || Float.isInfinite(sx)) throw ctx.error("X_scale must be positive and finite, got " + sx);
        int zx = constantZero(ctx, 2, ctx.inputDType(0));
        if (!ctx.hasInput(4)) throw ctx.error("Y_zero_point is required (it gives Y's type)");
        DType yType = ctx.inputDType(4);
        if (yType != DType.INT8 && yType != DType.UINT8) throw ctx.error("Y_zero_point must be int8 or uint8, got " + yType.onnxName());
        int zy = constantZero(ctx, 4, yType);
        long[] kernelShape = ctx.attrInts("kernel_shape", null);
        if (kernelShape == null || kernelShape.length != 2) {
            throw ctx.error("kernel_shape needs 2 entries, got " + java.util.Arrays.toString(kernelShape));
        }
        Spatial sp = Spatial.resolve(ctx, Spatial.spatialDims(x.dims()),
                new int[] {Math.toIntExact(kernelShape[0]), Math.toIntExact(kernelShape[1])}, false);
        int h = sp.in()[0], w = sp.in()[1], oh = sp.out()[0], ow = sp.out()[1];
        if (oh < 1 || ow < 1) throw ctx.error("pooling " + x + " with kernel " + sp.kernel()[0] + "x" + sp.kernel()[1] + " leaves no output");
        boolean xSigned = ctx.inputDType(0) == DType.INT8;
        Q8MaxPool pool;
        try {
            pool = new Q8MaxPool(xSigned, h, w, sp.kernel()[0], sp.kernel()[1], sp.strides()[0], sp.strides()[1],
                    sp.padsBegin()[0], sp.padsBegin()[1], sp.dilations()[0], sp.dilations()[1], oh, ow);
        } catch (IllegalArgumentException e) {
            throw ctx.error(e.getMessage());
        }
        int lo = (int) QuantElements.min(yType), hi = (int) QuantElements.max(yType);
        Remap remap = new Remap(xSigned, zx, sx, sy, zy, lo, hi);
        int planes = (int) (x.dim(0) * x.dim(1));
        int chunks = x.elementCount() < PARALLEL_MIN ? 1 : Math.min(ctx.threads(), planes);
        Shape y = Shape.of(x.dim(0), x.dim(1), oh, ow);
        return new Pooling(List.of(ValueType.tensor(yType, y)), pool, remap.identity(yType) ? null : remap, planes, chunks,
                (long) oh * ow);
    }

    static float constantScale(NodeContext ctx, int i, String name) {
        Tensor t = ctx.constantInput(i);
        if (t == null || t.dtype() != DType.FLOAT || t.elementCount() != 1) {
            throw ctx.unsupported(name + " other than a float32 constant with one element: " + ctx.inputType(i));
        }
        return t.getFloat(0);
    }

    static int constantZero(NodeContext ctx, int i, DType type) {
        if (!ctx.hasInput(i)) return 0;
        Tensor t = ctx.constantInput(i);
        if (t == null || t.dtype() != type || t.elementCount() != 1) {
            throw ctx.unsupported("zero point (input " + i + ") other than a " + type.onnxName() + " constant with one element: "
                    + ctx.inputType(i));
        }
        return QuantElements.getInt(t.data(), type, 0);
    }

    /** Dequantize then quantize (LeakyRelu with alpha 1 is the identity). */
    private record Remap(boolean xSigned, int zx, float sx, float sy, int zy, int lo, int hi) {
        boolean identity(DType yType) {
            if (xSigned != (yType == DType.INT8)) return false;
            for (int v = xSigned ? -128 : 0; v <= (xSigned ? 127 : 255); v++) {
                if (Q8Quantize.remap(v, zx, sx, 1f, sy, zy, lo, hi) != v) return false;
            }
            return true;
        }

        void run(MemorySegment y, long at, long count) {
            Q8Quantize.remap(Vectors.F32, y, at, xSigned, zx, sx, 1f, y, at, count, sy, zy, lo, hi);
        }
    }

    /** {@code remap} null: the pooled bytes are the output. */
    private static final class Pooling implements Kernel {
        private final List<ValueType> outputTypes;
        private final Q8MaxPool pool;
        private final Remap remap;
        private final int planes, chunks;
        private final long outPlane;
        private final Q8Reusable<Chunks> bodies = new Q8Reusable<>(() -> new Chunks(this));

        Pooling(List<ValueType> outputTypes, Q8MaxPool pool, Remap remap, int planes, int chunks, long outPlane) {
            this.outputTypes = outputTypes;
            this.pool = pool;
            this.remap = remap;
            this.planes = planes;
            this.chunks = chunks;
            this.outPlane = outPlane;
        }

        @Override
        public List<ValueType> outputTypes() {
            return outputTypes;
        }

        @Override
        public long scratchBytes() {
            return chunks * pool.bufferBytes();
        }

        @Override
        public void run(RunContext rc) {
            MemorySegment x = rc.input(0).data(), y = rc.output(0).data(), scratch = rc.scratch();
            if (chunks == 1) {
                planes(x, y, scratch, 0, 0, planes);
                return;
            }
            Chunks body = bodies.claim();
            body.set(x, y, scratch);
            try {
                rc.parallelFor(chunks, body);
            } finally {
                body.set(null, null, null);
                bodies.release(body);
            }
        }

        /** Planes {@code [from, to)} with the pooling buffer at {@code bufAt} of {@code scratch}. */
        private void planes(MemorySegment x, MemorySegment y, MemorySegment scratch, long bufAt, int from, int to) {
            pool.max(x, 0, y, 0, scratch, bufAt, from, to);
            if (remap != null) remap.run(y, from * outPlane, (to - from) * outPlane);
        }
    }

    /** Chunks {@code [from, to)} of the planes, each with its own pooling buffer; reused across runs. */
    private static final class Chunks implements RunContext.RangeBody {
        private final Pooling p;
        private MemorySegment x, y, scratch;

        Chunks(Pooling p) {
            this.p = p;
        }

        void set(MemorySegment x, MemorySegment y, MemorySegment scratch) {
            this.x = x;
            this.y = y;
            this.scratch = scratch;
        }

        @Override
        public void run(int from, int to) {
            long bytes = p.pool.bufferBytes();
            for (int c = from; c < to; c++) {
                p.planes(x, y, scratch, c * bytes, (int) ((long) p.planes * c / p.chunks),
                        (int) ((long) p.planes * (c + 1) / p.chunks));
            }
        }
    }
}
