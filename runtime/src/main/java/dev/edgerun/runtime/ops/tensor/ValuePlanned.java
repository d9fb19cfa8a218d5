package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * Single-output operators whose output shape depends on the values of some inputs (Reshape's
 * shape, Slice's starts, Expand's shape, Tile's repeats ...). When those inputs are constant at
 * compile time the plan is made once and the output is preallocated; otherwise the kernel declares
 * an output of unknown shape and plans at every run, allocating its output then.
 */
public final class ValuePlanned {
    private ValuePlanned() {}

    /** Where a planner reads the value inputs: constants at compile time, the run's inputs otherwise. */
    @FunctionalInterface
    public interface Values {
        /** Input {@code i}, or null when it is omitted. */
        Tensor input(int i);
    }

    /** A plan for one set of input values. */
    public interface Plan {
        Shape outputShape();

        /** Fills {@code out} (of {@link #outputShape()}) from the run's inputs. */
        void run(RunContext ctx, Tensor out);
    }

    @FunctionalInterface
    public interface Planner {
        Plan plan(Values values);
    }

    /**
     * The kernel for a node whose plan depends on the values of {@code valueInputs}.
     *
     * @param outRank output rank when known without the values, else -1
     */
    public static Kernel kernel(NodeContext ctx, DType outType, int outRank, Planner planner, int... valueInputs) {
        boolean constant = true;
        for (int i : valueInputs) {
            if (ctx.hasInput(i) && ctx.constantInput(i) == null) constant = false;
        }
        if (constant) {
            Plan plan = planner.plan(i -> ctx.hasInput(i) ? ctx.constantInput(i) : null);
            List<ValueType> types = List.of(ValueType.tensor(outType, plan.outputShape()));
            if (plan instanceof ViewPlan) return new ViewKernel(types);
            return Kernel.of(types, rc -> plan.run(rc, rc.output(0)));
        }
        return Kernel.of(ValueType.tensor(outType, OpArgs.unknownShape(outRank)), rc -> {
            Plan plan = planner.plan(rc::input);
            Tensor out = rc.allocateOutput(0, outType, plan.outputShape());
            plan.run(rc, out);
        });
    }

    /** A plan that copies the input's bytes unchanged into an output of another shape (Reshape, Squeeze ...). */
    public static Plan view(Shape outShape) {
        return new ViewPlan(outShape);
    }

    private record ViewPlan(Shape outputShape) implements Plan {
        @Override
        public void run(RunContext ctx, Tensor out) {
            copyAll(ctx.input(0), out);
        }
    }

    /**
     * A planned view: the executor makes the output a view of input 0's buffer and skips the step
     * when it can ({@link Kernel#outputAliasesInput}); otherwise the bytes are copied.
     */
    private record ViewKernel(List<ValueType> outputTypes) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            copyAll(ctx.input(0), ctx.output(0));
        }

        @Override
        public int outputAliasesInput() {
            return 0;
        }
    }

    /** Copies all bytes of {@code in} to {@code out}, which has the same element count and type. */
    public static void copyAll(Tensor in, Tensor out) {
        if (in.data().address() == out.data().address() && in.data().byteSize() > 0) return; // executor aliased them
        out.data().copyFrom(in.data());
    }
}
