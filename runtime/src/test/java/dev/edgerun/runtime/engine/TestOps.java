package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.Subgraph;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Float-only operators in a domain of their own ({@code test}), so the executor can be tested
 * without depending on which ONNX operators have landed. Operators of the default domain come
 * from the real registry.
 */
final class TestOps implements OperatorSource {
    static final String DOMAIN = "test";
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** How many times {@code test.Count} ran. */
    static final AtomicInteger COUNT_RUNS = new AtomicInteger();

    private final OperatorSource registry = OperatorSource.registry();

    @Override
    public Operator find(String domain, String opType, long opset) {
        if (!domain.equals(DOMAIN)) return registry.find(domain, opType, opset);
        return switch (opType) {
            case "Relu" -> TestOps::relu;
            case "Add" -> TestOps::add;
            case "Count" -> TestOps::count;
            case "Unsupported" -> ctx -> { throw ctx.unsupported("this test operator is never supported"); };
            case "Positive" -> TestOps::positive;
            case "CallBody" -> TestOps::callBody;
            case "CallBodyRaw" -> TestOps::callBodyRaw;
            case "Scale2" -> TestOps::scale2;
            case "View" -> TestOps::view;
            case "BadAttribute" -> ctx -> { throw ctx.error("attribute 'k' must be positive, got " + ctx.attrInt("k", 0)); };
            case "Crash" -> ctx -> Kernel.of(sameAsInput(ctx), rc -> { throw new ArrayIndexOutOfBoundsException(7); });
            default -> null;
        };
    }

    @Override
    public String whyMissing(String domain, String opType, long opset) {
        return domain.equals(DOMAIN) ? "no such test operator" : registry.whyMissing(domain, opType, opset);
    }

    private static ValueType.TensorType sameAsInput(dev.edgerun.runtime.ops.NodeContext ctx) {
        return new ValueType.TensorType(ctx.inputDType(0), ctx.inputShape(0));
    }

    static Kernel relu(dev.edgerun.runtime.ops.NodeContext ctx) {
        return Kernel.of(sameAsInput(ctx), rc -> {
            MemorySegment x = rc.input(0).data();
            MemorySegment y = rc.output(0).data();
            long n = x.byteSize() / 4;
            for (long i = 0; i < n; i++) y.setAtIndex(F, i, Math.max(0f, x.getAtIndex(F, i)));
        });
    }

    static Kernel add(dev.edgerun.runtime.ops.NodeContext ctx) {
        if (!ctx.inputShape(0).equals(ctx.inputShape(1))) throw ctx.error("test.Add needs equal shapes");
        return Kernel.of(sameAsInput(ctx), rc -> {
            MemorySegment a = rc.input(0).data();
            MemorySegment b = rc.input(1).data();
            MemorySegment y = rc.output(0).data();
            long n = a.byteSize() / 4;
            for (long i = 0; i < n; i++) y.setAtIndex(F, i, a.getAtIndex(F, i) + b.getAtIndex(F, i));
        });
    }

    /** Identity that counts its runs. */
    static Kernel count(dev.edgerun.runtime.ops.NodeContext ctx) {
        return Kernel.of(sameAsInput(ctx), rc -> {
            COUNT_RUNS.incrementAndGet();
            rc.output(0).data().copyFrom(rc.input(0).data());
        });
    }

    /** The positive elements of the input, as a 1-D tensor: an output shape that depends on data. */
    static Kernel positive(dev.edgerun.runtime.ops.NodeContext ctx) {
        return Kernel.of(new ValueType.TensorType(DType.FLOAT, null), rc -> {
            Tensor x = rc.input(0);
            int n = 0;
            for (long i = 0; i < x.elementCount(); i++) if (x.getFloat(i) > 0) n++;
            Tensor y = rc.allocateOutput(0, DType.FLOAT, Shape.of(n));
            int k = 0;
            for (long i = 0; i < x.elementCount(); i++) if (x.getFloat(i) > 0) y.setFloat(k++, x.getFloat(i));
        });
    }

    /** Runs its {@code body} attribute with input {@code b_in} = input 0; output = the body's first output. */
    static Kernel callBody(dev.edgerun.runtime.ops.NodeContext ctx) {
        Subgraph body = ctx.compileSubgraph(ctx.attrGraph("body"));
        return Kernel.of(new ValueType.TensorType(DType.FLOAT, null), rc -> {
            List<Object> out = rc.runSubgraph(body, Map.of("b_in", rc.input(0)));
            Tensor r = (Tensor) out.get(0);
            rc.allocateOutput(0, r.dtype(), r.shape()).data().copyFrom(r.data());
        });
    }

    /** Like CallBody, but its output is the body's output itself, not a copy. */
    static Kernel callBodyRaw(dev.edgerun.runtime.ops.NodeContext ctx) {
        Subgraph body = ctx.compileSubgraph(ctx.attrGraph("body"));
        return Kernel.of(new ValueType.TensorType(DType.FLOAT, null),
                rc -> rc.setOutputValue(0, rc.runSubgraph(body, Map.of("b_in", rc.input(0))).get(0)));
    }

    /** How many times {@code test.View} ran (it declares its output a view of its input). */
    static final AtomicInteger VIEW_RUNS = new AtomicInteger();

    /** Reshape to the {@code shape} attribute, declaring output 0 a view of input 0. */
    static Kernel view(dev.edgerun.runtime.ops.NodeContext ctx) {
        ValueType out = new ValueType.TensorType(ctx.inputDType(0), Shape.of(ctx.attrInts("shape", null)));
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return List.of(out); }
            @Override public int outputAliasesInput() { return 0; }
            @Override public void run(dev.edgerun.runtime.ops.RunContext rc) {
                VIEW_RUNS.incrementAndGet();
                rc.output(0).data().copyFrom(rc.input(0).data());
            }
        };
    }

    /** y = 2x, split over the session's threads. */
    static Kernel scale2(dev.edgerun.runtime.ops.NodeContext ctx) {
        return Kernel.of(sameAsInput(ctx), rc -> {
            MemorySegment x = rc.input(0).data();
            MemorySegment y = rc.output(0).data();
            rc.parallelFor((int) (x.byteSize() / 4), (from, to) -> {
                for (int i = from; i < to; i++) y.setAtIndex(F, i, 2 * x.getAtIndex(F, i));
            });
        });
    }
}
