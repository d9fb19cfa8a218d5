package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import java.util.List;

/** Helpers over the run-time values of the executor: a {@link Tensor}, a {@code List<Tensor>} (sequence) or null. */
final class Values {
    private Values() {}

    /** The type of a run-time value; null for null (an omitted input or an empty optional). */
    static ValueType typeOf(Object value) {
        if (value == null) return null;
        if (value instanceof Tensor t) return new ValueType.TensorType(t.dtype(), t.shape());
        if (value instanceof List<?> list) return new ValueType.SequenceType(elementType(list));
        throw new IllegalArgumentException("not a tensor or sequence: " + value.getClass().getName());
    }

    private static ValueType elementType(List<?> list) {
        if (list.isEmpty()) return new ValueType.Unknown();
        Tensor first = (Tensor) list.get(0);
        Shape shape = first.shape();
        for (Object o : list) {
            Tensor t = (Tensor) o;
            if (t.dtype() != first.dtype()) return new ValueType.Unknown();
            if (shape != null && !t.shape().sameDims(shape)) shape = null;
        }
        return new ValueType.TensorType(first.dtype(), shape);
    }

    /** A tensor type with a fully known shape: such values are planned in the arena. */
    static boolean isConcreteTensor(ValueType t) {
        return t instanceof ValueType.TensorType tt && tt.dtype() != null && tt.shape() != null && tt.shape().isConcrete();
    }

    static String describe(Object value) {
        if (value == null) return "none";
        ValueType t = typeOf(value);
        return t.toString();
    }
}
