package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.BroadcastPlan;
import dev.edgerun.runtime.kernels.F32Binary;
import dev.edgerun.runtime.kernels.F32BinaryOp;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.Vectors;
import dev.edgerun.runtime.kernels.nativelib.DnnlBinaryKernel;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.nn.FusedActivation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * The element-wise binary family with multidirectional broadcasting: Add, Sub, Mul, Div, Mod, Pow,
 * PRelu, the comparisons, And/Or/Xor, the Bitwise operators and BitShift, and the variadic Sum,
 * Mean, Min and Max (folded pairwise into the output). Float32 arithmetic runs the vector kernel
 * {@link F32Binary} row by row over a {@link BroadcastPlan}; other types run the scalar reference of
 * {@link BinaryFn} in double (float types) or long (integer and bool types).
 *
 * <p>A float32 node may carry an activation the graph optimizer fused into it ({@link FusedActivation}:
 * Add then Relu), applied to each output row while it is in cache. Float32 Add, Sub, Mul and Div of
 * two inputs run through oneDNN's binary primitive ({@link DnnlBinaryKernel}, the activation as its
 * post-op) where it takes them: native from the first run, where the Java kernels run interpreted
 * until compiled.
 */
public final class ElementwiseBinary implements Operator {
    /**
     * Float32 outputs at least this large are split over the session's threads; smaller ones run
     * on the calling thread, where handing over a range would cost more than it saves.
     */
    static final long PARALLEL_MIN_ELEMENTS = 1 << 16;

    /** ONNX op type to its function; Sum, Min, Max and Mean are variadic. */
    private static final Map<String, BinaryFn> FUNCTIONS = Map.ofEntries(
            Map.entry("Add", BinaryFn.ADD), Map.entry("Sub", BinaryFn.SUB), Map.entry("Mul", BinaryFn.MUL),
            Map.entry("Div", BinaryFn.DIV), Map.entry("Mod", BinaryFn.MOD), Map.entry("Pow", BinaryFn.POW),
            Map.entry("PRelu", BinaryFn.PRELU), Map.entry("Sum", BinaryFn.ADD), Map.entry("Mean", BinaryFn.ADD),
            Map.entry("Min", BinaryFn.MIN), Map.entry("Max", BinaryFn.MAX),
            Map.entry("Equal", BinaryFn.EQUAL), Map.entry("Less", BinaryFn.LESS),
            Map.entry("LessOrEqual", BinaryFn.LESS_OR_EQUAL), Map.entry("Greater", BinaryFn.GREATER),
            Map.entry("GreaterOrEqual", BinaryFn.GREATER_OR_EQUAL),
            Map.entry("And", BinaryFn.AND), Map.entry("Or", BinaryFn.OR), Map.entry("Xor", BinaryFn.XOR),
            Map.entry("BitwiseAnd", BinaryFn.BITWISE_AND), Map.entry("BitwiseOr", BinaryFn.BITWISE_OR),
            Map.entry("BitwiseXor", BinaryFn.BITWISE_XOR), Map.entry("BitShift", BinaryFn.SHIFT_LEFT));

    @Override
    public Kernel prepare(NodeContext ctx) {
        String opType = ctx.node().opType();
        BinaryFn fn = resolve(ctx, opType);
        boolean variadic = opType.equals("Sum") || opType.equals("Mean") || opType.equals("Min") || opType.equals("Max");
        boolean mean = opType.equals("Mean");
        int n = ctx.inputCount();
        if (variadic ? n < 1 : n != 2) {
            throw ctx.error("expected " + (variadic ? "at least 1 input" : "2 inputs") + ", got " + n);
        }
        DType first = ctx.inputDType(0);
        Shape[] shapes = new Shape[n];
        for (int i = 0; i < n; i++) {
            shapes[i] = ctx.inputShape(i);
            if (fn.kind != BinaryFn.Kind.POWER && ctx.inputDType(i) != first) {
                throw ctx.error("input " + i + " is " + ctx.inputDType(i).onnxName() + " but input 0 is "
                        + first.onnxName() + "; both must have the same type");
            }
        }
        checkTypes(ctx, fn, first, n > 1 ? ctx.inputDType(1) : first);
        if (n == 2 && ctx.opset() < 7 && ctx.attrInt("broadcast", 0) != 0) {
            shapes[1] = legacyBroadcast(ctx, shapes[0], shapes[1]);
        }
        Shape out = BroadcastPlan.broadcastShape(shapes);
        if (out == null) throw ctx.error("input shapes " + List.of(shapes) + " do not broadcast");
        if (fn == BinaryFn.PRELU && !out.sameDims(shapes[0])) {
            throw ctx.error("slope " + shapes[1] + " does not broadcast to X " + shapes[0]);
        }
        DType outType = switch (fn.kind) {
            case COMPARISON, LOGICAL -> DType.BOOL;
            default -> first;
        };
        BroadcastPlan[] steps = new BroadcastPlan[Math.max(n - 1, 0)];
        for (int k = 1; k < n; k++) steps[k - 1] = BroadcastPlan.of(out, k == 1 ? shapes[0] : out, shapes[k]);
        BroadcastPlan copy = n == 1 ? BroadcastPlan.of(out, shapes[0]) : null;
        ActivationEpilogue activation = fusedActivation(ctx, outType, n == 2 && !mean);
        BinaryKernel java = new BinaryKernel(fn, first, n > 1 ? ctx.inputDType(1) : first, outType, out, steps, copy,
                mean ? n : 0, activation, ctx.threads());
        if (n != 2 || mean || java.vector == null || !out.isConcrete()) return java;
        return oneDnn(fn.vector, shapes[0], shapes[1], out, activation, java);
    }

