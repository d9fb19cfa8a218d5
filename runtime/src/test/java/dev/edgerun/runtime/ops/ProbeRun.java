package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * The run context of the allocation probes ({@code NnAllocationProbe}, {@code RnnAllocationProbe}):
 * one kernel on fixed tensors, on the calling thread, with outputs preallocated and nothing else
 * supported.
 */
public record ProbeRun(List<Tensor> inputs, List<Tensor> outputs, MemorySegment scratch) implements RunContext {
    @Override public Tensor input(int i) { return i < inputs.size() ? inputs.get(i) : null; }
    @Override public Object inputValue(int i) { return input(i); }
    @Override public int inputCount() { return inputs.size(); }
    @Override public Tensor output(int i) { return outputs.get(i); }
    @Override public Tensor allocateOutput(int i, DType dtype, Shape shape) { throw new UnsupportedOperationException(); }
    @Override public void setOutputValue(int i, Object value) { throw new UnsupportedOperationException(); }
    @Override public Tensor allocateTemp(DType dtype, Shape shape) { throw new UnsupportedOperationException(); }
    @Override public void parallelFor(int n, RangeBody body) { body.run(0, n); }
    @Override public List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> in) { throw new UnsupportedOperationException(); }
}
