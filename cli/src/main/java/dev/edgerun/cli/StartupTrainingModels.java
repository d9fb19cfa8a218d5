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
 * Small untrained models that {@code startup-training} benchmarks besides the demo CNN, so that
 * the launcher's class-data sharing archive also holds the classes (kernels, their lambdas and
 * method handles) of the operators the demo lacks: a perceptron (Gemm, Softmax; first, see
 * {@link #perceptron}), a recurrent classifier (LSTM, Gemm), a transformer block (token embedding,
 * attention, LayerNormalization, erf GELU) and a convolutional encoder-decoder (LeakyReLU,
 * ConvTranspose, Concat, Resize, GlobalAveragePool, Sigmoid) and a MobileNet block (depthwise
 * convolution, Clip, a residual Add oneDNN takes, Constant, a folded node, a wide classifier Gemm).
 * Their shapes are small: only which code runs matters, not how long, but some kernel choices
 * depend on sizes (see {@link #invertedResidual}).
 */
final class StartupTrainingModels {
    private static final long OPSET = 17;   // LayerNormalization

    private StartupTrainingModels() {}

    /** Every training model but the demo CNN, in the order to run them (the perceptron first). */
    static List<Model> all() {
        return List.of(perceptron(), recurrent(), transformer(), encoderDecoder(), invertedResidual());
    }

    /**
     * x [1, 32] → Gemm 32→64, Relu → Gemm 64→10 → Softmax: no layer a kernel library takes, so its
     * session starts the Vector API warm-up on a thread of its own (sessions with such layers run
     * it on the library's preload thread) and that code path is in the archive too. The warm-up
     * runs once per process, so this model must be the first the training run compiles.
     */
    static Model perceptron() {
        Random r = new Random(4);
        Graph g = Graph.builder("startup_perceptron")
                .input(Value.tensor("x", DType.FLOAT, 1, 32))
                .output(Value.tensor("probabilities", DType.FLOAT, 1, 10))
                .initializer("w1", random(r, 64, 32)).initializer("b1", random(r, 64))
                .initializer("w2", random(r, 10, 64)).initializer("b2", random(r, 10))
                .node("Gemm", List.of("x", "w1", "b1"), List.of("h0"), Attribute.of("transB", 1L))
                .node("Relu", List.of("h0"), List.of("h"))
                .node("Gemm", List.of("h", "w2", "b2"), List.of("logits"), Attribute.of("transB", 1L))
                .node("Softmax", List.of("logits"), List.of("probabilities"), Attribute.of("axis", -1L))
                .build();
        return model(g);
    }

    /** x [1, 8, 12] → Transpose → LSTM(16) → last hidden state → Gemm 16→5. */
    static Model recurrent() {
        Random r = new Random(1);
        Graph g = Graph.builder("startup_lstm")
                .input(Value.tensor("x", DType.FLOAT, 1, 8, 12))
                .output(Value.tensor("classes", DType.FLOAT, 1, 5))
                .initializer("W", random(r, 1, 64, 12)).initializer("R", random(r, 1, 64, 16))
                .initializer("B", random(r, 1, 128)).initializer("fc_w", random(r, 5, 16))
                .initializer("fc_b", random(r, 5)).initializer("last", Tensor.of(new long[] {0}, 1))
                .node("Transpose", List.of("x"), List.of("steps"), Attribute.of("perm", new long[] {1, 0, 2}))
                .node("LSTM", List.of("steps", "W", "R", "B"), List.of("Y", "Y_h", "Y_c"), Attribute.of("hidden_size", 16L))
                .node("Gather", List.of("Y_h", "last"), List.of("h"), Attribute.of("axis", 0L))
                .node("Reshape", List.of("h", "flat"), List.of("h2"))
                .initializer("flat", Tensor.of(new long[] {1, 16}, 2))
                .node("Gemm", List.of("h2", "fc_w", "fc_b"), List.of("classes"), Attribute.of("transB", 1L))
                .build();
        return model(g);
    }

    /** tokens [1, 8] → embedding 16 + position → one attention block with two heads → mean over tokens. */
    static Model transformer() {
        Random r = new Random(2);
        Graph.Builder b = Graph.builder("startup_transformer")
                .input(Value.tensor("tokens", DType.INT64, 1, 8))
                .output(Value.tensor("pooled", DType.FLOAT, 1, 16))
                .initializer("embedding", random(r, 20, 16)).initializer("position", random(r, 1, 8, 16))
                .initializer("qkv_w", random(r, 16, 48)).initializer("qkv_b", random(r, 48))
                .initializer("proj_w", random(r, 16, 16)).initializer("proj_b", random(r, 16))
                .initializer("ff1_w", random(r, 16, 32)).initializer("ff1_b", random(r, 32))
                .initializer("ff2_w", random(r, 32, 16)).initializer("ff2_b", random(r, 16))
                .initializer("ln_scale", random(r, 16)).initializer("ln_bias", random(r, 16))
                .initializer("split", Tensor.of(new long[] {16, 16, 16}, 3))
                .initializer("heads", Tensor.of(new long[] {1, 8, 2, 8}, 4))
                .initializer("merged", Tensor.of(new long[] {1, 8, 16}, 3))
                .initializer("scale", Tensor.of(new float[] {2.828f}))
                .initializer("sqrt2", Tensor.of(new float[] {1.4142135f}))
                .initializer("one", Tensor.of(new float[] {1f}))
                .initializer("half", Tensor.of(new float[] {0.5f}))
                .node("Gather", List.of("embedding", "tokens"), List.of("embedded"))
                .node("Add", List.of("embedded", "position"), List.of("x"));
        linear(b, "x", "qkv_w", "qkv_b", "qkv");
        b.node("Split", List.of("qkv", "split"), List.of("q0", "k0", "v0"), Attribute.of("axis", 2L));
        for (String t : List.of("q", "k", "v")) b.node("Reshape", List.of(t + "0", "heads"), List.of(t + "1"));
        b.node("Transpose", List.of("q1"), List.of("q"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("Transpose", List.of("k1"), List.of("kT"), Attribute.of("perm", new long[] {0, 2, 3, 1}))
                .node("Transpose", List.of("v1"), List.of("v"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("MatMul", List.of("q", "kT"), List.of("scores0"))
                .node("Div", List.of("scores0", "scale"), List.of("scores"))
                .node("Softmax", List.of("scores"), List.of("weights"), Attribute.of("axis", -1L))
                .node("MatMul", List.of("weights", "v"), List.of("attended0"))
                .node("Transpose", List.of("attended0"), List.of("attended1"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("Reshape", List.of("attended1", "merged"), List.of("attended"));
        linear(b, "attended", "proj_w", "proj_b", "projected");
        b.node("Add", List.of("x", "projected"), List.of("residual"))
                .node("LayerNormalization", List.of("residual", "ln_scale", "ln_bias"), List.of("normed"),
                        Attribute.of("axis", -1L), Attribute.of("epsilon", 1e-5f));
        linear(b, "normed", "ff1_w", "ff1_b", "ff1");
        b.node("Div", List.of("ff1", "sqrt2"), List.of("g0"))
                .node("Erf", List.of("g0"), List.of("g1"))
                .node("Add", List.of("g1", "one"), List.of("g2"))
                .node("Mul", List.of("ff1", "g2"), List.of("g3"))
                .node("Mul", List.of("g3", "half"), List.of("gelu"));
        linear(b, "gelu", "ff2_w", "ff2_b", "ff2");
        b.node("Add", List.of("normed", "ff2"), List.of("out0"))
                .node("ReduceMean", List.of("out0"), List.of("pooled"), Attribute.of("axes", new long[] {1}),
                        Attribute.of("keepdims", 0L));
        return model(b.build());
    }

    /**
     * image [1, 3, 16, 16] → Conv, Relu, MaxPool → Conv, LeakyRelu → ConvTranspose, Concat → Conv 1x1, Relu →
     * Resize x2 → Conv 1x1 → Sigmoid; and GlobalAveragePool → Flatten → Gemm.
     */
    static Model encoderDecoder() {
        Random r = new Random(3);
        Graph.Builder b = Graph.builder("startup_encoder_decoder")
                .input(Value.tensor("image", DType.FLOAT, 1, 3, 16, 16))
                .output(Value.tensor("decoded", DType.FLOAT, 1, 3, 16, 16))
                .output(Value.tensor("pooled", DType.FLOAT, 1, 4))
                .initializer("c1_w", random(r, 8, 3, 3, 3)).initializer("c1_b", random(r, 8))
                .initializer("c2_w", random(r, 16, 8, 3, 3)).initializer("c2_b", random(r, 16))
                .initializer("up_w", random(r, 16, 8, 2, 2)).initializer("up_b", random(r, 8))
                .initializer("c3_w", random(r, 8, 16, 1, 1)).initializer("c3_b", random(r, 8))
                .initializer("c4_w", random(r, 3, 8, 1, 1)).initializer("c4_b", random(r, 3))
                .initializer("fc_w", random(r, 4, 8)).initializer("fc_b", random(r, 4))
                .initializer("twice", Tensor.of(new float[] {1f, 1f, 2f, 2f}, 4));
        long[] same3x3 = {1, 1, 1, 1};
        b.node("Conv", List.of("image", "c1_w", "c1_b"), List.of("e1"), Attribute.of("kernel_shape", new long[] {3, 3}),
                        Attribute.of("pads", same3x3))
                .node("Relu", List.of("e1"), List.of("r1"))
                .node("MaxPool", List.of("r1"), List.of("p1"), Attribute.of("kernel_shape", new long[] {2, 2}),
                        Attribute.of("strides", new long[] {2, 2}))
                .node("Conv", List.of("p1", "c2_w", "c2_b"), List.of("e2"), Attribute.of("kernel_shape", new long[] {3, 3}),
                        Attribute.of("pads", same3x3))
                .node("LeakyRelu", List.of("e2"), List.of("l2"), Attribute.of("alpha", 0.1f))
                .node("ConvTranspose", List.of("l2", "up_w", "up_b"), List.of("u1"),
                        Attribute.of("kernel_shape", new long[] {2, 2}), Attribute.of("strides", new long[] {2, 2}))
                .node("Concat", List.of("u1", "r1"), List.of("joined"), Attribute.of("axis", 1L))
                .node("Conv", List.of("joined", "c3_w", "c3_b"), List.of("d1"), Attribute.of("kernel_shape", new long[] {1, 1}))
                .node("Relu", List.of("d1"), List.of("r3"))
                .node("MaxPool", List.of("r3"), List.of("p3"), Attribute.of("kernel_shape", new long[] {2, 2}),
                        Attribute.of("strides", new long[] {2, 2}))
                .node("Resize", List.of("p3", "", "twice"), List.of("up2"), Attribute.of("mode", "nearest"))
                .node("Conv", List.of("up2", "c4_w", "c4_b"), List.of("d2"), Attribute.of("kernel_shape", new long[] {1, 1}))
                .node("Sigmoid", List.of("d2"), List.of("decoded"))
                .node("GlobalAveragePool", List.of("r3"), List.of("gap"))
                .node("Flatten", List.of("gap"), List.of("flat"))
                .node("Gemm", List.of("flat", "fc_w", "fc_b"), List.of("pooled"), Attribute.of("transB", 1L));
        return model(b.build());
    }

    /**
     * x [1, 16, 16, 16] → depthwise Conv 3x3, Clip(0, 6) → Conv 1x1 → Add x (the residual: 4096
     * elements, oneDNN's binary primitive from NativeKernelRules.BINARY_MIN_ELEMENTS) → GlobalAveragePool,
     * Flatten → Mul by a Constant squared (folded at compile time) → Gemm 16 → 16400 (over
     * GemmKernels.JAVA_GEMV_MAX_WEIGHTS, so a kernel library's GEMM, as MobileNetV2's classifier).
     */
    static Model invertedResidual() {
        Random r = new Random(5);
        int channels = 16, classes = 16_400;
        Tensor two = Tensor.of(new float[] {2f});
        Graph g = Graph.builder("startup_inverted_residual")
                .input(Value.tensor("x", DType.FLOAT, 1, channels, 16, 16))
                .output(Value.tensor("logits", DType.FLOAT, 1, classes))
                .initializer("dw_w", random(r, channels, 1, 3, 3)).initializer("dw_b", random(r, channels))
                .initializer("pw_w", random(r, channels, channels, 1, 1)).initializer("pw_b", random(r, channels))
                .initializer("zero", Tensor.of(new float[] {0f})).initializer("six", Tensor.of(new float[] {6f}))
                .initializer("fc_w", random(r, classes, channels)).initializer("fc_b", random(r, classes))
                .node("Conv", List.of("x", "dw_w", "dw_b"), List.of("dw"), Attribute.of("kernel_shape", new long[] {3, 3}),
                        Attribute.of("pads", new long[] {1, 1, 1, 1}), Attribute.of("group", (long) channels))
                .node("Clip", List.of("dw", "zero", "six"), List.of("dw6"))
                .node("Conv", List.of("dw6", "pw_w", "pw_b"), List.of("pw"), Attribute.of("kernel_shape", new long[] {1, 1}))
                .node("Add", List.of("x", "pw"), List.of("residual"))
                .node("GlobalAveragePool", List.of("residual"), List.of("gap"))
                .node("Flatten", List.of("gap"), List.of("flat"))
                .node("Constant", List.of(), List.of("two"), Attribute.of("value", two))
                .node("Mul", List.of("two", "two"), List.of("four"))
                .node("Mul", List.of("flat", "four"), List.of("scaled"))
                .node("Gemm", List.of("scaled", "fc_w", "fc_b"), List.of("logits"), Attribute.of("transB", 1L))
                .build();
        return Model.builder().graph(g).opset(OPSET).owner(() -> {
            g.initializers().values().forEach(Tensor::close);
            two.close();
        }).build();
    }

    /** {@code out = in · w + bias} as PyTorch exports a Linear layer on a 3-D input. */
    private static void linear(Graph.Builder b, String in, String w, String bias, String out) {
        b.node("MatMul", List.of(in, w), List.of(out + "_product"))
                .node("Add", List.of(bias, out + "_product"), List.of(out));
    }

    private static Model model(Graph g) {
        return Model.builder().graph(g).opset(OPSET).owner(() -> g.initializers().values().forEach(Tensor::close)).build();
    }

    private static Tensor random(Random r, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (r.nextFloat() - 0.5f) * 0.5f;
        return Tensor.of(v, dims);
    }
}
