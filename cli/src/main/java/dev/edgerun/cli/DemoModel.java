package dev.edgerun.cli;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;
import java.util.Random;

/**
 * The demo's model, built in code with the IR builder: a 64 → 32 → 10 perceptron
 * (Gemm, Relu, Gemm, Softmax) with seeded random weights, so every run of the demo sees the same
 * numbers. The weight tensors are owned by the returned model's {@link Model#close()}.
 */
final class DemoModel {
    static final int IN = 64;
    static final int HIDDEN = 32;
    static final int CLASSES = 10;

    private DemoModel() {}

    static Model build(long seed) {
        Random random = new Random(seed);
        Tensor w1 = weights(random, HIDDEN, IN);   // (hidden, in): Gemm with transB = 1
        Tensor b1 = weights(random, HIDDEN);
        Tensor w2 = weights(random, CLASSES, HIDDEN);
        Tensor b2 = weights(random, CLASSES);
        Graph graph = Graph.builder("demo_mlp")
                .input(Value.tensor("input", DType.FLOAT, 1, IN))
                .output(Value.tensor("probabilities", DType.FLOAT, 1, CLASSES))
                .initializer("w1", w1).initializer("b1", b1).initializer("w2", w2).initializer("b2", b2)
                .node("Gemm", List.of("input", "w1", "b1"), List.of("hidden"), Attribute.of("transB", 1L))
                .node("Relu", List.of("hidden"), List.of("activation"))
                .node("Gemm", List.of("activation", "w2", "b2"), List.of("logits"), Attribute.of("transB", 1L))
                .node("Softmax", List.of("logits"), List.of("probabilities"), Attribute.of("axis", -1L))
                .build();
        return Model.builder().graph(graph).opset(17).producer("edgerun demo", "1")
                .owner(() -> List.of(w1, b1, w2, b2).forEach(Tensor::close))
                .build();
    }

    /** The demo's input: a seeded sample of 64 values in [-1, 1). */
    static Tensor input(long seed) {
        Random random = new Random(seed + 1);
        float[] x = new float[IN];
        for (int i = 0; i < IN; i++) x[i] = random.nextFloat() * 2 - 1;
        return Tensor.of(x, 1, IN);
    }

    /** He-style scaling keeps the activations of random layers in a sensible range. */
    private static Tensor weights(Random random, int... dims) {
        int n = 1;
        for (int d : dims) n *= d;
        float scale = (float) Math.sqrt(2.0 / dims[dims.length - 1]);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian() * scale;
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) shape[i] = dims[i];
        return Tensor.of(v, shape);
    }
}
