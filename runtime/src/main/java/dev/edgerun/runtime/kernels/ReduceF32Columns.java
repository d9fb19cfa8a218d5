package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 sums over a middle block of axes: the input seen as {@code [outer][count][inner]} (the
 * reduced axes contiguous and between kept ones, such as ReduceMean over the sequence of a
 * {@code [1, 32, 128]} transformer output), {@code out[o][i] = sum over r of in[o][r][i]}, each
 * reduced row added onto accumulators a vector at a time (four vectors side by side, so that the
 * adds of one row do not wait on each other), then a scalar tail. Float accumulation, as
 * {@link ReduceF32Rows}. The general path of Reduce reads such inputs one scalar at a time through
 * an offset table: tiny_transformer's ReduceMean over [1, 32, 128] took 4.2 us there.
 */
public final class ReduceF32Columns {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private ReduceF32Columns() {}

    /**
     * {@code dst[o * inner + i] = (sum over r < count of src[(o * count + r) * inner + i]) / divisor};
     * {@code divisor} 1 for a sum, {@code count} for a mean (a true division, as Reduce's row path
     * divides). {@code species} null runs scalar loops.
     */
    public static void sum(VectorSpecies<Float> species, MemorySegment src, MemorySegment dst, long outer, long count, int inner,
                           float divisor) {
        for (long o = 0; o < outer; o++) {
            long in = 4L * o * count * inner, out = 4L * o * inner;
            int i = species == null ? 0 : vectorColumns(species, src, in, dst, out, count, inner, divisor);
            for (; i < inner; i++) {
                float acc = 0f;
                for (long r = 0; r < count; r++) acc += src.get(F, in + 4L * (r * inner + i));
                dst.set(F, out + 4L * i, acc / divisor);
            }
        }
    }

    /** The columns of one outer block that fill whole vectors; returns how many it did. */
    private static int vectorColumns(VectorSpecies<Float> species, MemorySegment src, long in, MemorySegment dst, long out,
                                     long count, int inner, float divisor) {
        VectorSpecies<Float> s = JavaKernelsSpecies.of(species).f32();
        int lanes = s.length();
        long row = 4L * inner, v = 4L * lanes;
        int i = 0;
        for (; i + 4 * lanes <= inner; i += 4 * lanes) {
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
            for (long r = 0, at = in + 4L * i; r < count; r++, at += row) {
                a0 = a0.add(FloatVector.fromMemorySegment(s, src, at, LE));
                a1 = a1.add(FloatVector.fromMemorySegment(s, src, at + v, LE));
                a2 = a2.add(FloatVector.fromMemorySegment(s, src, at + 2 * v, LE));
                a3 = a3.add(FloatVector.fromMemorySegment(s, src, at + 3 * v, LE));
            }
            long at = out + 4L * i;
            a0.div(divisor).intoMemorySegment(dst, at, LE);
            a1.div(divisor).intoMemorySegment(dst, at + v, LE);
            a2.div(divisor).intoMemorySegment(dst, at + 2 * v, LE);
            a3.div(divisor).intoMemorySegment(dst, at + 3 * v, LE);
        }
        for (; i + lanes <= inner; i += lanes) {
            FloatVector a = FloatVector.zero(s);
            for (long r = 0, at = in + 4L * i; r < count; r++, at += row) a = a.add(FloatVector.fromMemorySegment(s, src, at, LE));
            a.div(divisor).intoMemorySegment(dst, out + 4L * i, LE);
        }
        return i;
    }
}
