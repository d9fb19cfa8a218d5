package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import java.util.Arrays;
import java.util.List;

/**
 * A planned node, ready to run many times. Made by {@link Operator#prepare}; holds the parsed
 * attributes and any weights converted at compile time.
 *
 * <p>Output types: a {@link ValueType.TensorType} with a concrete shape means the executor
 * preallocates that output in the session arena and {@link #run} fills {@link RunContext#output};
 * any other type (unknown shape, sequence, optional) means the output depends on data and
 * {@code run} creates it with {@link RunContext#allocateOutput} or {@link RunContext#setOutputValue}.
 */
public interface Kernel {

    /** One type per node output. */
    List<ValueType> outputTypes();

    /** Executes the node. Must not allocate on the Java heap in the common, fully planned case. */
    void run(RunContext ctx);

    /** Bytes of scratch memory {@code run} needs ({@link RunContext#scratch()}); 0 by default. */
    default long scratchBytes() {
        return 0;
    }

    /**
     * When non-null, the outputs are known at compile time (for example {@code Shape} of an input
     * with a concrete shape); the executor then treats them as constants and never calls run.
     */
    default List<Tensor> constantOutputs() {
        return null;
    }

    /**
     * When {@code >= 0}: output 0 holds exactly the bytes of that input, only the shape differs
     * (Reshape, Flatten, Squeeze, Unsqueeze, Identity). The executor may then make output 0 a view
     * of the input's memory and skip {@link #run}; {@code run} must still copy correctly, for when
     * it cannot (the input is a caller's tensor, or its shape depends on data). -1 by default.
     */
    default int outputAliasesInput() {
        return -1;
    }

    /** Whether the result may differ between runs with equal inputs (random ops): never folded. */
    default boolean nondeterministic() {
        return false;
    }

    /** The body of a kernel, for {@link #of}. */
    @FunctionalInterface
    interface Body {
        void run(RunContext ctx);
    }

    /** A kernel with fixed output types and a lambda body. */
    static Kernel of(List<ValueType> outputTypes, Body body) {
        List<ValueType> types = List.copyOf(outputTypes);
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return types; }
            @Override public void run(RunContext ctx) { body.run(ctx); }
        };
    }

    /** A single-output kernel. */
    static Kernel of(ValueType outputType, Body body) {
        return of(List.of(outputType), body);
    }

    /** A kernel whose outputs are the given constants (computed at compile time; owned by the kernel). */
    static Kernel constant(Tensor... values) {
        List<Tensor> vals = List.of(values);
        List<ValueType> types = Arrays.stream(values)
                .map(t -> (ValueType) new ValueType.TensorType(t.dtype(), t.shape())).toList();
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return types; }
            @Override public void run(RunContext ctx) {
                for (int i = 0; i < vals.size(); i++) ctx.output(i).data().copyFrom(vals.get(i).data());
            }
            @Override public List<Tensor> constantOutputs() { return vals; }
        };
    }
}
