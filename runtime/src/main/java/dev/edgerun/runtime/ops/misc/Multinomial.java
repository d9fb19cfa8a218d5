package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.kernels.RandomFill;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * ONNX Multinomial (opsets 7, 22): {@code sample_size} class indices per batch row, drawn from the
 * softmax of the row's unnormalized log-probabilities [batch, classes]. Nondeterministic.
 */
public final class Multinomial implements Operator {
    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        if (x.rank() != 2) throw ctx.error("input must be [batch, classes], got " + x);
        DType dtype = DType.fromOnnx((int) ctx.attrInt("dtype", DType.INT32.onnxCode()));
        if (dtype != DType.INT32 && dtype != DType.INT64) throw ctx.error("dtype must be int32 or int64, got " + dtype.onnxName());
        int samples = (int) ctx.attrInt("sample_size", 1);
        boolean seeded = ctx.hasAttr("seed");
        long seed = Float.floatToIntBits(ctx.attrFloat("seed", 0f));
        int batch = (int) x.dim(0), classes = (int) x.dim(1);
        List<ValueType> types = List.of(ValueType.tensor(dtype, Shape.of(batch, samples)));
        return new Kernel() {
            @Override public List<ValueType> outputTypes() { return types; }
            @Override public boolean nondeterministic() { return true; }
            @Override public void run(RunContext rc) {
                RandomGenerator g = RandomFill.generator(seeded, seed);
                for (int b = 0; b < batch; b++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) max = Math.max(max, rc.input(0).getAsDouble((long) b * classes + c));
                    double total = 0;
                    for (int c = 0; c < classes; c++) total += Math.exp(rc.input(0).getAsDouble((long) b * classes + c) - max);
                    for (int s = 0; s < samples; s++) {
                        double u = g.nextDouble() * total;
                        int pick = classes - 1;
                        double cumulative = 0;
                        for (int c = 0; c < classes; c++) {
                            cumulative += Math.exp(rc.input(0).getAsDouble((long) b * classes + c) - max);
                            if (u < cumulative) {
                                pick = c;
                                break;
                            }
                        }
                        Elements.put(rc.output(0).data(), dtype, (long) b * samples + s, pick);
                    }
                }
            }
        };
    }
}
