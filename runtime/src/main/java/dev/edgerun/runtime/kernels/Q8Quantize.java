package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.VectorSpecies;

/**
 * float → int8/uint8 with one scale and zero point: {@code y = saturate(rint(x / scale) + zp)},
 * rounding half to even as ONNX QuantizeLinear specifies; the reverse, int8/uint8 → float; and
 * the requantization of integer accumulators of QLinearConv. Vector loops ({@link Q8Lanes}) do
 * the bulk on the given species where they are fast ({@link Q8Lanes#fast}; null: scalar), the
 * scalar loops here the tail; both give the same bits (division, not a reciprocal multiply;
 * float32 products as ONNX Runtime computes them).
 */
public final class Q8Quantize {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private Q8Quantize() {}

    /** Quantizes {@code count} floats of {@code x} into {@code y} (one byte each) on {@link Vectors#F32}. */
    public static void quantize(MemorySegment x, MemorySegment y, long count, float scale, int zeroPoint, boolean signed) {
        quantize(Vectors.F32, x, 0, y, 0, count, scale, zeroPoint, signed);
    }

    /**
     * Quantizes {@code count} floats from byte offset {@code xOff} of {@code x} into bytes from
     * {@code yOff} of {@code y}; {@code species} null runs scalar.
     */
    public static void quantize(VectorSpecies<Float> species, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                long count, float scale, int zeroPoint, boolean signed) {
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        Q8Lanes lanes = Q8Lanes.fast(species);
        long i = lanes == null ? 0 : lanes.quantize(x, xOff, y, yOff, count, scale, zeroPoint, lo, hi);
        for (; i < count; i++) {
            float q = x.get(F, xOff + 4 * i) / scale;
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) saturate(Math.rint(q) + zeroPoint, lo, hi));
        }
    }

    /** Dequantizes {@code count} bytes of {@code x}: {@code (x - zp) * scale}, on {@link Vectors#F32}. */
    public static void dequantize(MemorySegment x, MemorySegment y, long count, float scale, int zeroPoint, boolean signed) {
        dequantize(Vectors.F32, x, 0, y, 0, count, scale, zeroPoint, signed);
    }

    /**
     * Dequantizes {@code count} bytes from byte offset {@code xOff} of {@code x} into floats from
     * byte offset {@code yOff} of {@code y}; {@code species} null runs scalar.
     */
    public static void dequantize(VectorSpecies<Float> species, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                  long count, float scale, int zeroPoint, boolean signed) {
        Q8Lanes lanes = Q8Lanes.fast(species);
        long i = lanes == null ? 0 : lanes.dequantize(x, xOff, y, yOff, count, scale, zeroPoint, signed);
        for (; i < count; i++) {
            int v = load(x, xOff + i, signed);
            y.set(F, yOff + 4 * i, (float) (v - zeroPoint) * scale);
        }
    }

    /** {@code y[i] = (float) (x[i] - zp)} for {@code count} bytes: 8-bit data as exact float integers. */
    public static void widen(VectorSpecies<Float> species, MemorySegment x, long xOff, MemorySegment y, long yOff,
                             long count, int zeroPoint, boolean signed) {
        Q8Lanes lanes = Q8Lanes.fast(species);
        long i = lanes == null ? 0 : lanes.widen(x, xOff, y, yOff, count, zeroPoint, signed);
        for (; i < count; i++) y.set(F, yOff + 4 * i, (float) (load(x, xOff + i, signed) - zeroPoint));
    }

    /**
     * {@link #widen} of {@code count} bytes split by parity (see {@link Q8Lanes#widenDeinterleave}):
     * even elements to {@code even} from {@code evenOff} (at most {@code evenMax}), odd ones to
     * {@code odd} from {@code oddOff} (at most {@code oddMax}).
     */
    static void widenDeinterleave(VectorSpecies<Float> species, MemorySegment x, long xOff, int count, int zeroPoint,
                                  boolean signed, MemorySegment even, long evenOff, int evenMax,
                                  MemorySegment odd, long oddOff, int oddMax) {
        Q8Lanes lanes = Q8Lanes.fast(species);
        if (lanes != null) {
            lanes.widenDeinterleave(x, xOff, count, zeroPoint, signed, even, evenOff, evenMax, odd, oddOff, oddMax);
            return;
        }
        for (int i = 0; i < count; i++) {
            int at = i >> 1;
            float v = load(x, xOff + i, signed) - zeroPoint;
            if ((i & 1) == 0 && at < evenMax) even.set(F, evenOff + 4L * at, v);
            if ((i & 1) == 1 && at < oddMax) odd.set(F, oddOff + 4L * at, v);
        }
    }

    /**
     * Requantizes {@code count} integer-valued float accumulators of one output channel (from byte
     * offset {@code accOff}) into bytes from {@code yOff}: see {@link #requantize(int, float, int, int, int)}
     * with {@code acc = (int) accumulator + bias}.
     */
    public static void requantize(VectorSpecies<Float> species, MemorySegment acc, long accOff, MemorySegment y,
                                  long yOff, long count, int bias, float multiplier, int zeroPoint, int lo, int hi) {
        Q8Lanes lanes = Q8Lanes.fast(species);
        long i = lanes == null ? 0 : lanes.requantize(acc, accOff, y, yOff, count, bias, multiplier, zeroPoint, lo, hi);
        if (lanes != null && i < count) {
            lanes.requantizeTail(acc, accOff + 4 * i, y, yOff + i, (int) (count - i), bias, multiplier, zeroPoint, lo, hi);
            return;
        }
        for (; i < count; i++) {
            int a = (int) acc.get(F, accOff + 4 * i) + bias;
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) requantize(a, multiplier, zeroPoint, lo, hi));
        }
    }

    /**
     * The sum of two 8-bit tensors requantized as ONNX Runtime's x86 QLinearAdd kernel computes it
     * (MLAS's AVX2 kernel), so that a fused QDQ residual Add gives ONNX Runtime's bytes:
     * {@code y[i] = saturate(rint(fma(a[i], sa/sc, fma(b[i], sb/sc, fixed))))} into {@code [lo, hi]},
     * with {@code fixed = zc - ((sa/sc) * za + (sb/sc) * zb)}, all in float32. This equals
     * DequantizeLinear, a float32 Add and QuantizeLinear up to float32 rounding, which can move a
     * value that lies near a rounding tie by one step. {@code aStep}/{@code bStep} are 1, or 0 for
     * an input broadcast over the run (scalar loop).
     */
    public static void addQuantized(VectorSpecies<Float> species, MemorySegment a, long aOff, int aStep, boolean aSigned,
                                    float sa, int za, MemorySegment b, long bOff, int bStep, boolean bSigned, float sb,
                                    int zb, MemorySegment y, long yOff, long count, float sc, int zc, int lo, int hi) {
        float ratioA = sa / sc, ratioB = sb / sc;
        float fixed = addFixedPart(ratioA, za, ratioB, zb, zc);
        Q8Lanes lanes = aStep == 1 && bStep == 1 ? Q8Lanes.fast(species) : null;
        long i = lanes == null ? 0
                : lanes.addQuantized(a, aOff, aSigned, ratioA, b, bOff, bSigned, ratioB, fixed, y, yOff, count, lo, hi);
        for (; i < count; i++) {
            float t = Math.fma((float) load(b, bOff + i * bStep, bSigned), ratioB, fixed);
            t = Math.fma((float) load(a, aOff + i * aStep, aSigned), ratioA, t);
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) saturate(Math.rint(t), lo, hi));
        }
    }

    /**
     * DequantizeLinear, LeakyRelu ({@code alpha} 0: Relu) and QuantizeLinear of {@code count}
     * 8-bit values in one pass, each element exactly as the three nodes compute it in float32 (see
     * {@link #remap(int, int, float, float, float, int, int, int)}).
     */
    public static void remap(VectorSpecies<Float> species, MemorySegment x, long xOff, boolean xSigned, int zx, float sx,
                             float alpha, MemorySegment y, long yOff, long count, float sy, int zy, int lo, int hi) {
        Q8Lanes lanes = Q8Lanes.fast(species);
        long i = lanes == null ? 0 : lanes.remap(x, xOff, xSigned, zx, sx, alpha, y, yOff, count, sy, zy, lo, hi);
        for (; i < count; i++) {
            y.set(ValueLayout.JAVA_BYTE, yOff + i, (byte) remap(load(x, xOff + i, xSigned), zx, sx, alpha, sy, zy, lo, hi));
        }
    }

    /**
     * One 8-bit value through DequantizeLinear ({@code (float) (v - zx) * sx}), LeakyRelu
     * ({@code f < 0 ? f * alpha : f}; Relu with alpha 0 gives -0 for 0, which quantizes alike) and
     * QuantizeLinear ({@code saturate(rint(f / sy) + zy)} into {@code [lo, hi]}), all in float32.
     */
    public static int remap(int v, int zx, float sx, float alpha, float sy, int zy, int lo, int hi) {
        float f = (float) (v - zx) * sx;
        if (f < 0) f = f * alpha;
        return saturate(Math.rint(f / sy) + zy, lo, hi);
    }

    /** QLinearAdd's constant term, {@code zc - (ratioA * za + ratioB * zb)} in float32. */
    static float addFixedPart(float ratioA, int za, float ratioB, int zb, int zc) {
        return (float) zc - (ratioA * za + ratioB * zb);
    }

    /**
     * ONNX Runtime's requantization of an int32 accumulator (MlasRequantizeOutput):
     * {@code saturate(rint(float(acc) * multiplier) + zp)} with a float32 product, rounding half
     * to even, clamped to {@code [lo, hi]}.
     */
    public static int requantize(int acc, float multiplier, int zeroPoint, int lo, int hi) {
        float v = (float) acc * multiplier;
        return saturate(Math.rint(v) + zeroPoint, lo, hi);
    }

    /**
     * The requantization multiplier as ONNX Runtime computes it for QLinearConv, in float32:
     * {@code (xScale * wScale) / yScale}.
     */
    public static float multiplier(float xScale, float wScale, float yScale) {
        return xScale * wScale / yScale;
    }

    /** {@code v} clamped to [lo, hi]; NaN gives lo. */
    public static int saturate(double v, int lo, int hi) {
        if (!(v >= lo)) return lo;
        return v > hi ? hi : (int) v;
    }

    static int load(MemorySegment s, long i, boolean signed) {
        byte v = s.get(ValueLayout.JAVA_BYTE, i);
        return signed ? v : v & 0xFF;
    }
}
