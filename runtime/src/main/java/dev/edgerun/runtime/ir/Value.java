package dev.edgerun.runtime.ir;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;

/** A named value of a graph (input, output or intermediate) with its type. */
public record Value(String name, ValueType type, String docString) {

    public Value {
        if (name == null) throw new IllegalArgumentException("value name is null");
        if (type == null) type = new ValueType.Unknown();
        if (docString == null) docString = "";
    }

    public static Value tensor(String name, DType dtype, Shape shape) {
        return new Value(name, new ValueType.TensorType(dtype, shape), "");
    }

    public static Value tensor(String name, DType dtype, long... dims) {
        return tensor(name, dtype, Shape.of(dims));
    }

    public boolean isTensor() {
        return type instanceof ValueType.TensorType;
    }

    /** The element type of a tensor value, or null for other kinds. */
    public DType dtype() {
        return type instanceof ValueType.TensorType t ? t.dtype() : null;
    }

    /** The shape of a tensor value, or null when unknown or not a tensor. */
    public Shape shape() {
        return type instanceof ValueType.TensorType t ? t.shape() : null;
    }

    @Override
    public String toString() {
        return name + ": " + type;
    }
}