    /**
     * {@code java}, run by oneDNN's binary primitive when it takes the node: operand 1 must
     * broadcast to operand 0, which has the output's shape; a commutative operation whose operand
     * 0 broadcasts runs with its operands swapped.
     */
    private static Kernel oneDnn(F32BinaryOp op, Shape a, Shape b, Shape out, ActivationEpilogue activation,
                                 BinaryKernel java) {
        boolean swap = !a.sameDims(out) && b.sameDims(out) && commutative(op);
        Shape first = swap ? b : a, second = swap ? a : b;
        return DnnlBinaryKernel.create(op, first.dims(), second.dims(), out.dims(), activation)
                .<Kernel>map(k -> new OneDnnBinaryKernel(k, swap, java))
                .orElse(java);
    }

    private static boolean commutative(F32BinaryOp op) {
        return op == F32BinaryOp.ADD || op == F32BinaryOp.MUL || op == F32BinaryOp.MAX || op == F32BinaryOp.MIN;
    }

    /**
     * The activation fused into this node ({@link FusedActivation}), or null; only float32 outputs
     * of one pairwise step ({@code pairwise}: two inputs, no Mean) take one.
     */
    private static ActivationEpilogue fusedActivation(NodeContext ctx, DType outType, boolean pairwise) {
        String name = ctx.attrString(FusedActivation.ATTR, null);
        if (name == null) return null;
        F32UnaryOp op = FusedActivation.operation(name);
        if (op == null) throw ctx.error("unknown fused activation '" + name + "'");
        if (outType != DType.FLOAT || !pairwise) {
            throw ctx.error("fused activation " + name + " needs two float32 inputs, got " + ctx.inputCount()
                    + " giving " + outType.onnxName());
        }
        float[] params = ctx.attrFloats(FusedActivation.PARAMS_ATTR, new float[0]);
        return new ActivationEpilogue(op, params.length > 0 ? params[0] : 0f, params.length > 1 ? params[1] : 0f);
    }

    /** A two-input float32 node run by oneDNN, or by {@code java} when a tensor lies on the Java heap. */
    private record OneDnnBinaryKernel(DnnlBinaryKernel binary, boolean swap, BinaryKernel java) implements Kernel {
        @Override
        public List<ValueType> outputTypes() {
            return java.outputTypes();
        }

        @Override
        public long scratchBytes() {
            return binary.scratchBytes();
        }

        @Override
        public void run(RunContext ctx) {
            MemorySegment a = ctx.input(swap ? 1 : 0).data(), b = ctx.input(swap ? 0 : 1).data(), o = ctx.output(0).data();
            if (DnnlBinaryKernel.accepts(a, b, o)) binary.run(a, b, o, ctx.scratch(), java.threads);
            else java.run(ctx);
        }
    }

    private static BinaryFn resolve(NodeContext ctx, String opType) {
        BinaryFn fixedFn = FUNCTIONS.get(opType);
        if (fixedFn == null) throw ctx.error("not an element-wise binary operator; expected one of " + FUNCTIONS.keySet());
        if (fixedFn == BinaryFn.MOD) return ctx.attrInt("fmod", 0) != 0 ? BinaryFn.FMOD : BinaryFn.MOD;
        if (fixedFn == BinaryFn.SHIFT_LEFT) {
            String direction = ctx.attrString("direction", "");
            return switch (direction) {
                case "LEFT" -> BinaryFn.SHIFT_LEFT;
                case "RIGHT" -> BinaryFn.SHIFT_RIGHT;
                default -> throw ctx.error("attribute direction must be LEFT or RIGHT, got '" + direction + "'");
            };
        }
        return fixedFn;
    }

