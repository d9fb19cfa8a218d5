package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs one operator on one node outside any executor, for unit tests: a minimal
 * {@link NodeContext} (inputs may be marked constant) and {@link RunContext} (sequential
 * parallelFor, no subgraphs). Closing it frees every tensor it allocated.
 */
public final class OpHarness implements AutoCloseable {
    private final List<Tensor> owned = new ArrayList<>();
    private final Arena arena = Arena.ofConfined();

    /**
     * Prepares and runs {@code op} on {@code node}; {@code inputs} may hold nulls (omitted) and List
     * (sequences). {@code inputsConstant} is boxed so that a call with a leading {@code true} picks
     * this overload rather than being ambiguous with the one without it.
     */
    public List<Object> run(Operator op, Node node, long opset, Boolean inputsConstant, Object... inputs) {
        Kernel kernel = op.prepare(new Ctx(node, opset, constantMask(inputsConstant, inputs.length), inputs));
        return execute(kernel, inputs);
    }

    /** As {@link #run(Operator, Node, long, Boolean, Object...)}, input {@code i} constant where {@code constant[i]}. */
    public List<Object> run(Operator op, Node node, long opset, boolean[] constant, Object... inputs) {
        return execute(op.prepare(new Ctx(node, opset, constant, inputs)), inputs);
    }

    private static boolean[] constantMask(boolean constant, int inputs) {
        boolean[] mask = new boolean[inputs];
        java.util.Arrays.fill(mask, constant);
        return mask;
    }

    public List<Object> run(Operator op, Node node, long opset, Object... inputs) {
        return run(op, node, opset, false, inputs);
    }

    /** Runs and returns output {@code 0} as a tensor. */
    public Tensor run1(Operator op, Node node, long opset, Object... inputs) {
        return (Tensor) run(op, node, opset, inputs).get(0);
    }

    private List<Object> execute(Kernel kernel, Object[] inputs) {
        List<ValueType> types = kernel.outputTypes();
        Object[] outputs = new Object[types.size()];
        if (kernel.constantOutputs() != null) return new ArrayList<>(kernel.constantOutputs());
        for (int i = 0; i < outputs.length; i++) {
            if (types.get(i) instanceof ValueType.TensorType t && t.shape() != null && t.shape().isConcrete()) {
                outputs[i] = own(Tensor.allocate(t.dtype(), t.shape()));
            }
        }
        MemorySegment scratch = kernel.scratchBytes() > 0 ? arena.allocate(kernel.scratchBytes(), 64) : MemorySegment.NULL;
        kernel.run(new Run(inputs, outputs, scratch));
        return new ArrayList<>(java.util.Arrays.asList(outputs));
    }

    private Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    @Override
    public void close() {
        for (Tensor t : owned) t.close();
        arena.close();
    }

    static ValueType typeOf(Object v) {
        if (v instanceof Tensor t) return ValueType.tensor(t.dtype(), t.shape());
        if (v instanceof List<?> l) {
            return new ValueType.SequenceType(l.isEmpty() ? new ValueType.Unknown() : typeOf(l.get(0)));
        }
        return new ValueType.Unknown();
    }

    private final class Ctx implements NodeContext {
        private final Node node;
        private final long opset;
        private final boolean[] constant;
        private final Object[] inputs;

        Ctx(Node node, long opset, boolean[] constant, Object[] inputs) {
            this.node = node;
            this.opset = opset;
            this.constant = constant;
            this.inputs = inputs;
        }

        @Override public Node node() { return node; }
        @Override public long opset() { return opset; }
        @Override public int inputCount() { return inputs.length; }
        @Override public boolean hasInput(int i) { return i < inputs.length && inputs[i] != null; }
        @Override public ValueType inputType(int i) { return typeOf(inputs[i]); }
        @Override public Tensor constantInput(int i) {
            return i < constant.length && constant[i] && hasInput(i) && inputs[i] instanceof Tensor t ? t : null;
        }
        @Override public int threads() { return 1; }
        @Override public Subgraph compileSubgraph(Graph body) {
            throw new UnsupportedOperationException("the test harness runs no subgraphs");
        }
        @Override public EdgerunException error(String message) {
            return new ModelFormatException(node.opType() + ": " + message);
        }
        @Override public EdgerunException unsupported(String reason) {
            return new ModelFormatException("unsupported " + node.opType() + ": " + reason);
        }
    }

    private final class Run implements RunContext {
        private final Object[] inputs;
        private final Object[] outputs;
        private final MemorySegment scratch;

        Run(Object[] inputs, Object[] outputs, MemorySegment scratch) {
            this.inputs = inputs;
            this.outputs = outputs;
            this.scratch = scratch;
        }

        @Override public Tensor input(int i) { return i < inputs.length ? (Tensor) inputs[i] : null; }
        @Override public Object inputValue(int i) { return i < inputs.length ? inputs[i] : null; }
        @Override public int inputCount() { return inputs.length; }
        @Override public Tensor output(int i) { return (Tensor) outputs[i]; }
        @Override public Tensor allocateOutput(int i, DType dtype, Shape shape) {
            Tensor t = own(Tensor.allocate(dtype, shape));
            outputs[i] = t;
            return t;
        }
        @Override public void setOutputValue(int i, Object value) { outputs[i] = value; }
        @Override public Tensor allocateTemp(DType dtype, Shape shape) { return own(Tensor.allocate(dtype, shape)); }
        @Override public MemorySegment scratch() { return scratch; }
        @Override public void parallelFor(int n, RangeBody body) { body.run(0, n); }
        @Override public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> in) {
            throw new UnsupportedOperationException("the test harness runs no subgraphs");
        }
    }

}
