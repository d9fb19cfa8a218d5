package dev.edgerun.finetune.nn;

import dev.edgerun.runtime.ir.Attribute;
import java.util.ArrayList;
import java.util.List;

/** Element-wise activations: Relu, Clip, LeakyRelu, Sigmoid, Tanh. */
public final class Activation implements Layer {
    public enum Kind { RELU, CLIP, LEAKY_RELU, SIGMOID, TANH }

    private final Kind kind;
    private final float a; // Clip min, LeakyRelu alpha
    private final float b; // Clip max
    private float[] x, y;

    private Activation(Kind kind, float a, float b) {
        this.kind = kind;
        this.a = a;
        this.b = b;
    }

    public static Activation relu() { return new Activation(Kind.RELU, 0, 0); }
    public static Activation sigmoid() { return new Activation(Kind.SIGMOID, 0, 0); }
    public static Activation tanh() { return new Activation(Kind.TANH, 0, 0); }
    public static Activation leakyRelu(float alpha) { return new Activation(Kind.LEAKY_RELU, alpha, 0); }
    public static Activation clip(float min, float max) { return new Activation(Kind.CLIP, min, max); }

    @Override
    public String opType() {
        return switch (kind) {
            case RELU -> "Relu";
            case CLIP -> "Clip";
            case LEAKY_RELU -> "LeakyRelu";
            case SIGMOID -> "Sigmoid";
            case TANH -> "Tanh";
        };
    }

    @Override public String describe() { return opType(); }
    @Override public int[] outputShape(int[] in) { return in.clone(); }

    @Override
    public float[] forward(float[] x, int batch, int[] in) {
        this.x = x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = apply(x[i]);
        this.y = y;
        return y;
    }

    private float apply(float v) {
        return switch (kind) {
            case RELU -> Math.max(v, 0f);
            case CLIP -> Math.min(Math.max(v, a), b);
            case LEAKY_RELU -> v >= 0 ? v : a * v;
            case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
        };
    }

    @Override
    public float[] backward(float[] dy) {
        float[] dx = new float[dy.length];
        for (int i = 0; i < dy.length; i++) {
            float v = x[i];
            float d = switch (kind) {
                case RELU -> v > 0 ? 1f : 0f;
                case CLIP -> v > a && v < b ? 1f : 0f;
                case LEAKY_RELU -> v >= 0 ? 1f : a;
                case SIGMOID -> y[i] * (1 - y[i]);
                case TANH -> 1 - y[i] * y[i];
            };
            dx[i] = dy[i] * d;
        }
        return dx;
    }

    @Override
    public String export(GraphSink sink, String input) {
        return switch (kind) {
            case CLIP -> {
                List<String> in = new ArrayList<>(List.of(input, sink.constant("min", new float[] {a}), sink.constant("max", new float[] {b})));
                yield sink.node("Clip", in);
            }
            case LEAKY_RELU -> sink.node("LeakyRelu", List.of(input), Attribute.of("alpha", a));
            default -> sink.node(opType(), List.of(input));
        };
    }
}
