package dev.edgerun.runtime.ops.control;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Copies between a tensor and its slices along one axis: what Scan reads per iteration and what
 * Loop and Scan stack their per-iteration outputs into. Byte-wise, so every fixed-width dtype works.
 */
final class AxisSlices {
    private AxisSlices() {}

    /** The shape of {@code shape} without dimension {@code axis}. */
    static Shape without(Shape shape, int axis) {
        long[] d = shape.dims();
        long[] r = new long[d.length - 1];
        for (int i = 0, j = 0; i < d.length; i++) if (i != axis) r[j++] = d[i];
        return Shape.of(r);
    }

    /** The shape of {@code shape} with a dimension of size {@code n} inserted at {@code axis}. */
    static Shape with(Shape shape, int axis, long n) {
        long[] d = shape.dims();
        long[] r = new long[d.length + 1];
        for (int i = 0, j = 0; i < r.length; i++) r[i] = i == axis ? n : d[j++];
        return Shape.of(r);
    }

    /** Copies slice {@code index} of {@code src} along {@code axis} into {@code dst}, whose shape is that slice's. */
    static void slice(Tensor src, int axis, long index, Tensor dst) {
        requireFixedWidth(src.dtype());
        Shape s = src.shape();
        long es = src.dtype().byteSize();
        long outer = s.product(0, axis);
        long dim = s.dim(axis);
        long chunk = s.product(axis + 1, s.rank()) * es;
        MemorySegment from = src.data();
        MemorySegment to = dst.data();
        for (long o = 0; o < outer; o++) {
            MemorySegment.copy(from, (o * dim + index) * chunk, to, o * chunk, chunk);
        }
    }

    /**
     * Writes {@code parts} (all of one shape) as consecutive slices of {@code dst} along
     * {@code axis}; in reverse order when {@code reversed}.
     */
    static void stack(List<Tensor> parts, int axis, boolean reversed, Tensor dst) {
        requireFixedWidth(dst.dtype());
        Shape s = dst.shape();
        long es = dst.dtype().byteSize();
        long outer = s.product(0, axis);
        long dim = s.dim(axis);
        long chunk = s.product(axis + 1, s.rank()) * es;
        for (int p = 0; p < parts.size(); p++) {
            long index = reversed ? parts.size() - 1 - p : p;
            MemorySegment from = parts.get(p).data();
            for (long o = 0; o < outer; o++) {
                MemorySegment.copy(from, o * chunk, dst.data(), (o * dim + index) * chunk, chunk);
            }
        }
    }

    private static void requireFixedWidth(DType t) {
        if (t.byteSize() == 0) throw new IllegalArgumentException("cannot slice " + t.onnxName() + " tensors");
    }

    /** The declared type of a body output made non-concrete, so the executor never preallocates it. */
    static dev.edgerun.runtime.ir.ValueType dataDependent(dev.edgerun.runtime.ir.ValueType declared) {
        if (declared instanceof dev.edgerun.runtime.ir.ValueType.TensorType t && t.dtype() != null) {
            return new dev.edgerun.runtime.ir.ValueType.TensorType(t.dtype(), null);
        }
        if (declared instanceof dev.edgerun.runtime.ir.ValueType.SequenceType
                || declared instanceof dev.edgerun.runtime.ir.ValueType.OptionalType) {
            return declared;
        }
        return new dev.edgerun.runtime.ir.ValueType.Unknown();
    }

    /**
     * A value the node can hand out as its output: tensors are copied into run-owned memory,
     * because a body may pass through a view of the caller's arena (an input, a captured value)
     * whose buffer the executor reuses once this node has run; sequences and null pass as they are.
     */
    static Object owned(dev.edgerun.runtime.ops.RunContext rc, Object value) {
        if (!(value instanceof Tensor t)) return value;
        if (t.dtype() == DType.STRING) return Tensor.ofStrings(t.toStringArray(), t.shape().dims());
        Tensor copy = rc.allocateTemp(t.dtype(), t.shape());
        copy.data().copyFrom(t.data());
        return copy;
    }
}
