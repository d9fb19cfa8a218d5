package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.ops.NodeContext;

/**
 * An activation fused into Conv, Gemm or MatMul by the engine's graph optimizer: the node carries
 * it as two engine-internal attributes, and the kernel applies it to finished output values while
 * they are in cache ({@link F32GemmEpilogue}), with the same loops as the stand-alone operator, or
 * a native library runs it inside its primitive ({@link ActivationEpilogue} says which it is).
 */
public final class FusedActivation {
    /** The activation: {@code Relu}, {@code Clip}, {@code LeakyRelu}, {@code Sigmoid} or {@code HardSwish}. */
    public static final String ATTR = "edgerun.fused_activation";
    /** Its parameters: Clip {@code [min, max]}, LeakyRelu {@code [alpha]}. */
    public static final String PARAMS_ATTR = "edgerun.fused_activation_params";

    private FusedActivation() {}

    /** The element-wise operation for an activation name, or null when it cannot be fused. */
    public static F32UnaryOp operation(String activation) {
        return switch (activation) {
            case "Relu" -> F32UnaryOp.RELU;
            case "Clip" -> F32UnaryOp.CLIP;
            case "LeakyRelu" -> F32UnaryOp.LEAKY_RELU;
            case "Sigmoid" -> F32UnaryOp.SIGMOID;
            case "HardSwish" -> F32UnaryOp.HARD_SWISH;
            default -> null;
        };
    }

    /** The epilogue the node's attributes ask for, or null when none was fused. */
    static F32GemmEpilogue epilogue(NodeContext ctx) {
        String name = ctx.attrString(ATTR, null);
        if (name == null) return null;
        F32UnaryOp op = operation(name);
        if (op == null) throw ctx.error("unknown fused activation '" + name + "'");
        float[] params = ctx.attrFloats(PARAMS_ATTR, new float[0]);
        float p = params.length > 0 ? params[0] : 0f;
        float q = params.length > 1 ? params[1] : 0f;
        return new ActivationEpilogue(op, p, q);
    }
}
