package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ModelFormatException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.UnsupportedOperatorException;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.OperatorRegistry;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Plans and runs one node through {@link OperatorRegistry} outside any executor, for the
 * element-wise unit tests: inputs are tensors (or lists for sequences), outputs are allocated as
 * the kernel declares them. {@link #rerun()} runs the planned kernel again on the same context, so
 * tests can measure what a run allocates. Closing frees every tensor it made.
 */
final class NodeRunner implements AutoCloseable {
    private final List<Tensor> owned = new ArrayList<>();
    private final int threads;
    private Kernel kernel;
    private Run run;

    NodeRunner() {
        this(1);
    }

    /**
     * A runner whose nodes are planned for {@code threads} threads; parallelFor then runs every
     * range of one element separately, last first, to check how kernels split their work.
     */
    NodeRunner(int threads) {
        this.threads = threads;
    }

    /** Plans {@code node} at {@code opset} with these inputs (null = omitted) and runs it once. */
    List<Object> run(Node node, long opset, Object... inputs) {
        OperatorRegistry.Entry entry = OperatorRegistry.find(node.domain(), node.opType(), opset);
        if (entry == null) throw new IllegalStateException(node.opType() + " is not registered at opset " + opset);
        kernel = entry.operator().prepare(new Ctx(node, opset, inputs, threads));
        Object[] outputs = new Object[kernel.outputTypes().size()];
        for (int i = 0; i < outputs.length; i++) {
            if (kernel.outputTypes().get(i) instanceof ValueType.TensorType t && t.shape() != null
                    && t.shape().isConcrete() && t.dtype() != DType.STRING) {
                outputs[i] = own(Tensor.allocate(t.dtype(), t.shape()));
            }
        }
        run = new Run(inputs, outputs);
        kernel.run(run);
        return java.util.Arrays.asList(outputs.clone());
    }

    /** Runs a single-output node and returns the output. */
    Tensor run1(Node node, long opset, Object... inputs) {
        return (Tensor) run(node, opset, inputs).get(0);
    }

    /** Runs the last planned kernel again with the same inputs and outputs. */
    void rerun() {
        kernel.run(run);
    }

    Kernel kernel() {
        return kernel;
    }

    Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    @Override
    public void close() {
        for (Tensor t : owned) t.close();
    }

    static Node node(String opType, int inputs) {
        return builder(opType, inputs).build();
    }

    static Node.Builder builder(String opType, int inputs) {
        Node.Builder b = Node.builder(opType).name("n").outputs("y");
        for (int i = 0; i < inputs; i++) b.inputs("x" + i);
        return b;
    }

    private static ValueType typeOf(Object v) {
        if (v instanceof Tensor t) return ValueType.tensor(t.dtype(), t.shape());
        if (v instanceof List<?> l) return new ValueType.SequenceType(l.isEmpty() ? new ValueType.Unknown() : typeOf(l.get(0)));
        return new ValueType.Unknown();
    }

    private record Ctx(Node node, long opset, Object[] inputs, int threads) implements NodeContext {
        @Override public int inputCount() { return inputs.length; }
        @Override public boolean hasInput(int i) { return i < inputs.length && inputs[i] != null; }
        @Override public ValueType inputType(int i) { return typeOf(inputs[i]); }
        @Override public Tensor constantInput(int i) { return null; }
        @Override public Subgraph compileSubgraph(Graph body) { throw new UnsupportedOperationException("no subgraphs here"); }
        @Override public EdgerunException error(String message) { return new ModelFormatException(node.opType() + ": " + message); }
        @Override public EdgerunException unsupported(String reason) {
            return new UnsupportedOperatorException("native", List.of(new UnsupportedOperatorException.Miss(
                    node.opType(), node.domain(), opset, node.name(), reason)), "");
        }
    }

    private final class Run implements RunContext {
        private final Object[] inputs;
        private final Object[] outputs;

        Run(Object[] inputs, Object[] outputs) {
            this.inputs = inputs;
            this.outputs = outputs;
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
        @Override public MemorySegment scratch() { return MemorySegment.NULL; }
        @Override public void parallelFor(int n, RangeBody body) {
            if (threads == 1) {
                body.run(0, n);
            } else {
                for (int i = n - 1; i >= 0; i--) body.run(i, i + 1);
            }
        }
        @Override public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> in) {
            throw new UnsupportedOperationException("no subgraphs here");
        }
    }
}
