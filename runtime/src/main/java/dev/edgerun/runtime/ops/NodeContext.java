package dev.edgerun.runtime.ops;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Attribute;
import dev.edgerun.runtime.ir.Graph;
import dev.edgerun.runtime.ir.Node;
import dev.edgerun.runtime.ir.ValueType;
import java.util.List;

/**
 * What an {@link Operator} sees of one node at compile time. Input types are concrete (the
 * executor plans per set of concrete input shapes); inputs that are initializers or folded
 * constants also expose their values.
 */
public interface NodeContext {

    Node node();

    /** The opset version of the node's domain imported by the model. */
    long opset();

    /** Number of inputs listed on the node, omitted optional ones included. */
    int inputCount();

    /** Whether input {@code i} is present (listed with a non-empty name). */
    boolean hasInput(int i);

    /** The type of input {@code i}; a {@link ValueType.TensorType} for tensors. */
    ValueType inputType(int i);

    /** Element type of tensor input {@code i}. */
    default DType inputDType(int i) {
        return tensorType(i).dtype();
    }

    /** Concrete shape of tensor input {@code i}. */
    default Shape inputShape(int i) {
        return tensorType(i).shape();
    }

    private ValueType.TensorType tensorType(int i) {
        if (!hasInput(i)) throw error("input " + i + " is required but missing");
        if (inputType(i) instanceof ValueType.TensorType t) return t;
        throw error("input " + i + " must be a tensor, got " + inputType(i));
    }

    /** The value of input {@code i} when it is known at compile time, else null. */
    Tensor constantInput(int i);

    /** Number of outputs listed on the node. */
    default int outputCount() {
        return node().outputs().size();
    }

    /** Whether output {@code i} is wanted (listed with a non-empty name). */
    default boolean hasOutput(int i) {
        return i < node().outputs().size() && !node().outputs().get(i).isEmpty();
    }

    /** Intra-op threads the session was given (>= 1). */
    int threads();

    /** Compiles a subgraph attribute (If/Loop/Scan bodies); outer-scope names resolve at run time. */
    Subgraph compileSubgraph(Graph body);

    // ------------------------------------------------------------------ attributes

    default boolean hasAttr(String name) {
        return node().attributes().containsKey(name);
    }

    default long attrInt(String name, long dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asInt();
    }

    default float attrFloat(String name, float dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asFloat();
    }

    default String attrString(String name, String dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asString();
    }

    default long[] attrInts(String name, long[] dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asInts();
    }

    default float[] attrFloats(String name, float[] dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asFloats();
    }

    default List<String> attrStrings(String name, List<String> dflt) {
        Attribute a = node().attribute(name);
        return a == null ? dflt : a.asStrings();
    }

    default Tensor attrTensor(String name) {
        Attribute a = node().attribute(name);
        return a == null ? null : a.asTensor();
    }

    default Graph attrGraph(String name) {
        Attribute a = node().attribute(name);
        if (a == null) throw error("attribute '" + name + "' is required");
        return a.asGraph();
    }

    // ------------------------------------------------------------------ errors

    /** A model error at this node: the message is prefixed with node name, op type and opset. */
    EdgerunException error(String message);

    /**
     * A legal use of the operator that this engine does not implement (a dtype, an attribute
     * value): reported with the other unsupported nodes at compile time.
     */
    EdgerunException unsupported(String reason);
}
