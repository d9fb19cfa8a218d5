package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Kernel} sees while running one node. Tensors are views on memory owned by the
 * executor: never close them, never keep them after {@code run} returns.
 */
public interface RunContext {

    /** Input {@code i}, or null when omitted. */
    Tensor input(int i);

    /** Input {@code i} as whatever value it is: a {@link Tensor}, a {@code List<Tensor>} (sequence) or null. */
    Object inputValue(int i);

    int inputCount();

    /** The preallocated output {@code i} (for outputs the kernel declared with a concrete shape). */
    Tensor output(int i);

    /** Allocates output {@code i} now, for outputs whose shape depends on data. */
    Tensor allocateOutput(int i, DType dtype, Shape shape);

    /** Sets output {@code i} to a non-tensor value (a {@code List<Tensor>} sequence, or null for an empty optional). */
    void setOutputValue(int i, Object value);

    /** Allocates a temporary tensor freed when the run ends (for sequences and subgraph plumbing). */
    Tensor allocateTemp(DType dtype, Shape shape);

    /** The scratch memory the kernel asked for with {@link Kernel#scratchBytes()}. */
    MemorySegment scratch();

    /** Runs {@code body(from, to)} over [0, n) split across the session's threads. */
    void parallelFor(int n, RangeBody body);

    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs a compiled subgraph with the given inputs (names of the subgraph's inputs to values);
     * names the body reads from enclosing scopes resolve to this run's values. Returns the
     * subgraph outputs in order; they live until this run ends.
     */
    List<Object> runSubgraph(Subgraph subgraph, Map<String, Object> inputs);
}