    private static void checkTypes(NodeContext ctx, BinaryFn fn, DType a, DType b) {
        boolean ok = switch (fn.kind) {
            case ARITHMETIC -> Elements.isNumeric(a);
            case POWER -> Elements.isNumeric(a) && Elements.isNumeric(b);
            case COMPARISON -> Elements.isNumeric(a) || (fn == BinaryFn.EQUAL && (a == DType.BOOL || a == DType.STRING));
            case LOGICAL -> a == DType.BOOL;
            case BITWISE -> Elements.isInteger(a);
        };
        if (!ok) throw ctx.unsupported("input type " + a.onnxName() + (fn.kind == BinaryFn.Kind.POWER ? "/" + b.onnxName() : ""));
        if (fn == BinaryFn.MOD && Elements.isFloat(a)) throw ctx.error("Mod of " + a.onnxName() + " requires fmod=1");
    }

    /** Before opset 7, broadcast=1 aligned B's dimensions with A's starting at 'axis'. */
    private static Shape legacyBroadcast(NodeContext ctx, Shape a, Shape b) {
        if (!ctx.hasAttr("axis")) return b;
        int axis = (int) ctx.attrInt("axis", 0);
        if (axis < 0) axis += a.rank();
        if (axis < 0 || axis + b.rank() > a.rank()) throw ctx.error("axis " + axis + " does not place " + b + " inside " + a);
        long[] dims = new long[a.rank() - axis];
        java.util.Arrays.fill(dims, 1);
        for (int i = 0; i < b.rank(); i++) dims[i] = b.dim(i);
        return Shape.of(dims);
    }

    /** The planned node: one broadcast plan per pairwise step. */
    private static final class BinaryKernel implements Kernel {
        // A split call's arguments, one object per calling thread (see Parallel).
        private static final ThreadLocal<Chunks> CHUNKS = ThreadLocal.withInitial(Chunks::new);

        private final BinaryFn fn;
        private final DType aType;
        private final DType bType;
        private final DType outType;
        private final List<ValueType> outputTypes;
        private final BroadcastPlan[] steps;
        private final BroadcastPlan copy;
        private final int meanOf;
        private final ActivationEpilogue activation; // nullable; float32 only
        private final F32BinaryOp vector;
        private final boolean inDouble;
        private final boolean u64;
        private final int threads;

        BinaryKernel(BinaryFn fn, DType aType, DType bType, DType outType, Shape out, BroadcastPlan[] steps,
                     BroadcastPlan copy, int meanOf, ActivationEpilogue activation, int threads) {
            this.threads = threads;
            this.fn = fn;
            this.aType = aType;
            this.bType = bType;
            this.outType = outType;
            this.outputTypes = List.of(ValueType.tensor(outType, out));
            this.steps = steps;
            this.copy = copy;
            this.meanOf = meanOf;
            this.activation = activation;
            this.vector = aType == DType.FLOAT && bType == DType.FLOAT ? fn.vector : null;
            this.inDouble = Elements.isFloat(aType) || Elements.isFloat(bType);
            this.u64 = aType == DType.UINT64;
        }

        @Override
        public List<ValueType> outputTypes() {
            return outputTypes;
        }

        @Override
        public void run(RunContext ctx) {
            Tensor out = ctx.output(0);
            MemorySegment o = out.data();
            if (aType == DType.STRING) {
                runStrings(ctx.input(0), ctx.input(1), o);
                return;
            }
            if (copy != null) {
                copyBroadcast(ctx.input(0).data(), o);
            }
            for (int k = 0; k < steps.length; k++) {
                MemorySegment a = k == 0 ? ctx.input(0).data() : o;
                DType at = k == 0 ? aType : outType;
                runStep(steps[k], a, at, ctx.input(k + 1).data(), bType, o, ctx);
            }
            if (meanOf > 1) divide(o, meanOf);
        }

