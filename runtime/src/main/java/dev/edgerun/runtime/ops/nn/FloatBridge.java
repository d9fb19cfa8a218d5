package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.F32Gemm;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a float32 operator on double, float16 and bfloat16 tensors through float32: the wrapped
 * operator is planned as if those inputs were float32 (constant inputs are converted once, here),
 * and on each run the other inputs are converted into scratch, the float32 kernel runs, and its
 * float32 outputs are converted to the node's type. Float32 nodes go straight to the operator.
 * Precision is float32's, which the ONNX tests of these operators allow. A bridged run allocates
 * a few small objects (tensor views, a run-context view); the float32 path allocates nothing.
 */
final class FloatBridge {
    private FloatBridge() {}

    private static boolean bridged(DType t) {
        return t == DType.DOUBLE || t == DType.FLOAT16 || t == DType.BFLOAT16;
    }

    /** Whether some input is double, float16 or bfloat16, so that {@link #prepare} must be used. */
    static boolean applies(NodeContext ctx) {
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (ctx.hasInput(i) && ctx.inputType(i) instanceof ValueType.TensorType t && bridged(t.dtype())) return true;
        }
        return false;
    }

    /**
     * Plans {@code op} (a float32 operator; its {@code prepare} starts with
     * {@code if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);}) for a node with
     * double, float16 or bfloat16 inputs.
     */
    static Kernel prepare(NodeContext ctx, Operator op) {
        DType wide = null;
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (ctx.hasInput(i) && ctx.inputType(i) instanceof ValueType.TensorType t && bridged(t.dtype())) {
                if (wide != null && wide != t.dtype()) throw ctx.unsupported("inputs of mixed types " + wide.onnxName() + " and " + t.dtype().onnxName());
                wide = t.dtype();
            }
        }
        if (wide == null) return op.prepare(ctx);
        Tensor[] constants = new Tensor[ctx.inputCount()];
        for (int i = 0; i < constants.length; i++) {
            Tensor c = ctx.hasInput(i) ? ctx.constantInput(i) : null;
            if (c != null && bridged(c.dtype())) constants[i] = toFloat(c);
        }
        Kernel k = op.prepare(new FloatContext(ctx, constants));
        for (ValueType t : k.outputTypes()) {
            if (t instanceof ValueType.TensorType tt && (tt.shape() == null || !tt.shape().isConcrete())) {
                throw ctx.unsupported("a data-dependent output shape in " + wide.onnxName());
            }
        }
        return new Bridged(k, wide, ctx);
    }

    /** A float32 copy in native memory owned by the garbage collector (kernels have no close). */
    private static Tensor toFloat(Tensor t) {
        MemorySegment seg = F32Gemm.allocatePacked(4 * t.elementCount()).asSlice(0, 4 * t.elementCount());
        Floats.toFloat(t.dtype(), t.data(), seg, 0, t.elementCount());
        return Tensor.wrap(DType.FLOAT, t.shape(), seg);
    }

    /** The node as the float32 operator sees it. */
    private record FloatContext(NodeContext ctx, Tensor[] constants) implements NodeContext {
        @Override public Node node() { return ctx.node(); }
        @Override public long opset() { return ctx.opset(); }
        @Override public int inputCount() { return ctx.inputCount(); }
        @Override public boolean hasInput(int i) { return ctx.hasInput(i); }
        @Override public ValueType inputType(int i) {
            ValueType t = ctx.inputType(i);
            return t instanceof ValueType.TensorType tt && bridged(tt.dtype()) ? ValueType.tensor(DType.FLOAT, tt.shape()) : t;
        }
        @Override public Tensor constantInput(int i) {
            return i < constants.length && constants[i] != null ? constants[i] : ctx.constantInput(i);
        }
        @Override public int threads() { return ctx.threads(); }
        @Override public Subgraph compileSubgraph(Graph body) { return ctx.compileSubgraph(body); }
        @Override public EdgerunException error(String message) { return ctx.error(message); }
        @Override public EdgerunException unsupported(String reason) { return ctx.unsupported(reason); }
    }

    /** Converts around the float32 kernel; scratch holds [inner scratch][float inputs][float outputs]. */
    private static final class Bridged implements Kernel {
        private final Kernel inner;
        private final DType wide;
        private final List<ValueType> types = new ArrayList<>();
        private final boolean[] convertIn;
        private final Shape[] inShapes;
        private final long[] inOffsets, outOffsets;
        private final long scratch;

        Bridged(Kernel inner, DType wide, NodeContext ctx) {
            this.inner = inner;
            this.wide = wide;
            int n = ctx.inputCount();
            convertIn = new boolean[n];
            inShapes = new Shape[n];
            inOffsets = new long[n];
            long at = align(inner.scratchBytes());
            for (int i = 0; i < n; i++) {
                if (ctx.hasInput(i) && ctx.inputType(i) instanceof ValueType.TensorType t && bridged(t.dtype())) {
                    convertIn[i] = true;
                    inShapes[i] = t.shape();
                    inOffsets[i] = at;
                    at = align(at + 4 * t.shape().elementCount());
                }
            }
            outOffsets = new long[inner.outputTypes().size()];
            for (int o = 0; o < outOffsets.length; o++) {
                ValueType t = inner.outputTypes().get(o);
                if (t instanceof ValueType.TensorType tt && tt.dtype() == DType.FLOAT && tt.shape() != null && tt.shape().isConcrete()) {
                    types.add(ValueType.tensor(wide, tt.shape()));
                    outOffsets[o] = at;
                    at = align(at + 4 * tt.shape().elementCount());
                } else {
                    types.add(t);
                    outOffsets[o] = -1;
                }
            }
            scratch = at;
        }

        private static long align(long v) {
            return (v + 63) & ~63L;
        }

        @Override public List<ValueType> outputTypes() { return types; }
        @Override public long scratchBytes() { return scratch; }
        @Override public boolean nondeterministic() { return inner.nondeterministic(); }

        @Override
        public void run(RunContext ctx) {
            MemorySegment s = ctx.scratch();
            Tensor[] inputs = new Tensor[convertIn.length];
            for (int i = 0; i < inputs.length; i++) {
                if (!convertIn[i]) continue;
                long count = inShapes[i].elementCount();
                MemorySegment dst = s.asSlice(inOffsets[i], 4 * count);
                Floats.toFloat(wide, ctx.input(i).data(), dst, 0, count);
                inputs[i] = Tensor.wrap(DType.FLOAT, inShapes[i], dst);
            }
            Tensor[] outputs = new Tensor[outOffsets.length];
            for (int o = 0; o < outputs.length; o++) {
                if (outOffsets[o] < 0) continue;
                Shape shape = ((ValueType.TensorType) inner.outputTypes().get(o)).shape();
                outputs[o] = Tensor.wrap(DType.FLOAT, shape, s.asSlice(outOffsets[o], 4 * shape.elementCount()));
            }
            inner.run(new FloatRun(ctx, inputs, outputs, s.asSlice(0, inner.scratchBytes())));
            for (int o = 0; o < outputs.length; o++) {
                if (outputs[o] != null) Floats.fromFloat(outputs[o].data(), 0, wide, ctx.output(o).data(), outputs[o].elementCount());
            }
        }
    }

    /** The run as the float32 kernel sees it: converted inputs and float32 outputs in scratch. */
    private record FloatRun(RunContext ctx, Tensor[] inputs, Tensor[] outputs, MemorySegment scratch) implements RunContext {
        @Override public Tensor input(int i) { return i < inputs.length && inputs[i] != null ? inputs[i] : ctx.input(i); }
        @Override public Object inputValue(int i) { return i < inputs.length && inputs[i] != null ? inputs[i] : ctx.inputValue(i); }
        @Override public int inputCount() { return ctx.inputCount(); }
        @Override public Tensor output(int i) { return outputs[i] != null ? outputs[i] : ctx.output(i); }
        @Override public Tensor allocateOutput(int i, DType dtype, Shape shape) {
            throw new UnsupportedOperationException("data-dependent output shapes are not bridged from float32");
        }
        @Override public void setOutputValue(int i, Object value) { ctx.setOutputValue(i, value); }
        @Override public Tensor allocateTemp(DType dtype, Shape shape) { return ctx.allocateTemp(dtype, shape); }
        @Override public MemorySegment scratch() { return scratch; }
        @Override public void parallelFor(int n, RangeBody body) { ctx.parallelFor(n, body); }
        @Override public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> in) { return ctx.runSubgraph(subgraph, in); }
    }
}
