package dev.edgerun.runtime.ir;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;

/**
 * The type of a graph value, as ONNX's {@code TypeProto}: a tensor (the common case), or a
 * sequence, optional, map or sparse tensor of other types.
 */
public sealed interface ValueType {

    /** A dense tensor; {@code shape} is null when even the rank is unknown. */
    record TensorType(DType dtype, Shape shape) implements ValueType {
        @Override
        public String toString() {
            return dtype.onnxName() + (shape == null ? "[?]" : shape.toString());
        }
    }

    record SparseTensorType(DType dtype, Shape shape) implements ValueType {}

    record SequenceType(ValueType element) implements ValueType {
        @Override
        public String toString() {
            return "seq(" + element + ")";
        }
    }

    record OptionalType(ValueType element) implements ValueType {
        @Override
        public String toString() {
            return "optional(" + element + ")";
        }
    }

    record MapType(DType keyType, ValueType valueType) implements ValueType {}

    /** The type was not given in the model. */
    record Unknown() implements ValueType {}

    static TensorType tensor(DType dtype, Shape shape) {
        return new TensorType(dtype, shape);
    }
}
