package dev.edgerun.examples;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.List;

/** Small stateful streaming models built with the IR builder, so the tests know exactly what they compute. */
final class TestModels {
    private TestModels() {}

    /**
     * A "keyword" model that counts its calls in a state: {@code count_out = count_in + 1}, and whose
     * keyword posterior is {@code clip(count_out - 4, 0, 1)}: 0 for the first four windows, 1 from the
     * fifth on, but only if the state really is fed back. Output {@code scores} = (1 - kw, kw).
     */
    static Model counter(int frames, int bands) {
        Graph g = Graph.builder("counter")
                .input(Value.tensor("features", DType.FLOAT, 1, 1, frames, bands))
                .input(Value.tensor("count_in", DType.FLOAT, 1, 1))
                .output(Value.tensor("scores", DType.FLOAT, 1, 2))
                .output(Value.tensor("count_out", DType.FLOAT, 1, 1))
                .initializer("one", Tensor.of(new float[] {1}, 1, 1))
                .initializer("four", Tensor.of(new float[] {4}, 1, 1))
                .initializer("lo", Tensor.scalar(0f))
                .initializer("hi", Tensor.scalar(1f))
                .node("Add", List.of("count_in", "one"), List.of("count_out"))
                .node("Sub", List.of("count_out", "four"), List.of("shifted"))
                .node("Clip", List.of("shifted", "lo", "hi"), List.of("kw"))
                .node("Sub", List.of("one", "kw"), List.of("bg"))
                .node("Concat", List.of("bg", "kw"), List.of("scores"), Attribute.of("axis", 1L))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }

    /**
     * A voice-activity model with a leaky energy state: {@code h_out = 0.5 h_in + mean(audio^2)},
     * {@code speech = sigmoid(1e4 (h_out - 1e-4))}: about 0.27 on silence, about 1 on speech.
     */
    static Model energyVad(int samples) {
        Graph g = Graph.builder("vad")
                .input(Value.tensor("audio", DType.FLOAT, 1, samples))
                .input(Value.tensor("h_in", DType.FLOAT, 1, 1))
                .output(Value.tensor("speech", DType.FLOAT, 1, 1))
                .output(Value.tensor("h_out", DType.FLOAT, 1, 1))
                .initializer("half", Tensor.scalar(0.5f))
                .initializer("floor", Tensor.scalar(1e-4f))
                .initializer("gain", Tensor.scalar(1e4f))
                .node("Mul", List.of("audio", "audio"), List.of("power"))
                .node("ReduceMean", List.of("power"), List.of("energy"), Attribute.of("axes", new long[] {1}), Attribute.of("keepdims", 1L))
                .node("Mul", List.of("h_in", "half"), List.of("leak"))
                .node("Add", List.of("leak", "energy"), List.of("h_out"))
                .node("Sub", List.of("h_out", "floor"), List.of("above"))
                .node("Mul", List.of("above", "gain"), List.of("logit"))
                .node("Sigmoid", List.of("logit"), List.of("speech"))
                .build();
        return Model.builder().graph(g).opset(17).build();
    }
}
