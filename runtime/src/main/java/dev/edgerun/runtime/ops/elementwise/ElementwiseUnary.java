package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Unary;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The element-wise unary family: activations (Relu, LeakyRelu, Sigmoid, Tanh, Elu, Selu, Celu,
 * HardSigmoid, HardSwish, Softplus, Softsign, ThresholdedRelu, Gelu, Mish, Swish, Shrink), math
 * (Exp, Log, Sqrt, Erf, Neg, Abs, Reciprocal, Floor, Ceil, Round, Sign, trigonometric and
 * hyperbolic functions), IsNaN, IsInf, Not and BitwiseNot. Float32 runs the vector kernel
 * {@link F32Unary} where it has the operation; other types run {@link UnaryFn}'s reference.
 */
public final class ElementwiseUnary implements Operator {
    private static final int CHUNK = 1 << 30;
    private static final Map<String, UnaryFn> FUNCTIONS = new HashMap<>();

    static {
        for (UnaryFn f : UnaryFn.values()) FUNCTIONS.put(f.opType, f);
    }

    @Override
    public Kernel prepare(NodeContext ctx) {
        UnaryFn fn = FUNCTIONS.get(ctx.node().opType());
        if (fn == null) throw ctx.error("not an element-wise unary operator; expected one of " + FUNCTIONS.keySet());
        if (ctx.inputCount() != 1) throw ctx.error("expected 1 input, got " + ctx.inputCount());
        DType type = ctx.inputDType(0);
        Shape shape = ctx.inputShape(0);
        boolean ok = switch (fn.inputs) {
            case FLOAT -> Elements.isFloat(type);
            case NUMERIC -> Elements.isNumeric(type);
            case INTEGER -> Elements.isInteger(type);
            case BOOL -> type == DType.BOOL;
        };
        if (!ok) throw ctx.unsupported("input type " + type.onnxName());
        float[] pq = parameters(fn, ctx);
        F32UnaryOp vector = type != DType.FLOAT ? null
                : fn == UnaryFn.GELU && pq[0] == 1 ? F32UnaryOp.GELU_TANH : fn.vector;
        DType outType = fn.boolOutput() ? DType.BOOL : type;
        return new UnaryKernel(fn, type, outType, shape, vector, pq[0], pq[1], ctx.threads());
    }

    /** The attributes of the function as (p, q). */
    private static float[] parameters(UnaryFn fn, NodeContext ctx) {
        return switch (fn) {
            case LEAKY_RELU -> new float[] {ctx.attrFloat("alpha", 0.01f), 0};
            case ELU, CELU, THRESHOLDED_RELU, SWISH -> new float[] {ctx.attrFloat("alpha", 1f), 0};
            case SELU -> new float[] {ctx.attrFloat("alpha", 1.67326319217681884765625f),
                                      ctx.attrFloat("gamma", 1.05070102214813232421875f)};
            case HARD_SIGMOID -> new float[] {ctx.attrFloat("alpha", 0.2f), ctx.attrFloat("beta", 0.5f)};
            case SHRINK -> new float[] {ctx.attrFloat("lambd", 0.5f), ctx.attrFloat("bias", 0f)};
            case IS_INF -> new float[] {ctx.attrInt("detect_negative", 1), ctx.attrInt("detect_positive", 1)};
            case GELU -> {
                String approximate = ctx.attrString("approximate", "none");
                if (!approximate.equals("none") && !approximate.equals("tanh")) {
                    throw ctx.error("attribute approximate must be 'none' or 'tanh', got '" + approximate + "'");
                }
                yield new float[] {approximate.equals("tanh") ? 1 : 0, 0};
            }
            default -> new float[] {0, 0};
        };
    }

    private static final class UnaryKernel implements Kernel {
        // A split call's arguments, one object per calling thread (see Parallel).
        private static final ThreadLocal<Chunks> CHUNKS = ThreadLocal.withInitial(Chunks::new);

        private final UnaryFn fn;
        private final DType inType;
        private final DType outType;
        private final List<ValueType> outputTypes;
        private final F32UnaryOp vector;
        private final float p;
        private final float q;
        private final boolean inLong;
        private final boolean unsigned;
        private final int threads;

        UnaryKernel(UnaryFn fn, DType inType, DType outType, Shape shape, F32UnaryOp vector, float p, float q, int threads) {
            this.threads = threads;
            this.fn = fn;
            this.inType = inType;
            this.outType = outType;
            this.outputTypes = List.of(ValueType.tensor(outType, shape));
            this.vector = vector;
            this.p = p;
            this.q = q;
            this.inLong = !Elements.isFloat(inType) && fn.hasIntegerSemantics();
            this.unsigned = inType.isUnsigned();
        }

        @Override
        public List<ValueType> outputTypes() {
            return outputTypes;
        }

        /** One split call's arguments: chunks of {@code chunk} elements of {@code n}. */
        private static final class Chunks implements RunContext.RangeBody {
            UnaryKernel kernel;
            MemorySegment in;
            MemorySegment out;
            long chunk;
            long n;

            @Override
            public void run(int c0, int c1) {
                kernel.runVector(in, out, c0 * chunk, Math.min(n, c1 * chunk));
            }
        }

        private void runVector(MemorySegment in, MemorySegment out, long from, long to) {
            for (long start = from; start < to; start += CHUNK) {
                int n = (int) Math.min(CHUNK, to - start);
                if (Vectors.enabled()) F32Unary.apply(vector, p, q, Vectors.F32, in, start, out, start, n);
                else vector.reference(p, q, in, start, out, start, n);
            }
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment in = ctx.input(0).data();
            MemorySegment out = ctx.output(0).data();
            long n = ctx.output(0).elementCount();
            if (vector != null && threads > 1 && n >= ElementwiseBinary.PARALLEL_MIN_ELEMENTS) {
                // Chunks of whole 64-element blocks, so that the same elements take the scalar tail as with one thread.
                long chunk = ((n + 4L * threads - 1) / (4L * threads) + 63) & ~63L;
                int chunks = (int) ((n + chunk - 1) / chunk);
                Chunks body = CHUNKS.get();
                body.kernel = this;
                body.in = in;
                body.out = out;
                body.chunk = chunk;
                body.n = n;
                ctx.parallelFor(chunks, body);
            } else if (vector != null) {
                runVector(in, out, 0, n);
            } else if (inLong) {
                for (long i = 0; i < n; i++) {
                    Elements.writeLong(out, outType, i, UnaryFn.apply(fn, Elements.readLong(in, inType, i), unsigned));
                }
            } else {
                for (long i = 0; i < n; i++) {
                    Elements.writeDouble(out, outType, i, UnaryFn.apply(fn, Elements.readDouble(in, inType, i), p, q));
                }
            }
        }
    }
}
