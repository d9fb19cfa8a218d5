package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
 * {@code 1.5 * 2^23} after clamping to the output range (within +-2^22), exact in the default
 * rounding mode; NaN saturates to the low end as in the scalar code.
 */
abstract sealed class Q8Lanes {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Added to a float in [-2^22, 2^22], rounds it half to even to an integer in its low mantissa bits. */
    static final float MAGIC = 12582912f; // 1.5 * 2^23
    static final int MAGIC_BITS = Float.floatToRawIntBits(MAGIC);
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

    /**
     * The loops for {@code species} where they were measured faster than the scalar ones, else
     * null. Only 512 bits qualifies: at 256 and 128 bits (JDK 25, x86) C2 left some conversions
     * and stores of these loops unintrinsified ("missing constant" in -XX:+PrintIntrinsics), and
     * quantizing ran 0.2x (256) and dequantizing 0.6x (128) the scalar speed. The other widths stay
     * tested for correctness, for when they pay.
     */
    static Q8Lanes fast(VectorSpecies<Float> species) {
        return species != null && species.vectorBitSize() == 512 ? W512 : null;
    }

    /** Float lanes per step. */
    final int lanes() {
        return f32().length();
    }

    // Loop bodies are written out in each method, not in helpers: a helper taking or returning
    // vectors that the JIT declines to inline ("callee uses too much stack", "too large") makes it
    // box every vector, several times slower. Conversions are constants per branch for the same
    // reason (the JIT intrinsifies only constant operators).

