package dev.edgerun.runtime.ops;

/**
 * One ONNX operator (or a small family sharing a kernel) on the native engine: it owns attribute
 * parsing, shape and type inference, and the kernel choice for one node. Implementations are
 * stateless; everything a node needs is captured in the {@link Kernel} that {@link #prepare}
 * returns. Registered in {@link OperatorRegistry}.
 */
@FunctionalInterface
public interface Operator {

    /**
     * Plans one node at compile time. The context gives the node's attributes, its opset, the
     * dtype and concrete shape of every input, and the value of inputs that are constant.
     *
     * @return the node's kernel, which declares the output types
     * @throws dev.edgerun.runtime.ModelFormatException for inputs or attributes the spec forbids
     *         (use {@link NodeContext#error})
     * @throws dev.edgerun.runtime.UnsupportedOperatorException for a legal case not implemented
     *         (use {@link NodeContext#unsupported})
     */
    Kernel prepare(NodeContext ctx);
}
