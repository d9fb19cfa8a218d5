package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Unary;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Clip: {@code min(max(x, lo), hi)}. Before opset 11 the bounds are the attributes min and max;
 * from 11 they are the optional scalar inputs 1 and 2 (read at run time unless constant). A
 * missing bound does not clip; lo &gt; hi gives hi everywhere, as numpy's clip.
 */
public final class Clip implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType type = ctx.inputDType(0);
        if (!Elements.isNumeric(type)) throw ctx.unsupported("input type " + type.onnxName());
        if (ctx.opset() < 11) {
            float lo = ctx.attrFloat("min", Float.NEGATIVE_INFINITY);
            float hi = ctx.attrFloat("max", Float.POSITIVE_INFINITY);
            return new ClipKernel(type, ctx.inputShape(0), false, false, lo, hi, ctx.threads());
        }
        for (int i = 1; i <= 2; i++) {
            if (ctx.hasInput(i)) {
                if (ctx.inputDType(i) != type) {
                    throw ctx.error("bound input " + i + " is " + ctx.inputDType(i).onnxName() + ", expected " + type.onnxName());
                }
                if (ctx.inputShape(i).elementCount() != 1) {
                    throw ctx.error("bound input " + i + " must be a scalar, got shape " + ctx.inputShape(i));
                }
            }
        }
        return new ClipKernel(type, ctx.inputShape(0), ctx.hasInput(1), ctx.hasInput(2),
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, ctx.threads());
    }

    private static final class ClipKernel implements Kernel {
        // A split call's arguments, one object per calling thread (see Parallel).
        private static final ThreadLocal<Chunks> CHUNKS = ThreadLocal.withInitial(Chunks::new);

        private final DType type;
        private final List<ValueType> outputTypes;
        private final boolean minInput;
        private final boolean maxInput;
        private final float attrMin;
        private final float attrMax;
        private final int threads;

        ClipKernel(DType type, Shape shape, boolean minInput, boolean maxInput, float attrMin, float attrMax, int threads) {
            this.threads = threads;
            this.type = type;
            this.outputTypes = List.of(ValueType.tensor(type, shape));
            this.minInput = minInput;
            this.maxInput = maxInput;
            this.attrMin = attrMin;
            this.attrMax = attrMax;
        }

        @Override
        public List<ValueType> outputTypes() {
            return outputTypes;
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment in = ctx.input(0).data();
            MemorySegment out = ctx.output(0).data();
            long n = ctx.output(0).elementCount();
            Tensor minT = minInput ? ctx.input(1) : null;
            Tensor maxT = maxInput ? ctx.input(2) : null;
            if (Elements.isFloat(type)) {
                double lo = minT != null ? Elements.readDouble(minT.data(), type, 0) : attrMin;
                double hi = maxT != null ? Elements.readDouble(maxT.data(), type, 0) : attrMax;
                if (type == DType.FLOAT && n <= Integer.MAX_VALUE) {
                    clipFloats(ctx, in, out, (int) n, (float) lo, (float) hi);
                    return;
                }
                for (long i = 0; i < n; i++) {
                    Elements.writeDouble(out, type, i, Math.min(Math.max(Elements.readDouble(in, type, i), lo), hi));
                }
            } else {
                boolean u64 = type == DType.UINT64;
                long lo = minT != null ? Elements.readLong(minT.data(), type, 0) : u64 ? 0 : Long.MIN_VALUE;
                long hi = maxT != null ? Elements.readLong(maxT.data(), type, 0) : u64 ? -1L : Long.MAX_VALUE;
                for (long i = 0; i < n; i++) {
                    long v = Elements.readLong(in, type, i);
                    if (compare(v, lo, u64) < 0) v = lo;
                    if (compare(v, hi, u64) > 0) v = hi;
                    Elements.writeLong(out, type, i, v);
                }
            }
        }

        private void clipFloats(RunContext ctx, MemorySegment in, MemorySegment out, int n, float lo, float hi) {
            if (threads > 1 && n >= ElementwiseBinary.PARALLEL_MIN_ELEMENTS) {
                int chunk = ((n + 4 * threads - 1) / (4 * threads) + 63) & ~63;
                int chunks = (n + chunk - 1) / chunk;
                Chunks body = CHUNKS.get();
                body.in = in;
                body.out = out;
                body.n = n;
                body.chunk = chunk;
                body.lo = lo;
                body.hi = hi;
                ctx.parallelFor(chunks, body);
            } else {
                clipRange(in, out, 0, n, lo, hi);
            }
        }

        /** One split call's arguments: chunks of {@code chunk} elements of {@code n}. */
        private static final class Chunks implements RunContext.RangeBody {
            MemorySegment in;
            MemorySegment out;
            int n;
            int chunk;
            float lo;
            float hi;

            @Override
            public void run(int c0, int c1) {
                int from = c0 * chunk;
                clipRange(in, out, from, Math.min(n, c1 * chunk) - from, lo, hi);
            }
        }

        private static void clipRange(MemorySegment in, MemorySegment out, int from, int n, float lo, float hi) {
            if (Vectors.enabled()) F32Unary.apply(F32UnaryOp.CLIP, lo, hi, Vectors.F32, in, from, out, from, n);
            else F32UnaryOp.CLIP.reference(lo, hi, in, from, out, from, n);
        }

        private static int compare(long a, long b, boolean u64) {
            return u64 ? Long.compareUnsigned(a, b) : Long.compare(a, b);
        }
    }
}
