package dev.edgerun.finetune;

import dev.edgerun.finetune.nn.Activation;
import dev.edgerun.finetune.nn.BatchNorm;
import dev.edgerun.finetune.nn.ConstBinary;
import dev.edgerun.finetune.nn.Conv2d;
import dev.edgerun.finetune.nn.Dense;
import dev.edgerun.finetune.nn.GlobalAveragePool;
import dev.edgerun.finetune.nn.Layer;
import dev.edgerun.finetune.nn.Param;
import dev.edgerun.finetune.nn.Pool2d;
import dev.edgerun.finetune.nn.Reshape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Node;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** ONNX nodes of the part of a backbone that trains, as {@link Layer}s holding copies of their weights. */
final class LayerImporter {
    /** Operators that can be trained through, and the ones among them that hold weights. */
    static final Set<String> SUPPORTED = Set.of("Gemm", "MatMul", "Conv", "Add", "Mul", "Relu", "Clip", "LeakyRelu",
            "Sigmoid", "Tanh", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape",
            "BatchNormalization", "Dropout", "Identity");
    static final Set<String> WEIGHTED = Set.of("Gemm", "MatMul", "Conv");

    private LayerImporter() {}

    /** The layer for {@code n}, or null for a node that does nothing at inference (Dropout, Identity). */
    static Layer toLayer(Node n, Map<String, Tensor> init, long opset) {
        String op = n.opType();
        return switch (op) {
            case "Gemm" -> gemm(n, init);
            case "MatMul" -> new Dense(new Param(n.name() + ".weight", transpose(floats(n, init, 1), dims(n, init, 1)), true,
                    dims(n, init, 1)[1], dims(n, init, 1)[0]), null);
            case "Conv" -> conv(n, init);
            case "Add", "Mul" -> new ConstBinary(op.equals("Mul"), new Param(n.name() + ".operand", floats(n, init, 1), false, dims(n, init, 1)));
            case "Relu" -> Activation.relu();
            case "Sigmoid" -> Activation.sigmoid();
            case "Tanh" -> Activation.tanh();
            case "LeakyRelu" -> Activation.leakyRelu(floatAttr(n, "alpha", 0.01f));
            case "Clip" -> clip(n, init, opset);
            case "MaxPool", "AveragePool" -> pool(n);
            case "GlobalAveragePool" -> new GlobalAveragePool();
            case "Flatten" -> {
                if (intAttr(n, "axis", 1) != 1) throw unsupported(n, "Flatten with axis other than 1");
                yield Reshape.flatten();
            }
            case "Reshape" -> {
                int[] shape = Arrays.stream(init(n, init, 1).toLongArray()).mapToInt(v -> (int) v).toArray();
                yield Reshape.to(Arrays.copyOfRange(shape, 1, shape.length));
            }
            case "BatchNormalization" -> new BatchNorm(new Param(n.name() + ".scale", floats(n, init, 1), false, dims(n, init, 1)),
                    new Param(n.name() + ".bias", floats(n, init, 2), false, dims(n, init, 2)), floats(n, init, 3), floats(n, init, 4),
                    floatAttr(n, "epsilon", 1e-5f));
            case "Dropout", "Identity" -> null;
            default -> throw unsupported(n, "no backward rule; trainable operators: " + SUPPORTED);
        };
    }

