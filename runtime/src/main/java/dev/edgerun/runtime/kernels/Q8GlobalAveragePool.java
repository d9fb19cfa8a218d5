package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The mean of each 8-bit plane requantized to 8 bits: {@code y[p] = saturate(rint((S_p - n*zx) * m) + zy)}
 * with {@code S_p} the exact integer sum of plane p's {@code n} bytes and
 * {@code m = sx / (n * sy)} ({@link Q8Quantize#requantize}, as ONNX Runtime requantizes). The sums
 * are exact, so the result is the mean of the dequantized values quantized again, up to the
 * rounding of {@code m}: within one step of {@code Q(GlobalAveragePool(DQ(x)))} computed in
 * float32. Planes of 16 bytes or more are summed 16 at a time in int lanes with 512-bit vectors
 * ({@link VectorSums}, loaded only then), else by a scalar loop.
 */
public final class Q8GlobalAveragePool {
    private final boolean xSigned;
    private final int size, zx, zy, lo, hi;
    private final float multiplier;
    private final VectorSums vectors; // null: scalar

    /** Planes of {@code size} bytes, x's scale and zero point, y's, and y's range. */
    public Q8GlobalAveragePool(boolean xSigned, int size, float sx, int zx, float sy, int zy, int lo, int hi) {
        if (size < 1) throw new IllegalArgumentException("empty planes");
        this.xSigned = xSigned;
        this.size = size;
        this.zx = zx;
        this.zy = zy;
        this.lo = lo;
        this.hi = hi;
        this.multiplier = (float) ((double) sx / ((double) size * sy));
        boolean wide = Vectors.enabled() && Vectors.F32.vectorBitSize() == 512 && size >= VectorSums.LANES;
        this.vectors = wide ? new VectorSums(xSigned, size) : null;
    }

    /** Planes {@code [p0, p1)}: bytes from {@code x}'s start, one output byte each into {@code y}. */
    public void run(MemorySegment x, MemorySegment y, int p0, int p1) {
        long offset = (long) size * zx;
        for (int p = p0; p < p1; p++) {
            long at = (long) p * size;
            long sum = vectors != null ? vectors.sum(x, at) : scalarSum(x, at);
            y.set(ValueLayout.JAVA_BYTE, p, (byte) Q8Quantize.requantize((int) (sum - offset), multiplier, zy, lo, hi));
        }
    }

    private long scalarSum(MemorySegment x, long at) {
        long sum = 0;
        for (int i = 0; i < size; i++) sum += Q8Quantize.load(x, at + i, xSigned);
        return sum;
    }

    /**
     * A plane's sum 16 bytes at a time: whole vectors, then the last 16 bytes' lanes that no
     * vector took (an overlapping unmasked load and a masked add: masked byte loads are slow).
     * Signed bytes with their top bit flipped read as unsigned ones 128 higher, so one
     * conversion serves both signs (no choice between two in the loop).
     */
    static final class VectorSums {
        static final int LANES = 16;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;

        private final int size;
        private final byte flip;
        private final long flipOffset;
        private final VectorMask<Integer> tail; // lane j: byte size - 16 + j, past the whole vectors

        VectorSums(boolean signed, int size) {
            this.size = size;
            this.flip = (byte) (signed ? 0x80 : 0);
            this.flipOffset = signed ? 128L * size : 0;
            this.tail = I.indexInRange(size - LANES - size / LANES * LANES, LANES);
        }

        long sum(MemorySegment x, long at) {
            IntVector acc = IntVector.zero(I);
            int i = 0;
            for (; i + LANES <= size; i += LANES) acc = acc.add(widen(x, at + i));
            if (i < size) acc = acc.add(widen(x, at + size - LANES), tail);
            return acc.reduceLanes(VectorOperators.ADD) - flipOffset;
        }

        private IntVector widen(MemorySegment x, long at) {
            ByteVector b = ByteVector.fromMemorySegment(B, x, at, ByteOrder.LITTLE_ENDIAN);
            return (IntVector) b.lanewise(VectorOperators.XOR, flip).convertShape(VectorOperators.ZERO_EXTEND_B2I, I, 0);
        }
    }
}