        private void runStep(BroadcastPlan plan, MemorySegment a, DType at, MemorySegment b, DType bt, MemorySegment o,
                             RunContext ctx) {
            long total = (long) plan.rows() * plan.inner();
            if (threads > 1 && vector != null && total >= PARALLEL_MIN_ELEMENTS) {
                long chunk = (total + 4L * threads - 1) / (4L * threads);
                int chunks = (int) ((total + chunk - 1) / chunk);
                Chunks body = CHUNKS.get();
                body.kernel = this;
                body.plan = plan;
                body.a = a;
                body.at = at;
                body.b = b;
                body.bt = bt;
                body.o = o;
                body.chunk = chunk;
                body.total = total;
                ctx.parallelFor(chunks, body);
            } else {
                runRange(plan, a, at, b, bt, o, 0, total);
            }
        }

        /** One split call's arguments: chunks of {@code chunk} output elements of {@code total}. */
        private static final class Chunks implements RunContext.RangeBody {
            BinaryKernel kernel;
            BroadcastPlan plan;
            MemorySegment a;
            DType at;
            MemorySegment b;
            DType bt;
            MemorySegment o;
            long chunk;
            long total;

            @Override
            public void run(int c0, int c1) {
                kernel.runRange(plan, a, at, b, bt, o, c0 * chunk, Math.min(total, c1 * chunk));
            }
        }

        /** Output elements [from, to): the rows they cross, each row part in one call. */
        private void runRange(BroadcastPlan plan, MemorySegment a, DType at, MemorySegment b, DType bt, MemorySegment o,
                              long from, long to) {
            if (from >= to) return;
            int inner = plan.inner();
            int as = plan.innerStride(0);
            int bs = plan.innerStride(1);
            int r = (int) (from / inner);
            int start = (int) (from % inner);
            for (long pos = from; pos < to; r++, start = 0) {
                int n = (int) Math.min(inner - start, to - pos);
                long ai = plan.rowStart(0, r) + (long) start * as;
                long bi = plan.rowStart(1, r) + (long) start * bs;
                if (vector != null && Vectors.enabled()) {
                    F32Binary.apply(vector, Vectors.F32, a, ai, as, b, bi, bs, o, pos, n);
                } else if (vector != null) {
                    vector.reference(a, ai, as, b, bi, bs, o, pos, n);
                } else if (inDouble) {
                    for (int i = 0; i < n; i++) {
                        double x = Elements.readDouble(a, at, ai + (long) i * as);
                        double y = Elements.readDouble(b, bt, bi + (long) i * bs);
                        Elements.writeDouble(o, outType, pos + i, BinaryFn.apply(fn, x, y));
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        long x = Elements.readLong(a, at, ai + (long) i * as);
                        long y = Elements.readLong(b, bt, bi + (long) i * bs);
                        Elements.writeLong(o, outType, pos + i, BinaryFn.apply(fn, x, y, u64));
                    }
                }
                if (activation != null) activation.apply(o, pos * Float.BYTES, n);
                pos += n;
            }
        }

        private void copyBroadcast(MemorySegment a, MemorySegment o) {
            long width = outType.byteSize();
            for (int r = 0; r < copy.rows(); r++) {
                for (int i = 0; i < copy.inner(); i++) {
                    long src = copy.rowStart(0, r) + (long) i * copy.innerStride(0);
                    MemorySegment.copy(a, src * width, o, ((long) r * copy.inner() + i) * width, width);
                }
            }
        }

        private void divide(MemorySegment o, int count) {
            long n = o.byteSize() / outType.byteSize();
            if (outType == DType.FLOAT) {
                for (long i = 0; i < n; i++) {
                    o.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, o.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i) / count);
                }
            } else if (Elements.isFloat(outType)) {
                for (long i = 0; i < n; i++) Elements.writeDouble(o, outType, i, Elements.readDouble(o, outType, i) / count);
            } else {
                for (long i = 0; i < n; i++) Elements.writeLong(o, outType, i, Elements.readLong(o, outType, i) / count);
            }
        }

        /** Equal on strings (allocates: string tensors live on the heap anyway). */
        private void runStrings(Tensor a, Tensor b, MemorySegment o) {
            String[] x = a.toStringArray();
            String[] y = b.toStringArray();
            BroadcastPlan plan = steps[0];
            for (long i = 0; i < (long) plan.rows() * plan.inner(); i++) {
                boolean eq = x[(int) plan.inputIndex(0, i)].equals(y[(int) plan.inputIndex(1, i)]);
                o.set(ValueLayout.JAVA_BYTE, i, (byte) (eq ? 1 : 0));
            }
        }
    }
}
