package dev.edgerun.quant;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Node;

/** Where the weight of a Conv, MatMul or Gemm node is and along which axis its output channels run. */
final class Weights {
    private Weights() {}

    /** The input index of the weight, or -1 when the node's weight is not a float initializer this module quantizes. */
    static int weightInput(Node n, Rewrite rw) {
        int i = switch (n.opType()) {
            case "Conv", "MatMul", "Gemm" -> 1;
            default -> -1;
        };
        if (i < 0 || n.inputs().size() <= i || !rw.isInitializer(n.inputs().get(i))) return -1;
        Tensor w = rw.initializer(n.inputs().get(i));
        if (w.dtype() != dev.edgerun.runtime.DType.FLOAT) return -1;
        int rank = w.shape().rank();
        return switch (n.opType()) {
            case "Conv" -> rank >= 3 ? i : -1;
            case "Gemm" -> rank == 2 ? i : -1;
            default -> rank >= 2 ? i : -1;
        };
    }

    /** The output-channel axis of the weight: 0 for Conv and transposed Gemm, the last axis otherwise. */
    static int channelAxis(Node n, Tensor w) {
        return switch (n.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> intAttr(n, "transB", 0) == 1 ? 0 : 1;
            default -> w.shape().rank() == 2 ? 1 : -1;
        };
    }

    static long intAttr(Node n, String name, long dflt) {
        Attribute a = n.attribute(name);
        return a == null ? dflt : a.asInt();
    }

    static float floatAttr(Node n, String name, float dflt) {
        Attribute a = n.attribute(name);
        return a == null ? dflt : a.asFloat();
    }
}