    /** {@code y[i] = (float) (x[i] - zp) * scale}; returns the elements done (a multiple of the lanes). */
    final long dequantize(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, float scale, int zp,
                          boolean signed) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        long i = 0;
        for (; i + n <= count; i += n) {
            ByteVector b = exact() ? ByteVector.fromMemorySegment(bs, x, xOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, x, xOff + i, LE, bs.indexInRange(0, n));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            ((FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0)).mul(scale).intoMemorySegment(y, yOff + 4 * i, LE);
        }
        return i;
    }

    /**
     * {@code y[i] = (float) (x[i] - zp)}: the integer values of 8-bit data as float; all
     * {@code count} elements, the tail with masked loads and stores (packing widens many short runs).
     */
    final long widen(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, int zp, boolean signed) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        long i = 0;
        for (; i + n <= count; i += n) {
            ByteVector b = exact() ? ByteVector.fromMemorySegment(bs, x, xOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, x, xOff + i, LE, bs.indexInRange(0, n));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            ((FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0)).intoMemorySegment(y, yOff + 4 * i, LE);
        }
        if (i < count) {
            int rest = (int) (count - i);
            ByteVector b = ByteVector.fromMemorySegment(bs, x, xOff + i, LE, bs.indexInRange(0, rest));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            ((FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0))
                    .intoMemorySegment(y, yOff + 4 * i, LE, f32().indexInRange(0, rest));
        }
        return count;
    }

    /**
     * {@code y[i] = saturate(rint(x[i] / scale) + zp)} into {@code [lo, hi]}, NaN to {@code lo};
     * returns the elements done. Clamping is compare and blend (max/min follow Java's NaN and
     * signed-zero rules at the cost of extra instructions); rounding adds {@code 1.5 * 2^23}, which
     * leaves the rounded integer in the low mantissa bits, read back by reinterpreting the bits.
     */
    final long quantize(MemorySegment x, long xOff, MemorySegment y, long yOff, long count, float scale, int zp,
                        int lo, int hi) {
        int n = lanes();
        float qlo = lo - zp, qhi = hi - zp;
        int offset = MAGIC_BITS - zp;
        long i = 0;
        for (; i + n <= count; i += n) {
            FloatVector f = FloatVector.fromMemorySegment(f32(), x, xOff + 4 * i, LE).div(scale);
            storeBytes(roundToBytes(f, qlo, qhi, offset), y, yOff + i);
        }
        return i;
    }

    /**
     * Requantizes integer-valued float accumulators {@code acc[i]} of one output channel:
     * {@code y[i] = saturate(rint(float((int) acc[i] + bias) * multiplier) + zp)} into {@code [lo, hi]};
     * returns the elements done. A bias of at most 2^24 in magnitude is added in float, which gives
     * the same float as the int32 sum converted (both operands are exact floats); a larger one as int32.
     */
    final long requantize(MemorySegment acc, long accOff, MemorySegment y, long yOff, long count, int bias,
                          float multiplier, int zp, int lo, int hi) {
        int n = lanes();
        float qlo = lo - zp, qhi = hi - zp;
        int offset = MAGIC_BITS - zp;
        boolean floatBias = Math.abs(bias) <= EXACT_FLOAT_INT;
        float fb = bias;
        long i = 0;
        for (; i + n <= count; i += n) {
            FloatVector f = FloatVector.fromMemorySegment(f32(), acc, accOff + 4 * i, LE);
            if (floatBias) {
                f = f.add(fb);
            } else {
                f = (FloatVector) ((IntVector) f.convert(VectorOperators.F2I, 0)).add(bias).convert(VectorOperators.I2F, 0);
            }
            f = f.mul(multiplier);
            storeBytes(roundToBytes(f, qlo, qhi, offset), y, yOff + i);
        }
        return i;
    }

    /**
     * {@link #requantize} for the last {@code count} (fewer than {@link #lanes()}) accumulators,
     * with masked loads and stores: short rows (7 to 14 outputs) would otherwise run scalar.
     * The same lane operations, so the same bits.
     */
    final void requantizeTail(MemorySegment acc, long accOff, MemorySegment y, long yOff, int count, int bias,
                              float multiplier, int zp, int lo, int hi) {
        VectorSpecies<Byte> bs = i8();
        float qlo = lo - zp, qhi = hi - zp;
        int offset = MAGIC_BITS - zp;
        FloatVector f = FloatVector.fromMemorySegment(f32(), acc, accOff, LE, f32().indexInRange(0, count));
        if (Math.abs(bias) <= EXACT_FLOAT_INT) {
            f = f.add((float) bias);
        } else {
            f = (FloatVector) ((IntVector) f.convert(VectorOperators.F2I, 0)).add(bias).convert(VectorOperators.I2F, 0);
        }
        f = f.mul(multiplier);
        ByteVector b = roundToBytes(f, qlo, qhi, offset);
        b.intoMemorySegment(y, yOff, LE, bs.indexInRange(0, count));
    }

    /**
     * Widens {@code count} bytes ({@code x - zp} as float) and splits them by parity: elements
     * 0, 2, 4, ... to {@code even} from {@code evenOff}, 1, 3, 5, ... to {@code odd} from
     * {@code oddOff}; only the first {@code evenMax} and {@code oddMax} of each are written. This is
     * the input of a stride-2 convolution laid out so that its taps read contiguously.
     */
    final void widenDeinterleave(MemorySegment x, long xOff, int count, int zp, boolean signed, MemorySegment even,
                                 long evenOff, int evenMax, MemorySegment odd, long oddOff, int oddMax) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes(), half = n / 2;
        for (int i = 0; i < count; i += n) {
            int rest = count - i;
            ByteVector b = rest >= n && exact() ? ByteVector.fromMemorySegment(bs, x, xOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, x, xOff + i, LE, bs.indexInRange(0, Math.min(rest, n)));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            FloatVector f = (FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0);
            int at = i / 2;
            int evens = Math.min(Math.min(half, (rest + 1) / 2), evenMax - at);
            int odds = Math.min(Math.min(half, rest / 2), oddMax - at);
            if (evens > 0) {
                f.rearrange(evenFirst()).intoMemorySegment(even, evenOff + 4L * at, LE, f32().indexInRange(0, evens));
            }
            if (odds > 0) {
                f.rearrange(oddFirst()).intoMemorySegment(odd, oddOff + 4L * at, LE, f32().indexInRange(0, odds));
            }
        }
    }

    /**
     * The sum of two 8-bit tensors requantized as {@link Q8Quantize#addQuantized} describes
     * (ONNX Runtime's x86 QLinearAdd): {@code y[i] = saturate(rint(fma(a[i], ratioA, fma(b[i], ratioB, fixed))))}
     * into {@code [lo, hi]}; returns the elements done (a multiple of the lanes).
     */
    final long addQuantized(MemorySegment a, long aOff, boolean aSigned, float ratioA,
                            MemorySegment b, long bOff, boolean bSigned, float ratioB, float fixed,
                            MemorySegment y, long yOff, long count, int lo, int hi) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        float qlo = lo, qhi = hi;
        VectorMask<Byte> first = bs.indexInRange(0, n);
        FloatVector vFixed = FloatVector.broadcast(f32(), fixed);
        FloatVector vRatioA = FloatVector.broadcast(f32(), ratioA), vRatioB = FloatVector.broadcast(f32(), ratioB);
        long i = 0;
        for (; i + n <= count; i += n) {
            ByteVector va = exact() ? ByteVector.fromMemorySegment(bs, a, aOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, a, aOff + i, LE, first);
            ByteVector vb = exact() ? ByteVector.fromMemorySegment(bs, b, bOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, b, bOff + i, LE, first);
            IntVector ia = aSigned ? (IntVector) va.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) va.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            IntVector ib = bSigned ? (IntVector) vb.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) vb.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            FloatVector fa = (FloatVector) ia.convert(VectorOperators.I2F, 0);
            FloatVector fb = (FloatVector) ib.convert(VectorOperators.I2F, 0);
            FloatVector f = fa.fma(vRatioA, fb.fma(vRatioB, vFixed));
            storeBytes(roundToBytes(f, qlo, qhi, MAGIC_BITS), y, yOff + i);
        }
        return i;
    }

    /**
     * DequantizeLinear, LeakyRelu and QuantizeLinear of 8-bit data in one pass, as
     * {@link Q8Quantize#remap(int, int, float, float, float, int, int, int)} describes:
     * {@code f = (float) (x[i] - zx) * sx; f = f < 0 ? f * alpha : f; y[i] = saturate(rint(f / sy) + zy)}
     * into {@code [lo, hi]}; returns the elements done (a multiple of the lanes).
     */
    final long remap(MemorySegment x, long xOff, boolean xSigned, int zx, float sx, float alpha,
                     MemorySegment y, long yOff, long count, float sy, int zy, int lo, int hi) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        float qlo = lo - zy, qhi = hi - zy;
        int offset = MAGIC_BITS - zy;
        long i = 0;
        for (; i + n <= count; i += n) {
            ByteVector b = exact() ? ByteVector.fromMemorySegment(bs, x, xOff + i, LE)
                    : ByteVector.fromMemorySegment(bs, x, xOff + i, LE, bs.indexInRange(0, n));
            IntVector v = xSigned ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            FloatVector f = ((FloatVector) v.sub(zx).convert(VectorOperators.I2F, 0)).mul(sx);
            f = f.blend(f.mul(alpha), f.compare(VectorOperators.LT, 0f)).div(sy);
            storeBytes(roundToBytes(f, qlo, qhi, offset), y, yOff + i);
        }
        return i;
    }

    /**
     * Lanes clamped to {@code [qlo, qhi]} (NaN to qlo), rounded half to even, plus
     * {@code MAGIC_BITS - offset} (an offset of {@code MAGIC_BITS - zp} adds the zero point), as bytes.
     */
    private ByteVector roundToBytes(FloatVector f, float qlo, float qhi, int offset) {
        f = f.blend(qlo, f.compare(VectorOperators.GE, qlo).not());
        f = f.blend(qhi, f.compare(VectorOperators.GT, qhi));
        IntVector q = f.add(MAGIC).reinterpretAsInts().sub(offset);
        return (ByteVector) q.convertShape(VectorOperators.I2B, i8(), 0);
    }

    /** The first {@link #lanes()} bytes of {@code b} to {@code y} at {@code at}. */
    private void storeBytes(ByteVector b, MemorySegment y, long at) {
        if (exact()) {
            b.intoMemorySegment(y, at, LE);
        } else {
            b.intoMemorySegment(y, at, LE, i8().indexInRange(0, lanes()));
        }
    }

    /**
     * One row of a packed-B column matrix: {@code count} bytes widened ({@code x - zp} as float),
     * element q to {@code dstOff + (q / nr) * panelStride + 4 * (q % nr)} bytes, the last panel
     * filled up with zeros; {@code nr} a multiple of the lanes. Whole panels first, with no
     * division per vector (an integer division per 16 elements cost more than the widening).
     */
    final void widenToPanels(MemorySegment x, long xOff, int count, int zp, boolean signed, MemorySegment dst,
                             long dstOff, long panelStride, int nr) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        int whole = count / nr * nr;
        long panel = dstOff;
        for (int q0 = 0; q0 < whole; q0 += nr, panel += panelStride) {
            for (int j = 0; j < nr; j += n) {
                ByteVector b = exact() ? ByteVector.fromMemorySegment(bs, x, xOff + q0 + j, LE)
                        : ByteVector.fromMemorySegment(bs, x, xOff + q0 + j, LE, bs.indexInRange(0, n));
                IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                        : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
                ((FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0)).intoMemorySegment(dst, panel + 4L * j, LE);
            }
        }
        if (whole < count) widenLastPanel(x, xOff + whole, count - whole, zp, signed, dst, panel, nr);
    }

    /** The last, partial panel of {@link #widenToPanels}: {@code rest < nr} elements, then zeros up to {@code nr}. */
    private void widenLastPanel(MemorySegment x, long xOff, int rest, int zp, boolean signed, MemorySegment dst,
                                long panel, int nr) {
        VectorSpecies<Byte> bs = i8();
        int n = lanes();
        for (int j = 0; j < nr; j += n) {
            int left = rest - j;
            if (left <= 0) {
                FloatVector.zero(f32()).intoMemorySegment(dst, panel + 4L * j, LE);
                continue;
            }
            ByteVector b = left >= n && exact() ? ByteVector.fromMemorySegment(bs, x, xOff + j, LE)
                    : ByteVector.fromMemorySegment(bs, x, xOff + j, LE, bs.indexInRange(0, Math.min(left, n)));
            IntVector v = signed ? (IntVector) b.convertShape(VectorOperators.B2I, i32(), 0)
                    : (IntVector) b.convertShape(VectorOperators.ZERO_EXTEND_B2I, i32(), 0);
            FloatVector f = (FloatVector) v.sub(zp).convert(VectorOperators.I2F, 0);
            if (left < n) f = f.blend(0f, f32().indexInRange(0, left).not());
            f.intoMemorySegment(dst, panel + 4L * j, LE);
        }
    }

    /** Lanes 0, 2, 4, ... then 1, 3, 5, ... */
    abstract VectorShuffle<Float> evenFirst();

    /** Lanes 1, 3, 5, ... then 0, 2, 4, ... */
    abstract VectorShuffle<Float> oddFirst();

    private static VectorShuffle<Float> parityShuffle(VectorSpecies<Float> s, int first) {
        int n = s.length();
        return VectorShuffle.fromOp(s, i -> i < n / 2 ? 2 * i + first : 2 * (i - n / 2) + 1 - first);
    }

    private static final class Width512 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return true; }
        private static final VectorShuffle<Float> EVEN = parityShuffle(F, 0), ODD = parityShuffle(F, 1);
        @Override VectorShuffle<Float> evenFirst() { return EVEN; }
        @Override VectorShuffle<Float> oddFirst() { return ODD; }
    }

    private static final class Width256 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return true; }
        private static final VectorShuffle<Float> EVEN = parityShuffle(F, 0), ODD = parityShuffle(F, 1);
        @Override VectorShuffle<Float> evenFirst() { return EVEN; }
        @Override VectorShuffle<Float> oddFirst() { return ODD; }
    }

    private static final class Width128 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_128;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return false; }
        private static final VectorShuffle<Float> EVEN = parityShuffle(F, 0), ODD = parityShuffle(F, 1);
        @Override VectorShuffle<Float> evenFirst() { return EVEN; }
        @Override VectorShuffle<Float> oddFirst() { return ODD; }
    }

    private static final class Width64 extends Q8Lanes {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_64;
        private static final VectorSpecies<Integer> I = IntVector.SPECIES_64;
        private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
        @Override VectorSpecies<Float> f32() { return F; }
        @Override VectorSpecies<Integer> i32() { return I; }
        @Override VectorSpecies<Byte> i8() { return B; }
        @Override boolean exact() { return false; }
        private static final VectorShuffle<Float> EVEN = parityShuffle(F, 0), ODD = parityShuffle(F, 1);
        @Override VectorShuffle<Float> evenFirst() { return EVEN; }
        @Override VectorShuffle<Float> oddFirst() { return ODD; }
    }
}
