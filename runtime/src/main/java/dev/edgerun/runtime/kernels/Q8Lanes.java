package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of the 8-bit kernels: bytes to float ({@code (x - zp) * scale}), float to
 * bytes ({@code saturate(rint(x / scale) + zp)}) and the requantization of integer accumulators
 * ({@code saturate(rint(float(acc + bias) * multiplier) + zp)}). Each returns how many leading
 * elements it did; the caller finishes the tail with the scalar loop of {@link Q8Quantize}, which
 * gives bit-identical results.
 *
 * <p>Each width is a final subclass answering {@code static final} species, so that the species
 * folds to a JIT constant (see {@link JavaKernelsSpecies}). One float vector of {@code n} lanes
 * meets a byte vector of at least {@code n} lanes: exactly {@code n} at 512 and 256 bits; at 128
 * and 64 bits the smallest byte vector (64 bits) is wider, and only its first {@code n} lanes
 * are loaded and stored (masked). Rounding half to even uses the float magic number
 * {@code 1.5 * 2^23} after clamping to the output range, which leaves integers below 2^22 exactly
 * rounded in the default rounding mode; NaN saturates to the low end as in the scalar code.
 */
abstract sealed class Q8Lanes {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final float MAGIC = 12582912f; // 1.5 * 2^23
    private static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
    /** Largest bias added in float: every int32 of this magnitude is a float32. */
    private static final int EXACT_FLOAT_INT = 1 << 24;

    private static final Q8Lanes W512 = new Width512();
    private static final Q8Lanes W256 = new Width256();
    private static final Q8Lanes W128 = new Width128();
    private static final Q8Lanes W64 = new Width64();

    private Q8Lanes() {}

    abstract VectorSpecies<Float> f32();

    abstract VectorSpecies<Integer> i32();

    /** A byte species with at least as many lanes as {@link #f32()}. */
    abstract VectorSpecies<Byte> i8();

    /** Whether {@link #i8()} has exactly the float lane count (no masking needed). */
    abstract boolean exact();

