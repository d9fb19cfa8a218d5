package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.RandomFill;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * ONNX RandomUniform, RandomNormal (opset 1, shape from the attribute), RandomUniformLike,
 * RandomNormalLike (opset 1, shape of the input) and Bernoulli (opset 15: 1 with the input's
 * probability). Nondeterministic kernels: never folded; with a {@code seed} every run repeats the
 * same values. The random streams are Java's, so values never equal another runtime's.
 */
public final class RandomOps implements Operator {
    private enum Kind { UNIFORM, NORMAL, UNIFORM_LIKE, NORMAL_LIKE, BERNOULLI }

    private final Kind kind;

    private RandomOps(Kind kind) {
        this.kind = kind;
    }

    public static RandomOps uniform() { return new RandomOps(Kind.UNIFORM); }
    public static RandomOps normal() { return new RandomOps(Kind.NORMAL); }
    public static RandomOps uniformLike() { return new RandomOps(Kind.UNIFORM_LIKE); }
    public static RandomOps normalLike() { return new RandomOps(Kind.NORMAL_LIKE); }
    public static RandomOps bernoulli() { return new RandomOps(Kind.BERNOULLI); }

    @Override
    public Kernel prepare(NodeContext ctx) {
        boolean fromInput = kind != Kind.UNIFORM && kind != Kind.NORMAL;
        Shape shape;
        if (fromInput) {
            shape = ctx.inputShape(0);
        } else {
            long[] dims = ctx.attrInts("shape", null);
            if (dims == null) throw ctx.error("attribute 'shape' is required");
            shape = Shape.of(dims);
        }
        DType dflt = fromInput ? ctx.inputDType(0) : DType.FLOAT;
        DType dtype = ctx.hasAttr("dtype") ? DType.fromOnnx((int) ctx.attrInt("dtype", 1)) : dflt;
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        boolean seeded = ctx.hasAttr("seed");
        long seed = Float.floatToIntBits(ctx.attrFloat("seed", 0f));
        boolean uniform = kind == Kind.UNIFORM || kind == Kind.UNIFORM_LIKE;
        double a = uniform ? ctx.attrFloat("low", 0f) : ctx.attrFloat("mean", 0f);
        double b = uniform ? ctx.attrFloat("high", 1f) : ctx.attrFloat("scale", 1f);
        long count = shape.elementCount();
        List<ValueType> types = List.of(ValueType.tensor(dtype, shape));
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return types; }
            @Override public boolean nondeterministic() { return true; }
            @Override public void run(RunContext rc) {
                RandomGenerator g = RandomFill.generator(seeded, seed);
                MemorySegment y = rc.output(0).data();
                for (long i = 0; i < count; i++) {
                    double v;
                    if (kind == Kind.BERNOULLI) {
                        v = g.nextDouble() < rc.input(0).getAsDouble(i) ? 1 : 0;
                    } else {
                        v = uniform ? RandomFill.uniform(g, a, b) : RandomFill.normal(g, a, b);
                    }
                    Elements.put(y, dtype, i, v);
                }
            }
        };
    }
}
