package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The vector loops of {@link Q8Lanes} at 512, 256 and 128 bits (then the scalar tail) against
 * the scalar loops (species null), bit for bit: ties, saturation, NaN, signed and unsigned, odd
 * counts and unaligned offsets so that the scalar tail and masked narrow stores are exercised.
 */
class Q8QuantizeTest {
    private static final int[] COUNTS = {0, 1, 3, 4, 15, 16, 17, 63, 100, 259};
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void quantizeMatchesScalar(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        Random rnd = new Random(bits);
        float scale = 0.05f;
        try (Arena arena = Arena.ofConfined()) {
            for (int count : COUNTS) {
                MemorySegment x = arena.allocate(4L * count + 8);
                for (int i = 0; i < count; i++) x.set(F, 4 + 4L * i, sample(rnd, scale));
                for (boolean signed : new boolean[] {true, false}) {
                    int zp = signed ? rnd.nextInt(21) - 10 : 120 + rnd.nextInt(21);
                    MemorySegment vec = arena.allocate(count + 3), ref = arena.allocate(count + 3);
                    vectorQuantize(species, x, 4, vec, 3, count, scale, zp, signed);
                    Q8Quantize.quantize(null, x, 4, ref, 3, count, scale, zp, signed);
                    assertArrayEquals(bytes(ref), bytes(vec), count + " values, signed " + signed);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void vectorQuantizeRoundsHalfToEvenAndSaturates(int bits) {
        try (Arena arena = Arena.ofConfined()) {
            float[] v = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300f, -300f, Float.NaN, 126.5f, 127.5f, -128.5f, 0.49999997f, 7f, 8f, 9f, 10f};
            MemorySegment x = arena.allocateFrom(ValueLayout.JAVA_FLOAT, v);
            MemorySegment y = arena.allocate(v.length);
            vectorQuantize(F32GemmTest.species(bits), x, 0, y, 0, v.length, 1f, 0, true);
            assertArrayEquals(new byte[] {0, 2, 2, 0, -2, 127, -128, -128, 126, 127, -128, 0, 7, 8, 9, 10}, bytes(y));
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void dequantizeAndWidenMatchScalar(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        Random rnd = new Random(bits + 1);
        try (Arena arena = Arena.ofConfined()) {
            for (int count : COUNTS) {
                MemorySegment x = arena.allocate(count + 5);
                for (int i = 0; i < count + 5; i++) x.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
                for (boolean signed : new boolean[] {true, false}) {
                    int zp = signed ? -7 : 131;
                    MemorySegment vec = arena.allocate(4L * count + 4), ref = arena.allocate(4L * count + 4);
                    vectorDequantize(species, x, 5, vec, 4, count, 0.037f, zp, signed);
                    Q8Quantize.dequantize(null, x, 5, ref, 4, count, 0.037f, zp, signed);
                    assertArrayEquals(floats(ref), floats(vec), "dequantize " + count + " signed " + signed);
                    vectorWiden(species, x, 5, vec, 4, count, zp, signed);
                    Q8Quantize.widen(null, x, 5, ref, 4, count, zp, signed);
                    assertArrayEquals(floats(ref), floats(vec), "widen " + count + " signed " + signed);
                    for (int i = 0; i < count; i++) {
                        byte b = x.get(ValueLayout.JAVA_BYTE, 5 + i);
                        assertEquals((signed ? b : b & 0xFF) - zp, vec.get(F, 4 + 4L * i), 0f);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void requantizeMatchesScalar(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        Random rnd = new Random(bits + 2);
        try (Arena arena = Arena.ofConfined()) {
            for (int count : COUNTS) {
                MemorySegment acc = arena.allocate(4L * count + 4);
                for (int i = 0; i < count; i++) acc.set(F, 4 + 4L * i, rnd.nextInt(40001) - 20000);
                for (boolean signed : new boolean[] {true, false}) {
                    int zp = signed ? 3 : 128, lo = signed ? -128 : 0, hi = signed ? 127 : 255;
                    if (count % 2 == 1) lo = zp; // a fused Relu
                    boolean hugeBias = count % 3 == 0; // beyond 2^24: added as int32, not in float
                    int bias = hugeBias ? 16_777_216 + rnd.nextInt(1001) : rnd.nextInt(2001) - 1000;
                    float mult = hugeBias ? 1.1e-5f : 1 / 150f;
                    MemorySegment vec = arena.allocate(count + 1), ref = arena.allocate(count + 1);
                    vectorRequantize(species, acc, 4, vec, 1, count, bias, mult, zp, lo, hi);
                    Q8Quantize.requantize(null, acc, 4, ref, 1, count, bias, mult, zp, lo, hi);
                    assertArrayEquals(bytes(ref), bytes(vec), "requantize " + count + " signed " + signed);
                }
            }
        }
    }

    /**
     * Dequantize, LeakyRelu and quantize in one pass ({@code remap}) against the three steps run
     * one after the other by the scalar loops, for every 8-bit value (each four times, then a
     * tail): int8 and uint8 on either side, zero points at the ends of the range, equal and
     * different scales, Relu (alpha 0), LeakyRelu and the identity (alpha 1).
     */
    @ParameterizedTest(name = "{0} bits")
    @ValueSource(ints = {512, 256, 128})
    void remapEqualsDequantizeActivationQuantize(int bits) {
        VectorSpecies<Float> species = F32GemmTest.species(bits);
        int count = 4 * 256 + 13;
        float[][] scales = {{0.05f, 0.05f}, {0.058837585f, 0.03666537f}, {0.02f, 0.11f}, {1f / 3, 3f}};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(count + 1), f = arena.allocate(4L * count);
            for (int i = 0; i < count; i++) x.set(ValueLayout.JAVA_BYTE, 1 + i, (byte) (i * 7));
            for (boolean xSigned : new boolean[] {false, true}) {
                for (boolean ySigned : new boolean[] {false, true}) {
                    for (int zx : xSigned ? new int[] {-128, 3, 127} : new int[] {0, 96, 255}) {
                        for (int zy : ySigned ? new int[] {-128, 0, 127} : new int[] {0, 130, 255}) {
                            for (float[] s : scales) {
                                for (float alpha : new float[] {0f, 0.1f, 1f}) {
                                    Q8Quantize.dequantize(null, x, 1, f, 0, count, s[0], zx, xSigned);
                                    for (int i = 0; i < count; i++) {
                                        float v = f.get(F, 4L * i);
                                        if (v < 0) f.set(F, 4L * i, v * alpha);
                                    }
                                    MemorySegment ref = arena.allocate(count + 2), vec = arena.allocate(count + 2);
                                    Q8Quantize.quantize(null, f, 0, ref, 2, count, s[1], zy, ySigned);
                                    int lo = ySigned ? -128 : 0, hi = ySigned ? 127 : 255;
                                    long done = Q8Lanes.of(species).remap(x, 1, xSigned, zx, s[0], alpha, vec, 2, count, s[1], zy, lo, hi);
                                    Q8Quantize.remap(null, x, 1 + done, xSigned, zx, s[0], alpha, vec, 2 + done, count - done, s[1], zy, lo, hi);
                                    assertArrayEquals(bytes(ref), bytes(vec), "x signed " + xSigned + " zx " + zx + ", y signed "
                                            + ySigned + " zy " + zy + ", scales " + s[0] + " -> " + s[1] + ", alpha " + alpha);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // The vector loops of Q8Lanes at the given width (production uses them only where Q8Lanes.fast
    // says they pay), then the scalar loops of Q8Quantize for the tail they leave.

    private static void vectorQuantize(VectorSpecies<Float> sp, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                       long count, float scale, int zp, boolean signed) {
        long done = Q8Lanes.of(sp).quantize(x, xOff, y, yOff, count, scale, zp, signed ? -128 : 0, signed ? 127 : 255);
        Q8Quantize.quantize(null, x, xOff + 4 * done, y, yOff + done, count - done, scale, zp, signed);
    }

    private static void vectorDequantize(VectorSpecies<Float> sp, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                         long count, float scale, int zp, boolean signed) {
        long done = Q8Lanes.of(sp).dequantize(x, xOff, y, yOff, count, scale, zp, signed);
        Q8Quantize.dequantize(null, x, xOff + done, y, yOff + 4 * done, count - done, scale, zp, signed);
    }

    private static void vectorWiden(VectorSpecies<Float> sp, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                    long count, int zp, boolean signed) {
        long done = Q8Lanes.of(sp).widen(x, xOff, y, yOff, count, zp, signed);
        Q8Quantize.widen(null, x, xOff + done, y, yOff + 4 * done, count - done, zp, signed);
    }

    private static void vectorRequantize(VectorSpecies<Float> sp, MemorySegment acc, long accOff, MemorySegment y,
                                         long yOff, long count, int bias, float mult, int zp, int lo, int hi) {
        long done = Q8Lanes.of(sp).requantize(acc, accOff, y, yOff, count, bias, mult, zp, lo, hi);
        Q8Quantize.requantize(null, acc, accOff + 4 * done, y, yOff + done, count - done, bias, mult, zp, lo, hi);
    }

    /** Mostly in range, some exact ties (k + 0.5) * scale, some far out of range, an occasional NaN. */
    private static float sample(Random rnd, float scale) {
        return switch (rnd.nextInt(8)) {
            case 0 -> (rnd.nextInt(300) - 150 + 0.5f) * scale;
            case 1 -> (rnd.nextFloat() - 0.5f) * 1000;
            case 2 -> rnd.nextInt(50) == 0 ? Float.NaN : 0f;
            default -> (rnd.nextFloat() - 0.5f) * 14;
        };
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    private static float[] floats(MemorySegment s) {
        float[] r = new float[(int) (s.byteSize() / 4)];
        for (int i = 0; i < r.length; i++) r[i] = s.get(F, 4L * i);
        return r;
    }
}
