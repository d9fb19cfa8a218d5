package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
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
import dev.edgerun.runtime.ops.reduce.Reduce;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints the heap bytes per planned run of the model-critical data-movement and reduction
 * operators (the "plan once, run many" rule), one line per operator: the thread's allocation
 * counter over windows of runs after a warm-up. {@link SteadyStateAllocationTest} runs it in a JVM
 * of its own (see {@link dev.edgerun.runtime.ops.OwnJvmProbe} for why).
 */
public final class SteadyStateAllocationProbe {
    /** How long a kernel may take to reach a window without allocation (the JIT may still be compiling). */
    private static final long BUDGET_NANOS = 20_000_000_000L; // a loaded machine can delay the JIT for seconds

    /** The operators probed, one printed line each. */
    static final int CASES = 6;

    /** Every input constant, so the kernels are fully planned. */
    private record Ctx(Node node, Object[] inputs) implements NodeContext {
        @Override public long opset() { return 18; }
        @Override public int inputCount() { return inputs.length; }
        @Override public boolean hasInput(int i) { return i < inputs.length && inputs[i] != null; }
        @Override public ValueType inputType(int i) { Tensor t = (Tensor) inputs[i]; return ValueType.tensor(t.dtype(), t.shape()); }
        @Override public Tensor constantInput(int i) { return hasInput(i) ? (Tensor) inputs[i] : null; }
        @Override public int threads() { return 1; }
        @Override public Subgraph compileSubgraph(Graph body) { throw new UnsupportedOperationException(); }
        @Override public dev.edgerun.runtime.EdgerunException error(String m) { return new dev.edgerun.runtime.EdgerunException(m); }
        @Override public dev.edgerun.runtime.EdgerunException unsupported(String m) { return new dev.edgerun.runtime.EdgerunException(m); }
    }

    /** Fixed inputs and preallocated outputs, as the executor gives a planned step. */
    private record Run(Object[] inputs, Tensor[] outputs) implements RunContext {
        @Override public Tensor input(int i) { return i < inputs.length ? (Tensor) inputs[i] : null; }
        @Override public Object inputValue(int i) { return input(i); }
        @Override public int inputCount() { return inputs.length; }
        @Override public Tensor output(int i) { return outputs[i]; }
        @Override public Tensor allocateOutput(int i, DType dtype, Shape shape) { throw new IllegalStateException("planned kernels must not allocate"); }
        @Override public void setOutputValue(int i, Object value) { throw new IllegalStateException(); }
        @Override public Tensor allocateTemp(DType dtype, Shape shape) { throw new IllegalStateException(); }
        @Override public MemorySegment scratch() { return MemorySegment.NULL; }
        @Override public void parallelFor(int n, RangeBody body) { body.run(0, n); }
        @Override public List<Object> runSubgraph(Subgraph s, Map<String, Object> in) { throw new UnsupportedOperationException(); }
    }

    private static float[] values(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 13) * 0.5f;
        return v;
    }

    /** The fewest bytes per run of the planned kernel over windows of 200 runs, after warm-up, until one window allocates nothing. */
    private static long bytesPerRun(Operator op, Node node, Object... inputs) {
        Kernel kernel = op.prepare(new Ctx(node, inputs));
        List<Tensor> outs = new ArrayList<>();
        for (ValueType t : kernel.outputTypes()) {
            ValueType.TensorType tt = (ValueType.TensorType) t;
            outs.add(Tensor.allocate(tt.dtype(), tt.shape()));
        }
        Run run = new Run(inputs, outs.toArray(Tensor[]::new));
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        for (int i = 0; i < 20_000; i++) kernel.run(run);
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + BUDGET_NANOS;
        while (least > 0 && System.nanoTime() < deadline) {
            long before = bean.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 200; i++) kernel.run(run);
            least = Math.min(least, (bean.getThreadAllocatedBytes(tid) - before) / 200);
        }
        outs.forEach(Tensor::close);
        return least;
    }

    public static void main(String[] args) {
        try (Tensor x = Tensor.of(values(2 * 8 * 6 * 5), 2, 8, 6, 5); Tensor y = Tensor.of(values(2 * 3 * 6 * 5), 2, 3, 6, 5);
             Tensor idx = Tensor.of(new long[] {3, 0, 7}, 3); Tensor starts = Tensor.of(new long[] {-1, 1}, 2);
             Tensor ends = Tensor.of(new long[] {-100, 5}, 2); Tensor axes = Tensor.of(new long[] {1, 3}, 2);
             Tensor steps = Tensor.of(new long[] {-2, 1}, 2); Tensor last = Tensor.of(new long[] {-1}, 1);
             Tensor scales = Tensor.of(new float[] {1, 1, 2, 2}, 4)) {
            Object[][] cases = {
                {new Transpose(), Node.builder("Transpose").inputs("x").outputs("o").attribute("perm", new long[] {0, 2, 3, 1}).build(), new Object[] {x}},
                {new Concat(), Node.builder("Concat").inputs("x", "y").outputs("o").attribute("axis", 1L).build(), new Object[] {x, y}},
                {new Gather(), Node.builder("Gather").inputs("x", "i").outputs("o").attribute("axis", 1L).build(), new Object[] {x, idx}},
                {new Slice(), Node.builder("Slice").inputs("x", "s", "e", "a", "st").outputs("o").build(), new Object[] {x, starts, ends, axes, steps}},
                {new Reduce(Reduce.Kind.MEAN), Node.builder("ReduceMean").inputs("x", "a").outputs("o").build(), new Object[] {x, last}},
                {new Resize(false), Node.builder("Resize").inputs("x", "", "s").outputs("o").attribute("mode", "nearest").build(), new Object[] {x, null, scales}},
            };
            for (Object[] c : cases) {
                System.out.println(((Node) c[1]).opType() + " " + bytesPerRun((Operator) c[0], (Node) c[1], (Object[]) c[2]));
            }
        }
    }
}
