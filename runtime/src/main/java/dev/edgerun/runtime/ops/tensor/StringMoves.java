package dev.edgerun.runtime.ops.tensor;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * STRING tensors through the byte-moving data-movement operators. Strings live on the Java heap,
 * so the operator is planned and run on int32 element numbers instead (input k's elements numbered
 * after those of inputs 0..k-1); each int32 output is then mapped back to the strings its numbers
 * name. Only for operators that move elements without looking at their values.
 */
final class StringMoves {
    private StringMoves() {}

    /** True when some input of the node is a STRING tensor. */
    static boolean any(NodeContext ctx) {
        for (int i = 0; i < ctx.inputCount(); i++) {
            if (ctx.hasInput(i) && ctx.inputType(i) instanceof ValueType.TensorType t && t.dtype() == DType.STRING) return true;
        }
        return false;
    }

    /** Plans {@code op} over element numbers; its outputs that carry numbers become STRING outputs allocated at run time. */
    static Kernel kernel(NodeContext ctx, Operator op) {
        String reduction = ctx.attrString("reduction", "none");
        if (!reduction.equals("none")) throw ctx.unsupported("reduction " + reduction + " on strings");
        int n = ctx.inputCount();
        boolean[] strings = new boolean[n];
        for (int i = 0; i < n; i++) {
            strings[i] = ctx.hasInput(i) && ctx.inputType(i) instanceof ValueType.TensorType t && t.dtype() == DType.STRING;
        }
        Kernel inner = op.prepare(new Numbered(ctx, strings));
        List<ValueType> innerTypes = inner.outputTypes();
        List<ValueType> types = new ArrayList<>();
        boolean[] mapped = new boolean[innerTypes.size()];
        for (int i = 0; i < innerTypes.size(); i++) {
            ValueType.TensorType t = (ValueType.TensorType) innerTypes.get(i);
            mapped[i] = t.dtype() == DType.INT32;
            types.add(mapped[i] ? ValueType.tensor(DType.STRING, t.shape() == null ? null : OpArgs.unknownShape(t.shape().rank())) : t);
        }
        return Kernel.of(types, rc -> run(rc, inner, strings, mapped));
    }

    private static void run(RunContext rc, Kernel inner, boolean[] strings, boolean[] mapped) {
        Object[] inputs = new Object[rc.inputCount()];
        List<String> all = new ArrayList<>();
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = rc.input(i);
            if (t == null || !strings[i]) {
                inputs[i] = t;
                continue;
            }
            Tensor numbers = rc.allocateTemp(DType.INT32, t.shape());
            for (int e = 0; e < t.elementCount(); e++) numbers.data().setAtIndex(ValueLayout.JAVA_INT_UNALIGNED, e, all.size() + e);
            all.addAll(List.of(t.toStringArray()));
            inputs[i] = numbers;
        }
        Tensor[] outputs = new Tensor[mapped.length];
        for (int i = 0; i < mapped.length; i++) {
            ValueType.TensorType t = (ValueType.TensorType) inner.outputTypes().get(i);
            if (t.shape() != null && t.shape().isConcrete()) {
                outputs[i] = mapped[i] ? rc.allocateTemp(t.dtype(), t.shape()) : rc.output(i);
            }
        }
        inner.run(new Redirected(rc, inputs, outputs, mapped));
        for (int i = 0; i < mapped.length; i++) {
            if (!mapped[i] || outputs[i] == null) continue;
            MemorySegment numbers = outputs[i].data();
            String[] s = new String[Math.toIntExact(outputs[i].elementCount())];
            for (int e = 0; e < s.length; e++) s[e] = all.get(numbers.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, e));
            rc.setOutputValue(i, Tensor.ofStrings(s, outputs[i].shape().dims()));
        }
    }

    /** The node as the operator sees it: STRING inputs are int32 element numbers. */
    private record Numbered(NodeContext ctx, boolean[] strings) implements NodeContext {
        @Override public Node node() { return ctx.node(); }
        @Override public long opset() { return ctx.opset(); }
        @Override public int inputCount() { return ctx.inputCount(); }
        @Override public boolean hasInput(int i) { return ctx.hasInput(i); }
        @Override public int threads() { return ctx.threads(); }
        @Override public Subgraph compileSubgraph(Graph body) { return ctx.compileSubgraph(body); }
        @Override public EdgerunException error(String message) { return ctx.error(message); }
        @Override public EdgerunException unsupported(String reason) { return ctx.unsupported(reason); }

        @Override
        public ValueType inputType(int i) {
            if (i < strings.length && strings[i]) return ValueType.tensor(DType.INT32, ((ValueType.TensorType) ctx.inputType(i)).shape());
            return ctx.inputType(i);
        }

        @Override
        public Tensor constantInput(int i) {
            return i < strings.length && strings[i] ? null : ctx.constantInput(i);
        }
    }

    /** The run as the operator sees it: numbered inputs, int32 outputs in temporaries. */
    private record Redirected(RunContext rc, Object[] inputs, Tensor[] outputs, boolean[] mapped) implements RunContext {
        @Override public Tensor input(int i) { return (Tensor) inputs[i]; }
        @Override public Object inputValue(int i) { return inputs[i]; }
        @Override public int inputCount() { return inputs.length; }
        @Override public Tensor output(int i) { return outputs[i]; }
        @Override public Tensor allocateTemp(DType dtype, Shape shape) { return rc.allocateTemp(dtype, shape); }
        @Override public MemorySegment scratch() { return rc.scratch(); }
        @Override public void parallelFor(int n, RangeBody body) { rc.parallelFor(n, body); }
        @Override public List<Object> runSubgraph(Subgraph s, Map<String, Object> in) { return rc.runSubgraph(s, in); }

        @Override
        public Tensor allocateOutput(int i, DType dtype, Shape shape) {
            outputs[i] = mapped[i] ? rc.allocateTemp(dtype, shape) : rc.allocateOutput(i, dtype, shape);
            return outputs[i];
        }

        @Override
        public void setOutputValue(int i, Object value) {
            throw new IllegalStateException("data-movement kernels set no output values");
        }
    }
}
