package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Q8Winograd} at 512, 256 and 128 bits, serial and on 2 and 3 threads, against exact int32
 * arithmetic ({@link Q8Conv}, then {@link Q8Quantize#requantize} per element): every output within
 * one step, and all but a few in a thousand equal (extreme values: within one step only). Also
 * which 8-bit convolutions the Java kernels give it.
 */
class Q8WinogradTest {

    enum Clamp { NONE, RELU, CLIP }

    /** x shape, output channels, pads top, left, bottom, right, signedness, per-channel multipliers, fused clamp, bias, extreme values. */
    record Case(String name, long[] x, int outChannels, int[] pads, boolean xSigned, boolean ySigned, boolean perChannel,
                Clamp clamp, boolean bias, boolean extreme) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("u8->u8 pads 1, odd 15x17, 19->21, per-channel, Relu", new long[] {1, 19, 15, 17}, 21,
                        p(1, 1, 1, 1), false, false, true, Clamp.RELU, true, false),
                new Case("s8->s8 unpadded 16x16, 16->40, per-tensor, no bias", new long[] {1, 16, 16, 16}, 40,
                        p(0, 0, 0, 0), true, true, false, Clamp.NONE, false, false),
                new Case("u8->s8 pads 2/0/1/2, 37->33, Clip, batch 2", new long[] {2, 37, 14, 15}, 33,
                        p(2, 0, 1, 2), false, true, true, Clamp.CLIP, true, false),
                new Case("s8->u8 pads 0/1/2/1 (odd left), 17x31, 24->18", new long[] {1, 24, 17, 31}, 18,
                        p(0, 1, 2, 1), true, false, false, Clamp.NONE, true, false),
                new Case("u8 pads 1/2/1/0 (even left), 18x20, 20->23, Relu", new long[] {1, 20, 18, 20}, 23,
                        p(1, 2, 1, 0), false, false, true, Clamp.RELU, true, false),
                new Case("ResNet-like 64->64 at 28x28, two blocks, Relu", new long[] {1, 64, 28, 28}, 64,
                        p(1, 1, 1, 1), false, false, true, Clamp.RELU, true, false),
                new Case("deep 256->35 at 14x14, s8", new long[] {1, 256, 14, 14}, 35,
                        p(1, 1, 1, 1), true, true, true, Clamp.NONE, true, false),
                new Case("extreme values 512->20 at 16x16", new long[] {1, 512, 16, 16}, 20,
                        p(1, 1, 1, 1), false, false, true, Clamp.NONE, true, true));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    private static int[] p(int... v) {
        return v;
    }

    /** Makes the kernel under test for a spec and a GEMM. */
    interface KernelFactory {
        KernelProvider.Q8ConvKernel make(KernelProvider.Q8ConvSpec spec, F32Gemm gemm);
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void agreesWithIntegerArithmeticWithinOneStep(Case c, int bits) {
        agreesWithinOneStep(c, bits, Q8Winograd::new);
    }

    /**
     * {@code make}'s kernel on case {@code c} at {@code bits}, serial and on 2 and 3 threads, twice
     * each: every output within one step of exact int32 arithmetic, all but one in a thousand equal
     * (extreme values: within one step only).
     */
    static void agreesWithinOneStep(Case c, int bits, KernelFactory make) {
        Random rnd = new Random(c.name.hashCode() * 31L + bits);
        int m = c.outChannels, channels = (int) c.x[1];
        long[] w = {m, channels, 3, 3};
        long[] y = {c.x[0], m, c.x[2] + c.pads[0] + c.pads[2] - 2, c.x[3] + c.pads[1] + c.pads[3] - 2};
        byte[] x = new byte[(int) F32ConvKernelTest.count(c.x)];
        byte[] wb = new byte[(int) F32ConvKernelTest.count(w)];
        // extreme: a checkerboard of 0 and 255 and weights +-127 by tap parity, alike in every channel, so
        // that the transformed products are large and add up with one sign (sums far beyond 2^22)
        int width = (int) c.x[3], height = (int) c.x[2];
        for (int k = 0; k < x.length; k++) x[k] = (byte) (c.extreme ? ((k % width + k / width % height) % 2 == 0 ? 255 : 0) : rnd.nextInt(256));
        for (int k = 0; k < wb.length; k++) wb[k] = (byte) (c.extreme ? (k % 2 == 0 ? 127 : -127) : rnd.nextInt(255) - 127);
        int zx = c.extreme ? 0 : c.xSigned ? rnd.nextInt(21) - 10 : 118 + rnd.nextInt(21);
        int depth = channels * 9;
        int[] bias = new int[m];
        float[] mult = new float[m];
        float tensorMult = (float) (60 / (Math.sqrt(depth) * 74 * 73) * (0.5 + rnd.nextDouble()));
        for (int o = 0; o < m; o++) {
            bias[o] = rnd.nextInt(4001) - 2000;
            // spreads the outputs over about +-60 steps (extreme: about 100 steps for the full sum)
            mult[o] = c.extreme ? 100f / (depth * 255f * 127f)
                    : c.perChannel ? (float) (60 / (Math.sqrt(depth) * 74 * 73) * (0.5 + rnd.nextDouble())) : tensorMult;
        }
        int lo = c.ySigned ? -128 : 0, hi = c.ySigned ? 127 : 255;
        int zy = c.ySigned ? rnd.nextInt(41) - 20 : 100 + rnd.nextInt(41);
        if (c.clamp != Clamp.NONE) lo = zy;                      // Relu: [zy, hi]
        if (c.clamp == Clamp.CLIP) hi = Math.min(hi, zy + 90);   // Relu6 with a y_scale of 6/90
        int[] b = c.bias ? bias : null;
        byte[] expected = reference(c, y, x, wb, zx, b, mult, zy, lo, hi);
        var species = F32GemmTest.species(bits);
        for (int variant = 0; variant < 3; variant++) {
            Parallel par = variant == 0 ? Parallel.SERIAL : new ParallelTestThreads(variant + 1);
            try (Tensor tw = Tensor.of(DType.INT8, wb, w); Tensor tx = Tensor.of(c.xSigned ? DType.INT8 : DType.UINT8, x, c.x);
                 Tensor ty = Tensor.allocate(c.ySigned ? DType.INT8 : DType.UINT8, y); Arena arena = Arena.ofShared()) {
                int[] pb = {c.pads[0], c.pads[1]};
                var geometry = new KernelProvider.ConvSpec(tx.dtype(), c.x, w, y, 1, p(1, 1), pb, p(1, 1), tw, null);
                var spec = new KernelProvider.Q8ConvSpec(geometry, c.xSigned, zx, b, mult, c.ySigned, zy, lo, hi);
                var kernel = make.make(spec, new F32Gemm(species));
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
                for (int repeat = 0; repeat < 2; repeat++) {
                    ty.data().fill((byte) 0x5a); // a missed output cannot pass as last run's
                    kernel.run(tx.data(), ty.data(), scratch, par);
                    byte[] got = ty.toByteArray();
                    int ones = 0;
                    for (int k = 0; k < got.length; k++) {
                        if (expected[k] != got[k]) {
                            assertEquals(1, Math.abs(expected[k] - got[k]), kernel + " element " + k);
                            ones++;
                        }
                    }
                    System.out.printf("%s %s at %d bits, variant %d: %d of %d outputs differ by 1%n",
                            kernel.getClass().getSimpleName(), c.name, bits, variant, ones, got.length);
                    if (!c.extreme) assertTrue(ones <= got.length / 1000, c.name + ": " + ones + " of " + got.length + " differ");
                }
            }
        }
    }

    /**
     * The Java kernels give an 8-bit convolution to Q8Winograd exactly where they give the float
     * convolution of the same geometry to F32Winograd, and never with {@code -Dedgerun.java.q8winograd=off}
     * or {@code -Dedgerun.java.winograd=off}.
     */
    @Test
    void theJavaKernelsTakeItWhereFloatTakesWinograd() {
        JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(512));
        long[][] inputs = {{1, 64, 56, 56}, {1, 512, 16, 16}, {1, 34, 14, 14}, {1, 33, 56, 56}, {1, 512, 7, 7}, {1, 64, 28, 28}};
        int[] outputs = {64, 40, 33, 64, 40, 32};
        int winograd = 0;
        for (int i = 0; i < inputs.length; i++) {
            long[] x = inputs[i], w = {outputs[i], x[1], 3, 3}, y = {1, outputs[i], x[2], x[3]};
            var floatSpec = new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, 1, p(1, 1), p(1, 1), p(1, 1), null, null);
            boolean floatWinograd = kernels.conv(floatSpec).orElseThrow() instanceof F32Winograd;
            try (Tensor wq = Tensor.of(DType.INT8, new byte[(int) F32ConvKernelTest.count(w)], w)) {
                var spec = spec(x, w, wq);
                var chosen = kernels.q8conv(spec).orElseThrow();
                boolean winogradChosen = chosen instanceof Q8Winograd || chosen instanceof Q8Winograd4x4;
                assertEquals(floatWinograd, winogradChosen, chosen + " where float's is Winograd: " + floatWinograd);
                if (floatWinograd) winograd++;
                for (String off : new String[] {"edgerun.java.q8winograd", "edgerun.java.winograd"}) {
                    String before = System.getProperty(off);
                    System.setProperty(off, "off");
                    try {
                        assertInstanceOf(Q8ConvGemm.class, kernels.q8conv(spec).orElseThrow(), off + "=off");
                    } finally {
                        if (before == null) System.clearProperty(off);
                        else System.setProperty(off, before);
                    }
                }
            }
        }
        // 512 x 9 deep, 40 outputs, 16 x 16: float takes Winograd there under any implicit-GEMM depth limit up to 4096
        assertTrue(winograd >= 1, "no shape went to Winograd");
    }

    private static KernelProvider.Q8ConvSpec spec(long[] x, long[] wShape, Tensor w) {
        long[] y = {x[0], wShape[0], x[2], x[3]};
        var geometry = new KernelProvider.ConvSpec(DType.UINT8, x, wShape, y, 1, p(1, 1), p(1, 1), p(1, 1), w, null);
        float[] mult = new float[(int) y[1]];
        java.util.Arrays.fill(mult, 1e-3f);
        return new KernelProvider.Q8ConvSpec(geometry, false, 128, null, mult, false, 0, 0, 255);
    }

    /** {@link Q8Conv} (int32 sums) then {@link Q8Quantize#requantize} per element. */
    private static byte[] reference(Case c, long[] yShape, byte[] x, byte[] w, int zx, int[] bias, float[] mult,
                                    int zy, int lo, int hi) {
        int m = c.outChannels;
        int[] in = {1, (int) c.x[2], (int) c.x[3]}, k = {1, 3, 3}, o = {1, (int) yShape[2], (int) yShape[3]};
        var g = new Q8Conv.Geometry((int) c.x[0], (int) c.x[1], m, 1, in, k, o, p(1, 1, 1), p(0, c.pads[0], c.pads[1]),
                p(1, 1, 1));
        int count = (int) F32ConvKernelTest.count(yShape);
        int plane = o[1] * o[2];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_BYTE, x);
            MemorySegment ws = arena.allocateFrom(ValueLayout.JAVA_BYTE, w);
            MemorySegment zw = arena.allocate(4L * m);
            MemorySegment acc = arena.allocate(4L * count);
            Q8Conv.conv(g, xs, c.xSigned, zx, ws, true, zw, acc, 0);
            byte[] y = new byte[count];
            for (int e = 0; e < count; e++) {
                int ch = (e / plane) % m;
                int a = acc.getAtIndex(ValueLayout.JAVA_INT, e) + (bias == null ? 0 : bias[ch]);
                y[e] = (byte) Q8Quantize.requantize(a, mult[ch], zy, lo, hi);
            }
            return y;
        }
    }
}
