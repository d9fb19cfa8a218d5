package dev.edgerun.runtime.ops.sequence;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.EdgerunException;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;
import java.util.List;

/**
 * Helpers of the sequence and optional operators. Sequence values are {@code List<Tensor>} whose
 * tensors live until the run ends, so a tensor entering a sequence is copied into run-owned
 * memory ({@link RunContext#allocateTemp}) rather than kept as a view of a reusable buffer.
 */
public final class Sequences {
    private Sequences() {}

    /** A copy of {@code t} that lives until the run ends. */
    public static Tensor keep(RunContext rc, Tensor t) {
        if (t.dtype() == DType.STRING) return Tensor.ofStrings(t.toStringArray(), t.shape().dims());
        Tensor copy = rc.allocateTemp(t.dtype(), t.shape());
        copy.data().copyFrom(t.data());
        return copy;
    }

    /** Input {@code i} as a sequence, or an error naming the operator. */
    @SuppressWarnings("unchecked")
    public static List<Tensor> sequence(RunContext rc, int i, String op) {
        Object v = rc.inputValue(i);
        if (v instanceof List<?> l) return (List<Tensor>) l;
        throw new EdgerunException(op + ": input " + i + " must be a sequence, got " + (v == null ? "none" : v.getClass().getSimpleName()));
    }

    /** A position in [-n, n) (or [-n, n] when {@code inclusiveEnd}) made non-negative. */
    public static int position(long p, int n, boolean inclusiveEnd, String op) {
        long max = inclusiveEnd ? n : n - 1;
        if (p < -n || p > max) {
            throw new EdgerunException(op + ": position " + p + " is out of range for a sequence of " + n);
        }
        return (int) (p < 0 ? p + n : p);
    }

    /** The type of a sequence of tensors of {@code dtype} with unknown shapes. */
    public static ValueType sequenceOf(DType dtype) {
        return new ValueType.SequenceType(new ValueType.TensorType(dtype, null));
    }

    /** The element dtype of sequence input {@code i} from its compile-time type, or null when unknown. */
    public static DType elementType(NodeContext ctx, int i) {
        ValueType t = ctx.inputType(i);
        if (t instanceof ValueType.OptionalType o) t = o.element();
        if (t instanceof ValueType.SequenceType s && s.element() instanceof ValueType.TensorType e) return e.dtype();
        return null;
    }

    /**
     * Copies {@code length} slices starting at {@code start} along {@code axis} of {@code src} into
     * {@code dst} at slice {@code dstStart} of the same axis (the other dimensions must match).
     */
    public static void copySlices(Tensor src, int axis, long start, long length, Tensor dst, long dstStart) {
        long es = src.dtype().byteSize();
        long outer = src.shape().product(0, axis);
        long inner = src.shape().product(axis + 1, src.shape().rank()) * es;
        long srcDim = src.shape().dim(axis);
        long dstDim = dst.shape().rank() > axis ? dst.shape().dim(axis) : 1;
        for (long o = 0; o < outer; o++) {
            java.lang.foreign.MemorySegment.copy(src.data(), (o * srcDim + start) * inner,
                    dst.data(), (o * dstDim + dstStart) * inner, length * inner);
        }
    }
}