    static Q8Lanes of(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> W512;
            case 256 -> W256;
            case 128 -> W128;
            case 64 -> W64;
            default -> throw new IllegalArgumentException("no 8-bit kernels for " + species.vectorBitSize() + "-bit vectors");
        };
    }

    /** Float lanes per step. */
    final int lanes() {
        return f32().length();
    }

    /** {@code count} bytes at {@code xOff} widened to int (sign or zero extension) minus {@code zp}. */
    private IntVector loadInts(MemorySegment x, long xOff, boolean signed, int zp) {
        VectorSpecies<Byte> bs = i8();
        ByteVector b = exact() ? ByteVector.fromMemorySegment(bs, x, xOff, LE)
                : ByteVector.fromMemorySegment(bs, x, xOff, LE, bs.indexInRange(0, lanes()));
        // one constant conversion per branch: the JIT intrinsifies only constant operators
        IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
        return v.sub(zp);
    }

    /** Narrows {@code q} (already in byte range) and stores its lanes at {@code yOff}. */
    private void storeBytes(IntVector q, MemorySegment y, long yOff) {
        VectorSpecies<Byte> bs = i8();
        ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, bs, 0);
        if (exact()) {
            b.intoMemorySegment(y, yOff, LE);
        } else {
            b.intoMemorySegment(y, yOff, LE, bs.indexInRange(0, lanes()));
        }
    }

    /** {@code v} clamped to {@code [lo, hi]} (NaN to lo), rounded half to even, as int. */
    private static IntVector roundClamped(FloatVector v, float lo, float hi) {
        return roundInRange(clamp(v, lo, hi));
    }

    /**
     * {@code v} clamped to {@code [lo, hi]}, NaN to {@code lo}, by compare and blend: about half the
     * cost of {@code max}/{@code min}, whose NaN and signed-zero rules take extra instructions.
     */
    private static FloatVector clamp(FloatVector v, float lo, float hi) {
        FloatVector low = v.blend(lo, v.compare(VectorOperators.GE, lo).not());
        return low.blend(hi, low.compare(VectorOperators.GT, hi));
    }

    /**
     * {@code v} (within +-2^22) rounded half to even, as int: adding {@code 1.5 * 2^23} leaves the
     * rounded integer in the low mantissa bits, read back by reinterpreting the bits.
     */
    private static IntVector roundInRange(FloatVector v) {
        return v.add(MAGIC).reinterpretAsInts().sub(MAGIC_BITS);
    }

    /** {@code y[i] = (float) (x[i] - zp) * scale}; returns the elements done (a multiple of the lanes). */
    final long dequantize(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, float scale, int zp,
                          boolean signed) {
        int n = lanes();
        long i = 0;
        for (; i + n <= count; i += n) {
            FloatVector f = (FloatVector) loadInts(x, xOff + i, signed, zp).convert(VectorOperators.I2F, 0);
            f.mul(scale).intoMemorySegment(y, yOff + 4 * i, LE);
        }
        return i;
    }

    /** {@code y[i] = saturate(rint(x[i] / scale) + zp)} into {@code [lo, hi]}; returns the elements done. */
    final long quantize(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, float scale, int zp,
                        int lo, int hi) {
        int n = lanes();
        float qlo = lo - zp, qhi = hi - zp;
        long i = 0;
        for (; i + n <= count; i += n) {
            FloatVector f = FloatVector.fromMemorySegment(f32(), x, xOff + 4 * i, LE).div(scale);
            storeBytes(roundClamped(f, qlo, qhi).add(zp), y, yOff + i);
        }
        return i;
    }

    /**
     * {@code y[i] = (float) (x[i] - zp)}: the integer values of 8-bit data as float; all
     * {@code count} elements, the tail with masked loads and stores (im2col widens many short runs).
     */
    final long widen(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, int zp, boolean signed) {
        int n = lanes();
        long i = 0;
        for (; i + n <= count; i += n) {
            FloatVector f = (FloatVector) loadInts(x, xOff + i, signed, zp).convert(VectorOperators.I2F, 0);
            f.intoMemorySegment(y, yOff + 4 * i, LE);
        }
        if (i < count) {
            int rest = (int) (count - i);
            ByteVector b = ByteVector.fromMemorySegment(i8(), x, xOff + i, LE, i8().indexInRange(0, rest));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            FloatVector f = (FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0);
            f.intoMemorySegment(y, yOff + 4 * i, LE, f32().indexInRange(0, rest));
        }
        return count;
    }

    /**
     * Requantizes integer-valued float accumulators {@code acc[i]} of one output channel:
     * {@code y[i] = saturate(rint(float((int) acc[i] + bias) * multiplier) + zp)} into {@code [lo, hi]};
     * returns the elements done.
     */
    final long requantize(MemorySegment acc, long accOff, MemorySegment y, long yOff, long count, int bias,
                          float multiplier, int zp, int lo, int hi) {
        int n = lanes();
        float qlo = lo - zp, qhi = hi - zp;
        long i = 0;
        if (Math.abs(bias) <= EXACT_FLOAT_INT) {
            // acc and bias are exact floats, so their float sum is float(int sum) as in the scalar code
            float b = bias;
            for (; i + n <= count; i += n) {
                FloatVector f = FloatVector.fromMemorySegment(f32(), acc, accOff + 4 * i, LE).add(b).mul(multiplier);
                storeBytes(roundClamped(f, qlo, qhi).add(zp), y, yOff + i);
            }
        } else {
            for (; i + n <= count; i += n) {
                IntVector a = (IntVector) FloatVector.fromMemorySegment(f32(), acc, accOff + 4 * i, LE)
                        .convert(VectorOperators.F2I, 0);
                FloatVector f = (FloatVector) a.add(bias).convert(VectorOperators.I2F, 0);
                storeBytes(roundClamped(f.mul(multiplier), qlo, qhi).add(zp), y, yOff + i);
            }
        }
        return i;
    }

    private static final class Width512 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return true; }
    }

    private static final class Width256 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return true; }
    }

    private static final class Width128 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return false; }
    }

    private static final class Width64 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_64;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_64;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return false; }
    }
}
