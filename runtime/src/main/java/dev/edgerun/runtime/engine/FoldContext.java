package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.ResourceLimitException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.RunContext;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * Runs one kernel once at plan time on constant inputs (constant folding). Everything it
 * allocates belongs to the plan ({@code owned}) and lives as long as the plan.
 */
final class FoldContext implements RunContext {
    private final String label;
    private final Object[] inputs;
    private final Object[] outputs;
    private final List<AutoCloseable> owned;
    private final ExecEnv env;
    private MemorySegment scratch = MemorySegment.NULL;

    private FoldContext(String label, Object[] inputs, int outputCount, List<AutoCloseable> owned, ExecEnv env) {
        this.label = label;
        this.inputs = inputs;
        this.outputs = new Object[outputCount];
        this.owned = owned;
        this.env = env;
    }

    /** Runs {@code kernel} on {@code inputs} and returns its outputs, one per declared output type. */
    static Object[] fold(String label, Kernel kernel, Object[] inputs, List<AutoCloseable> owned, ExecEnv env) {
        List<ValueType> types = kernel.outputTypes();
        FoldContext ctx = new FoldContext(label, inputs, types.size(), owned, env);
        for (int i = 0; i < types.size(); i++) {
            if (Values.isConcreteTensor(types.get(i))) {
                ValueType.TensorType t = (ValueType.TensorType) types.get(i);
                ctx.outputs[i] = ctx.allocateTemp(t.dtype(), t.shape());
            }
        }
        if (kernel.scratchBytes() > 0) ctx.scratch = ctx.allocateTemp(DType.UINT8, Shape.of(kernel.scratchBytes())).data();
        kernel.run(ctx);
        return ctx.outputs;
    }

    @Override
    public Tensor input(int i) {
        Object v = inputValue(i);
        if (v == null || v instanceof Tensor) return (Tensor) v;
        throw new EdgerunException(label + ": input " + i + " is " + Values.describe(v) + ", not a tensor");
    }

    @Override
    public Object inputValue(int i) {
        return i < inputs.length ? inputs[i] : null;
    }

    @Override
    public int inputCount() {
        return inputs.length;
    }

    @Override
    public Tensor output(int i) {
        if (outputs[i] instanceof Tensor t) return t;
        throw new EdgerunException(label + ": output " + i + " has no planned buffer; the kernel must use allocateOutput");
    }

    @Override
    public Tensor allocateOutput(int i, DType dtype, Shape shape) {
        if (outputs[i] instanceof Tensor t && t.dtype() == dtype && t.shape().sameDims(shape)) return t;
        Tensor t = allocateTemp(dtype, shape);
        outputs[i] = t;
        return t;
    }

    @Override
    public void setOutputValue(int i, Object value) {
        outputs[i] = value;
    }

    @Override
    public Tensor allocateTemp(DType dtype, Shape shape) {
        long bytes = dtype.storageBytes(shape.elementCount());
        if (env.memoryLimit > 0 && bytes > env.memoryLimit) {
            throw new ResourceLimitException(String.format("native engine: %s needs %.1f MiB for a folded %s%s constant,"
                    + " limit %.1f MiB", label, bytes / 1048576.0, dtype.onnxName(), shape, env.memoryLimit / 1048576.0));
        }
        Tensor t = Tensor.allocate(dtype, shape);
        owned.add(t);
        return t;
    }

    @Override
    public MemorySegment scratch() {
        return scratch;
    }

    @Override
    public void parallelFor(int n, RangeBody body) {
        env.pool.parallelFor(n, body);
    }

    @Override
    public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> inputs) {
        throw new EdgerunException(label + ": nodes with subgraphs are never folded");
    }
}