    private static Layer gemm(Node n, Map<String, Tensor> init) {
        if (intAttr(n, "transA", 0) != 0) throw unsupported(n, "Gemm with transA=1");
        float alpha = floatAttr(n, "alpha", 1f), beta = floatAttr(n, "beta", 1f);
        int[] d = dims(n, init, 1);
        float[] w = floats(n, init, 1);
        boolean transB = intAttr(n, "transB", 0) != 0;
        if (!transB) w = transpose(w, d);
        int out = transB ? d[0] : d[1], in = transB ? d[1] : d[0];
        for (int i = 0; i < w.length; i++) w[i] *= alpha;
        Param bias = null;
        if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) {
            float[] c = floats(n, init, 2);
            float[] b = new float[out];
            for (int i = 0; i < out; i++) b[i] = beta * (c.length == 1 ? c[0] : c[c.length == out ? i : i % c.length]);
            bias = new Param(n.name() + ".bias", b, false, out);
        }
        return new Dense(new Param(n.name() + ".weight", w, true, out, in), bias);
    }

    private static Layer conv(Node n, Map<String, Tensor> init) {
        String autoPad = n.attributes().containsKey("auto_pad") ? n.attribute("auto_pad").asString() : "NOTSET";
        if (!autoPad.equals("NOTSET")) throw unsupported(n, "Conv with auto_pad=" + autoPad + " (explicit pads only)");
        int[] wd = dims(n, init, 1);
        if (wd.length != 4) throw unsupported(n, "Conv that is not 2-D");
        Param bias = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()
                ? new Param(n.name() + ".bias", floats(n, init, 2), false, wd[0]) : null;
        return new Conv2d(new Param(n.name() + ".weight", floats(n, init, 1), true, wd), bias, (int) intAttr(n, "group", 1),
                ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]), ints(n, "dilations", new int[] {1, 1}));
    }

    private static Layer pool(Node n) {
        if (intAttr(n, "ceil_mode", 0) != 0) throw unsupported(n, n.opType() + " with ceil_mode=1");
        int[] k = ints(n, "kernel_shape", null);
        if (k == null || k.length != 2) throw unsupported(n, n.opType() + " that is not 2-D");
        int[] dil = ints(n, "dilations", new int[] {1, 1});
        if (dil[0] != 1 || dil[1] != 1) throw unsupported(n, n.opType() + " with dilations");
        return new Pool2d(n.opType().equals("MaxPool"), k, ints(n, "strides", new int[] {1, 1}), ints(n, "pads", new int[4]),
                intAttr(n, "count_include_pad", 0) != 0);
    }

    private static Layer clip(Node n, Map<String, Tensor> init, long opset) {
        float min = -Float.MAX_VALUE, max = Float.MAX_VALUE;
        if (opset < 11) {
            min = floatAttr(n, "min", min);
            max = floatAttr(n, "max", max);
        } else {
            if (n.inputs().size() > 1 && !n.inputs().get(1).isEmpty()) min = floats(n, init, 1)[0];
            if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty()) max = floats(n, init, 2)[0];
        }
        return Activation.clip(min, max);
    }

    private static Tensor init(Node n, Map<String, Tensor> init, int input) {
        String name = n.inputs().get(input);
        Tensor t = init.get(name);
        if (t == null) throw unsupported(n, "input " + input + " ('" + name + "') is not a constant initializer");
        return t;
    }

    private static float[] floats(Node n, Map<String, Tensor> init, int input) {
        return init(n, init, input).toFloatArrayConverted();
    }

    private static int[] dims(Node n, Map<String, Tensor> init, int input) {
        int[] d = init(n, init, input).shape().intDims();
        return d.length == 0 ? new int[] {1} : d;
    }

    private static float[] transpose(float[] w, int[] d) {
        if (d.length != 2) throw new FinetuneException("expected a 2-D weight, got " + Arrays.toString(d));
        float[] t = new float[w.length];
        for (int r = 0; r < d[0]; r++) for (int c = 0; c < d[1]; c++) t[c * d[0] + r] = w[r * d[1] + c];
        return t;
    }

    private static long intAttr(Node n, String name, long dflt) {
        Attribute a = n.attributes().get(name);
        return a == null ? dflt : a.asInt();
    }

    private static float floatAttr(Node n, String name, float dflt) {
        Attribute a = n.attributes().get(name);
        return a == null ? dflt : a.asFloat();
    }

    private static int[] ints(Node n, String name, int[] dflt) {
        Attribute a = n.attributes().get(name);
        return a == null ? dflt : Arrays.stream(a.asInts()).mapToInt(v -> (int) v).toArray();
    }

    private static FinetuneException unsupported(Node n, String why) {
        return new FinetuneException("cannot train through node '" + n.label() + "' (" + n.opType() + "): " + why
                + "; use a smaller --unfreeze or a later --cut");
    }

    static List<String> dataInputs(Node n, Map<String, Tensor> init) {
        return n.inputs().stream().filter(i -> !i.isEmpty() && !init.containsKey(i)).toList();
    }
}
