package dev.edgerun.runtime.ops.elementwise;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * Identity: a copy of a tensor; sequences, optionals and string tensors are passed on as the same
 * value (they are immutable once made).
 */
public final class Identity implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (!ctx.hasInput(0)) throw ctx.error("input 0 is required but missing");
        ValueType type = ctx.inputType(0);
        if (type instanceof ValueType.TensorType t && t.shape() != null && t.shape().isConcrete()
                && t.dtype() != DType.STRING) {
            return new CopyKernel(List.of(type));
        }
        ValueType out = type instanceof ValueType.TensorType t && t.dtype() == DType.STRING
                ? ValueType.tensor(DType.STRING, null) : type;
        return Kernel.of(List.of(out), run -> run.setOutputValue(0, run.inputValue(0)));
    }

    /** Copies a planned tensor; the executor makes the output a view of the input instead when it can. */
    private record CopyKernel(List<ValueType> outputTypes) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            dev.edgerun.runtime.ops.tensor.ValuePlanned.copyAll(ctx.input(0), ctx.output(0));
        }

        @Override
        public int outputAliasesInput() {
            return 0;
        }
    }
}
