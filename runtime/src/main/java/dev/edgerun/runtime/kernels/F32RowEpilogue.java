package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What a MatMul does to its finished output rows when the graph's following Div by a constant
 * and Softmax over the last axis were folded into it (attention scores:
 * {@code softmax(Q.K^T / sqrt(d))}): each value divided by {@code divisor} (a true division, the
 * same as the Div node computes; 1 skips it), then, when {@code softmax}, the row normalized.
 * With {@code softmax} the epilogue must be given whole rows, which {@link F32StridedMatMul}
 * guarantees (its products run on one thread); the division alone is element-wise. {@code species}
 * null runs scalar loops.
 */
public record F32RowEpilogue(VectorSpecies<Float> species, float divisor, boolean softmax) implements F32GemmEpilogue {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @Override
    public void apply(MemorySegment y, long byteOffset, int count) {
        if (softmax && F32Softmax.isShortRow(species, count)) {
            F32Softmax.shortRowInPlace(species, y, byteOffset, divisor);
            return;
        }
        if (divisor != 1f) divide(species, y, byteOffset, count, divisor);
        if (softmax) F32Softmax.rowInPlace(species, y, byteOffset, count);
    }

    /** {@code y[i] /= divisor} over {@code count} floats from {@code byteOffset}. */
    static void divide(VectorSpecies<Float> species, MemorySegment y, long byteOffset, int count, float divisor) {
        int i = 0;
        if (species != null) {
            VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
            for (int end = sp.loopBound(count); i < end; i += sp.length()) {
                long at = byteOffset + 4L * i;
                FloatVector x = FloatVector.fromMemorySegment(sp, y, at, LE);
                x.div(x.broadcast(divisor)).intoMemorySegment(y, at, LE);
            }
        }
        for (; i < count; i++) {
            long at = byteOffset + 4L * i;
            y.set(F, at, y.get(F, at) / divisor);
        }
    }
}
