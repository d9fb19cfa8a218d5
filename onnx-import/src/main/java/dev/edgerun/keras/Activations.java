package dev.edgerun.keras;

import dev.edgerun.runtime.ir.Attribute;
import java.util.List;

/**
 * Keras' built-in activation functions (the {@code activation} argument of Dense, Conv, RNN
 * layers and the Activation layer) as ONNX nodes. Element-wise, so they keep the input's layout;
 * softmax and log_softmax act on the Keras last axis wherever the layout put it.
 */
public final class Activations {
    /** Names accepted in {@code activation}. */
    public static final List<String> NAMES = List.of("linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
            "elu", "selu", "softplus", "softsign", "exponential", "hard_sigmoid", "swish", "silu", "gelu", "relu6",
            "leaky_relu", "mish", "hard_silu", "hard_swish", "log_sigmoid", "celu", "hard_tanh", "hard_shrink",
            "soft_shrink", "tanh_shrink", "squareplus", "sparse_plus", "glu");

    private Activations() {}

    /** The activation named in the layer's {@code activation} config key (default linear). */
    public static KTensor apply(LayerContext c, KTensor x) {
        return apply(c, x, name(c, "activation"));
    }

    /** Reads an activation name: a string, or a Keras 3 serialized built-in function object. */
    public static String name(LayerContext c, String key) {
        Config cfg = c.config();
        if (!cfg.has(key)) return "linear";
        Object v = cfg.raw(key);
        if (v instanceof String s) return s;
        Config obj = cfg.object(key);
        if (obj.has("config") && obj.raw("config") instanceof String s) return s;
        String cls = obj.string("class_name", "?");
        throw c.unsupported("activation '" + cls + "' is a custom function; only Keras' built-in activations "
                + NAMES + " can be imported, because a Python function's code is not in the file");
    }

    public static KTensor apply(LayerContext c, KTensor x, String activation) {
        GraphEmitter g = c.g();
        String in = x.name();
        String out = switch (activation) {
            case "linear", "None" -> in;
            case "relu" -> g.node("Relu", List.of(in));
            case "sigmoid" -> g.node("Sigmoid", List.of(in));
            case "tanh" -> g.node("Tanh", List.of(in));
            case "softmax" -> g.node("Softmax", List.of(in), Attribute.of("axis", (long) x.irAxis(-1)));
            case "log_softmax" -> g.node("LogSoftmax", List.of(in), Attribute.of("axis", (long) x.irAxis(-1)));
            case "elu" -> g.node("Elu", List.of(in), Attribute.of("alpha", 1.0f));
            case "selu" -> g.node("Selu", List.of(in));
            case "softplus" -> g.node("Softplus", List.of(in));
            case "softsign" -> g.node("Softsign", List.of(in));
            case "exponential" -> g.node("Exp", List.of(in));
            case "hard_sigmoid" -> hardSigmoid(c, in);
            case "swish", "silu" -> g.node("Mul", List.of(in, g.node("Sigmoid", List.of(in))));
            case "hard_silu", "hard_swish" -> g.node("HardSwish", List.of(in));
            case "gelu" -> gelu(g, in);
            case "relu6" -> clip(g, in, 0f, 6f);
            case "leaky_relu" -> g.node("LeakyRelu", List.of(in), Attribute.of("alpha", 0.2f));
            case "mish" -> g.node("Mul", List.of(in, g.node("Tanh", List.of(g.node("Softplus", List.of(in))))));
            case "log_sigmoid" -> g.node("Neg", List.of(g.node("Softplus", List.of(g.node("Neg", List.of(in))))));
            case "celu" -> g.node("Celu", List.of(in), Attribute.of("alpha", 1.0f));
            case "hard_tanh" -> clip(g, in, -1f, 1f);
            case "hard_shrink" -> g.node("Shrink", List.of(in), Attribute.of("lambd", 0.5f));
            case "soft_shrink" -> g.node("Shrink", List.of(in), Attribute.of("lambd", 0.5f), Attribute.of("bias", 0.5f));
            case "tanh_shrink" -> g.node("Sub", List.of(in, g.node("Tanh", List.of(in))));
            case "squareplus" -> squareplus(g, in);
            case "sparse_plus" -> sparsePlus(g, in);
            case "glu" -> {
                // halves a, b of the last axis: a * sigmoid(b)
                if (x.channels() < 0 || x.channels() % 2 != 0) throw c.unsupported("glu needs an even, known last dimension");
                List<String> ab = g.nodeOutputs("Split", List.of(g.channelsLast(x)), 2, Attribute.of("axis", -1L));
                yield g.node("Mul", List.of(ab.get(0), g.node("Sigmoid", List.of(ab.get(1)))));
            }
            default -> throw c.unsupported("activation '" + activation + "' is not one of " + NAMES);
        };
        if (activation.equals("glu")) {
            long[] shape = x.shape();
            shape[shape.length - 1] /= 2;
            return KTensor.channelsLast(out, shape, x.dtype());
        }
        return x.derive(out, x.shape());
    }

    /** Keras 2: clip(0.2x + 0.5); Keras 3: relu6(x + 3) / 6, the same as clip(x/6 + 0.5). */
    private static String hardSigmoid(LayerContext c, String in) {
        float alpha = c.kerasMajor() >= 3 ? 1f / 6f : 0.2f;
        return c.g().node("HardSigmoid", List.of(in), Attribute.of("alpha", alpha), Attribute.of("beta", 0.5f));
    }

    /** (x + sqrt(x^2 + 4)) / 2, Keras' default b = 4. */
    private static String squareplus(GraphEmitter g, String in) {
        String root = g.node("Sqrt", List.of(g.node("Add", List.of(g.node("Mul", List.of(in, in)), g.scalar("b", 4f)))));
        return g.node("Mul", List.of(g.node("Add", List.of(in, root)), g.scalar("half", 0.5f)));
    }

    /** 0 below -1, x above 1, (x + 1)^2 / 4 between. */
    private static String sparsePlus(GraphEmitter g, String in) {
        String one = g.scalar("one", 1f);
        String mid = g.node("Mul", List.of(g.node("Pow", List.of(g.node("Add", List.of(in, one)), g.scalar("two", 2f))),
                g.scalar("quarter", 0.25f)));
        String upper = g.node("Where", List.of(g.node("GreaterOrEqual", List.of(in, one)), in, mid));
        return g.node("Where", List.of(g.node("LessOrEqual", List.of(in, g.scalar("minus_one", -1f))), g.scalar("zero", 0f), upper));
    }

    /** Exact GELU: 0.5 x (1 + erf(x / sqrt 2)) (Keras' default, approximate=False). */
    static String gelu(GraphEmitter g, String in) {
        String scaled = g.node("Div", List.of(in, g.scalar("sqrt2", (float) Math.sqrt(2.0))));
        String erf1 = g.node("Add", List.of(g.node("Erf", List.of(scaled)), g.scalar("one", 1f)));
        return g.node("Mul", List.of(g.node("Mul", List.of(in, erf1)), g.scalar("half", 0.5f)));
    }

    /** Clip(x, lo, hi); {@code hi} may be infinite. */
    public static String clip(GraphEmitter g, String in, float lo, float hi) {
        return g.node("Clip", List.of(in, g.scalar("min", lo), g.scalar("max", hi)));
    }
}
