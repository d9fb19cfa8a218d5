package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;

/** Small models built in code with the shapes of the shared mlp_tiny and kws_dscnn models. */
final class SteadyStateModels {
    private SteadyStateModels() {}

    static float[] values(int n, int seed) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = ((i * 7919 + seed * 104729) % 201 - 100) / 400f;
        return r;
    }

    /** x[1,64] -> Gemm(128) -> Relu -> Gemm(10) -> y, as mlp_tiny. */
    static Model mlp() {
        Graph g = Graph.builder("mlp")
                .input(Value.tensor("x", DType.FLOAT, 1, 64))
                .initializer("w1", Tensor.of(values(128 * 64, 1), 128, 64))
                .initializer("b1", Tensor.of(values(128, 2), 128))
                .initializer("w2", Tensor.of(values(10 * 128, 3), 10, 128))
                .initializer("b2", Tensor.of(values(10, 4), 10))
                .node("Gemm", List.of("x", "w1", "b1"), List.of("h"), Attribute.of("transB", 1L))
                .node("Relu", List.of("h"), List.of("r"))
                .node("Gemm", List.of("r", "w2", "b2"), List.of("y"), Attribute.of("transB", 1L))
                .output(Value.tensor("y", DType.FLOAT, 1, 10))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * x[1,1,49,10] -> Conv 3x3(16) -> BatchNormalization -> Relu -> depthwise Conv 3x3 -> Clip(0,6)
     * -> Conv 1x1(16) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(12) -> y, as kws_dscnn.
     */
    static Model dscnn() {
        int c = 16;
        Graph g = Graph.builder("dscnn")
                .input(Value.tensor("x", DType.FLOAT, 1, 1, 49, 10))
                .initializer("w0", Tensor.of(values(c * 9, 5), c, 1, 3, 3))
                .initializer("b0", Tensor.of(values(c, 6), c))
                .initializer("scale", Tensor.of(ones(c, 1.5f), c))
                .initializer("shift", Tensor.of(values(c, 7), c))
                .initializer("mean", Tensor.of(values(c, 8), c))
                .initializer("var", Tensor.of(ones(c, 0.5f), c))
                .initializer("wd", Tensor.of(values(c * 9, 9), c, 1, 3, 3))
                .initializer("wp", Tensor.of(values(c * c, 10), c, c, 1, 1))
                .initializer("lo", Tensor.scalar(0f))
                .initializer("hi", Tensor.scalar(6f))
                .initializer("wf", Tensor.of(values(12 * c, 11), 12, c))
                .initializer("bf", Tensor.of(values(12, 12), 12))
                .node("Conv", List.of("x", "w0", "b0"), List.of("c0"), Attribute.of("pads", new long[] {1, 1, 1, 1}))
                .node("BatchNormalization", List.of("c0", "scale", "shift", "mean", "var"), List.of("n0"))
                .node("Relu", List.of("n0"), List.of("r0"))
                .node("Conv", List.of("r0", "wd"), List.of("d1"), Attribute.of("pads", new long[] {1, 1, 1, 1}),
                        Attribute.of("group", (long) c))
                .node("Clip", List.of("d1", "lo", "hi"), List.of("r1"))
                .node("Conv", List.of("r1", "wp"), List.of("p1"))
                .node("Relu", List.of("p1"), List.of("r2"))
                .node("GlobalAveragePool", List.of("r2"), List.of("g"))
                .node("Flatten", List.of("g"), List.of("f"))
                .node("Gemm", List.of("f", "wf", "bf"), List.of("y"), Attribute.of("transB", 1L))
                .output(Value.tensor("y", DType.FLOAT, 1, 12))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * x[1,16,32,32] -> Conv 3x3(32) -> Relu -> Conv 1x1(32) -> Relu -> MaxPool 4x4/4 -> Flatten ->
     * Gemm(512) -> y: every product reaches the Java kernels' threading threshold
     * ({@code F32Gemm.PARALLEL_MIN_MACS}, 2^20 multiply-adds: 4.7 M, 1.0 M, and 1.0 M for the
     * one-row head, which splits into four column groups), so at 2 threads each is split.
     */
    static Model convBlock() {
        Graph g = Graph.builder("convBlock")
                .input(Value.tensor("x", DType.FLOAT, 1, 16, 32, 32))
                .initializer("w0", Tensor.of(values(32 * 16 * 9, 13), 32, 16, 3, 3))
                .initializer("b0", Tensor.of(values(32, 14), 32))
                .initializer("w1", Tensor.of(values(32 * 32, 15), 32, 32, 1, 1))
                .initializer("b1", Tensor.of(values(32, 16), 32))
                .initializer("wf", Tensor.of(values(512 * 2048, 17), 512, 2048))
                .initializer("bf", Tensor.of(values(512, 18), 512))
                .node("Conv", List.of("x", "w0", "b0"), List.of("c0"), Attribute.of("pads", new long[] {1, 1, 1, 1}))
                .node("Relu", List.of("c0"), List.of("r0"))
                .node("Conv", List.of("r0", "w1", "b1"), List.of("c1"))
                .node("Relu", List.of("c1"), List.of("r1"))
                .node("MaxPool", List.of("r1"), List.of("p"), Attribute.of("kernel_shape", new long[] {4, 4}),
                        Attribute.of("strides", new long[] {4, 4}))
                .node("Flatten", List.of("p"), List.of("f"))
                .node("Gemm", List.of("f", "wf", "bf"), List.of("y"), Attribute.of("transB", 1L))
                .output(Value.tensor("y", DType.FLOAT, 1, 512))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * Self-attention over x[1,4,128,32] (4 heads of 32, 128 positions, x as Q, K and V):
     * Softmax(x . x^T / sqrt(32)) . x -> Transpose -> Reshape [1,128,128] -> LayerNormalization ->
     * MatMul [128,128] -> y. The three products have 2.1 M multiply-adds each, above the Java
     * kernels' threading threshold; the softmax and normalization rows stay under theirs.
     */
    static Model attention() {
        float[] ones = ones(128, 1f);
        Graph g = Graph.builder("attention")
                .input(Value.tensor("x", DType.FLOAT, 1, 4, 128, 32))
                .initializer("scale", Tensor.scalar((float) Math.sqrt(32)))
                .initializer("shape", Tensor.of(new long[] {1, 128, 128}, 3))
                .initializer("gamma", Tensor.of(ones, 128))
                .initializer("beta", Tensor.of(values(128, 19), 128))
                .initializer("wo", Tensor.of(values(128 * 128, 20), 128, 128))
                .node("Transpose", List.of("x"), List.of("xt"), Attribute.of("perm", new long[] {0, 1, 3, 2}))
                .node("MatMul", List.of("x", "xt"), List.of("s"))
                .node("Div", List.of("s", "scale"), List.of("sd"))
                .node("Softmax", List.of("sd"), List.of("p"), Attribute.of("axis", -1L))
                .node("MatMul", List.of("p", "x"), List.of("o"))
                .node("Transpose", List.of("o"), List.of("ot"), Attribute.of("perm", new long[] {0, 2, 1, 3}))
                .node("Reshape", List.of("ot", "shape"), List.of("h"))
                .node("LayerNormalization", List.of("h", "gamma", "beta"), List.of("n"), Attribute.of("axis", -1L))
                .node("MatMul", List.of("n", "wo"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT, 1, 128, 128))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * x[1,16,128,128] -> MaxPool 2x2/2 -> Sigmoid -> Clip(0.1, 0.9); y = clip + AveragePool 2x2/2 of
     * x: pooling inputs of 256 K elements (two ranges of {@code F32PoolRows.ranges} at 2 threads)
     * and element-wise outputs of 64 K, the least that {@code ElementwiseBinary} splits.
     */
    static Model rowOps() {
        Graph g = Graph.builder("rowOps")
                .input(Value.tensor("x", DType.FLOAT, 1, 16, 128, 128))
                .initializer("lo", Tensor.scalar(0.1f))
                .initializer("hi", Tensor.scalar(0.9f))
                .node("MaxPool", List.of("x"), List.of("p"), Attribute.of("kernel_shape", new long[] {2, 2}),
                        Attribute.of("strides", new long[] {2, 2}))
                .node("Sigmoid", List.of("p"), List.of("s"))
                .node("Clip", List.of("s", "lo", "hi"), List.of("c"))
                .node("AveragePool", List.of("x"), List.of("a"), Attribute.of("kernel_shape", new long[] {2, 2}),
                        Attribute.of("strides", new long[] {2, 2}))
                .node("Add", List.of("c", "a"), List.of("y"))
                .output(Value.tensor("y", DType.FLOAT, 1, 16, 64, 64))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * x[1,16,256,256] -> LayerNormalization -> Softmax -> y, both over the last axis: 1 M elements,
     * the least that the Java normalization and softmax rows split over threads.
     */
    static Model normRows() {
        Graph g = Graph.builder("normRows")
                .input(Value.tensor("x", DType.FLOAT, 1, 16, 256, 256))
                .initializer("gamma", Tensor.of(values(256, 21), 256))
                .initializer("beta", Tensor.of(values(256, 22), 256))
                .node("LayerNormalization", List.of("x", "gamma", "beta"), List.of("n"), Attribute.of("axis", -1L))
                .node("Softmax", List.of("n"), List.of("y"), Attribute.of("axis", -1L))
                .output(Value.tensor("y", DType.FLOAT, 1, 16, 256, 256))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * x[1,8,17,17,17] -> Conv 3x3x3(8), pads 1 -> y: a 3-D convolution builds its im2col columns
     * without the padded copy, 216 x 4913 elements (above the 2^20 at which they are built on two
     * threads), then multiplies with the packed GEMM split over threads (7.6 M multiply-adds).
     */
    static Model conv3d() {
        Graph g = Graph.builder("conv3d")
                .input(Value.tensor("x", DType.FLOAT, 1, 8, 17, 17, 17))
                .initializer("w", Tensor.of(values(8 * 8 * 27, 23), 8, 8, 3, 3, 3))
                .initializer("b", Tensor.of(values(8, 24), 8))
                .node("Conv", List.of("x", "w", "b"), List.of("y"), Attribute.of("pads", new long[] {1, 1, 1, 1, 1, 1}))
                .output(Value.tensor("y", DType.FLOAT, 1, 8, 17, 17, 17))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    static Shape inputShape(Model m) {
        return m.graph().inputs().get(0).shape();
    }

    private static float[] ones(int n, float v) {
        float[] r = new float[n];
        java.util.Arrays.fill(r, v);
        return r;
    }
}
