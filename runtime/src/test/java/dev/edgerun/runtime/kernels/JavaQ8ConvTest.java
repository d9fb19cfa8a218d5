package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java 8-bit convolutions ({@link JavaKernels#q8conv}: {@link Q8PointwiseImplicit} for pointwise ones with
 * few outputs, {@link Q8PointwiseDirect} for other pointwise ones over 32 positions or more, {@link Q8PointwiseFewPositionsBytes} and {@link Q8PointwiseFewPositions} for pointwise ones over few positions, {@link Q8ConvGemm} for other 1-D/2-D,
 * {@link Q8DepthwiseConv} for 2-D depthwise, {@link Q8ConvViaF32} for 3-D, depthwise 1-D and deep ones over few positions) at
 * every width against the direct
 * integer loops of {@link Q8Conv} requantized by the scalar {@link Q8Quantize#requantize}.
 * Outputs must agree exactly while the integer sums stay below 2^24 (every case but the deep
 * extreme one), and within one step beyond.
 */
class JavaQ8ConvTest {

    /** x shape, w shape, group, strides, pads begin, pads end, dilations, x signed, y signed, clamped, bias, extreme values. */
    record Case(String name, long[] x, long[] w, int group, int[] s, int[] pb, int[] pe, int[] d,
                boolean xSigned, boolean ySigned, boolean clamped, boolean bias, boolean extreme) {}

    static Stream<Case> cases() {
        return Stream.of(
                new Case("pointwise u8", new long[] {1, 24, 7, 9}, new long[] {40, 24, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("pointwise s8 batch 2", new long[] {2, 32, 5, 5}, new long[] {17, 32, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true, false, true, false),
                new Case("depthwise 3x3 s1 u8 relu6", new long[] {1, 16, 11, 13}, new long[] {16, 1, 3, 3}, 16, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("depthwise 3x3 s2 s8", new long[] {1, 12, 14, 15}, new long[] {12, 1, 3, 3}, 12, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true, true, true, false),
                new Case("depthwise 3x3 s2 odd, no bias", new long[] {2, 5, 9, 7}, new long[] {5, 1, 3, 3}, 5, i(2, 2), i(0, 1), i(1, 0), i(1, 1), false, true, false, false, false),
                new Case("dense 3x3 padded s2 (first layer)", new long[] {1, 3, 17, 15}, new long[] {8, 3, 3, 3}, 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("dense 3x3 padded s1 s8->u8", new long[] {1, 6, 10, 11}, new long[] {7, 6, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, false, false, true, false),
                new Case("grouped dilated", new long[] {1, 6, 9, 9}, new long[] {9, 2, 3, 3}, 3, i(1, 1), i(2, 2), i(2, 2), i(2, 2), false, true, false, true, false),
                new Case("1-D", new long[] {2, 3, 19}, new long[] {4, 3, 5}, 1, i(2), i(2), i(1), i(1), true, true, true, true, false),
                new Case("depthwise in channel blocks, batch 2", new long[] {2, 12, 64, 61}, new long[] {12, 1, 3, 3}, 12, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("depthwise 5x5 s2 pad 2, wide rows", new long[] {1, 7, 23, 45}, new long[] {7, 1, 5, 5}, 7, i(2, 2), i(2, 2), i(2, 2), i(1, 1), false, false, false, true, false),
                new Case("depthwise 3x3 s2 unpadded, odd sizes", new long[] {1, 3, 37, 35}, new long[] {3, 1, 3, 3}, 3, i(2, 2), i(0, 0), i(0, 0), i(1, 1), true, false, true, true, false),
                new Case("depthwise dilated 2, asymmetric pads", new long[] {1, 5, 12, 19}, new long[] {5, 1, 3, 3}, 5, i(1, 1), i(2, 1), i(1, 3), i(2, 2), false, true, false, true, false),
                new Case("depthwise s3 and s1x2, 2x4 kernel", new long[] {1, 4, 17, 20}, new long[] {4, 1, 2, 4}, 4, i(3, 2), i(1, 0), i(0, 2), i(1, 1), true, true, false, true, false),
                new Case("depthwise tiny planes (2x2, padded)", new long[] {3, 9, 2, 2}, new long[] {9, 1, 3, 3}, 9, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("depthwise 3x3 same, s8 in, extreme values, 7x7 (a 1-lane last vector)", new long[] {2, 9, 7, 7}, new long[] {9, 1, 3, 3}, 9, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true, false, true, true),
                new Case("depthwise 3x3 same, one column", new long[] {1, 3, 20, 1}, new long[] {3, 1, 3, 3}, 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, true, true, false, false),
                new Case("depthwise 3x3 s2 pads 1/0, wide rows, extreme values", new long[] {1, 5, 20, 70}, new long[] {5, 1, 3, 3}, 5, i(2, 2), i(1, 1), i(0, 0), i(1, 1), false, false, true, true, true),
                new Case("depthwise 3x3 s2 pads 1/1, odd sizes, s8 in", new long[] {2, 3, 9, 7}, new long[] {3, 1, 3, 3}, 3, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, false, false, true, false),
                new Case("depthwise 3x3 s1 threaded (over 256k MACs)", new long[] {1, 33, 32, 31}, new long[] {33, 1, 3, 3}, 33, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("depthwise 3x3 s2 threaded, batch 2", new long[] {2, 31, 48, 48}, new long[] {31, 1, 3, 3}, 31, i(2, 2), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("pointwise K 300 (one K block), s8 in", new long[] {1, 300, 5, 10}, new long[] {37, 300, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, false, true, true, false),
                new Case("grouped 3x3 padded, batch 2", new long[] {2, 8, 6, 7}, new long[] {6, 4, 3, 3}, 2, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, true, false, true, false),
                new Case("dense 3x3 in column blocks", new long[] {1, 16, 48, 48}, new long[] {8, 16, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("dense 3x3 in column blocks, K 288, s2 columns", new long[] {1, 32, 40, 79}, new long[] {6, 32, 3, 3}, 1, i(1, 2), i(1, 1), i(1, 1), i(1, 1), true, true, false, true, false),
                new Case("pointwise in column blocks", new long[] {1, 16, 72, 73}, new long[] {10, 16, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("pointwise in column blocks, K 300, s8 in", new long[] {1, 300, 30, 37}, new long[] {7, 300, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true, false, true, false),
                new Case("1x1 stride 2 (no padded planes)", new long[] {1, 12, 15, 14}, new long[] {9, 12, 1, 1}, 1, i(2, 2), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("pointwise K 1100 (two K blocks, partial sums)", new long[] {1, 1100, 3, 7}, new long[] {13, 1100, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, true, false, true, false),
                new Case("dense 3x3 in column blocks, K 1152 (partial sums)", new long[] {1, 128, 24, 24}, new long[] {8, 128, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("depthwise 1-D", new long[] {1, 4, 23}, new long[] {4, 1, 3}, 4, i(1), i(1), i(1), i(1), true, false, false, true, false),
                new Case("3-D", new long[] {1, 3, 5, 6, 7}, new long[] {4, 3, 2, 3, 3}, 1, i(1, 2, 1), i(1, 0, 1), i(0, 1, 1), i(2, 1, 1), false, true, true, true, false),
                new Case("narrow pointwise (implicit), 3 panels, a 17-position tail, u8", new long[] {1, 40, 7, 7}, new long[] {24, 40, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, false, true, false),
                new Case("narrow pointwise (implicit), 32 outputs, K 192, batch 2, threaded", new long[] {2, 192, 14, 14}, new long[] {32, 192, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, true, true, true, false),
                new Case("wide shallow pointwise (implicit), 96 outputs, K 16, 1035 positions (a 11-position tail), relu6", new long[] {1, 16, 23, 45}, new long[] {96, 16, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("wide shallow pointwise (implicit), 144 outputs, K 24, s8 in, batch 2", new long[] {2, 24, 32, 40}, new long[] {144, 24, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true, false, true, false),
                new Case("narrow pointwise (implicit), 1-position planes, no bias", new long[] {3, 20, 1, 1}, new long[] {5, 20, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, false, false, false, false),
                new Case("narrow pointwise (implicit) extreme, K 500 (sums just below 2^24)", new long[] {1, 500, 6, 6}, new long[] {9, 500, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, false, true, true),
                new Case("pointwise over few positions (turned round), 7x7, K 576, 160 outputs, batch 2", new long[] {2, 576, 7, 7}, new long[] {160, 576, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("pointwise over few positions (turned round), 5x9, K 520, s8 in, no bias", new long[] {1, 520, 5, 9}, new long[] {128, 520, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true, false, false, false),
                new Case("shallow narrow 3x3 s2 (implicit over padded byte planes), u8, first layer", new long[] {1, 3, 70, 67}, new long[] {20, 3, 3, 3}, 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("shallow narrow 3x3 s2 (implicit), s8, unpadded, batch 2, wide rows", new long[] {2, 2, 41, 140}, new long[] {9, 2, 3, 3}, 1, i(2, 2), i(0, 0), i(0, 0), i(1, 1), true, true, false, true, false),
                new Case("shallow 7x7 s2 (implicit), 64 outputs, K 147, pads 3 (ResNet-18's first layer)", new long[] {1, 3, 45, 40}, new long[] {64, 3, 7, 7}, 1, i(2, 2), i(3, 3), i(3, 3), i(1, 1), false, false, true, true, false),
                new Case("pointwise 14x14, K 576, 96 outputs (packed whole, not in one-panel blocks), batch 2", new long[] {2, 576, 14, 14}, new long[] {96, 576, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, false, true, false),
                new Case("shallow narrow 5x3 s1 (implicit), pads 2/1, no bias", new long[] {1, 4, 19, 37}, new long[] {32, 4, 5, 3}, 1, i(1, 1), i(2, 1), i(2, 1), i(1, 1), false, true, false, false, false),
                new Case("dense 3x3 over few positions (via float, F32FewPositionsConv), 7x7, K 576", new long[] {1, 64, 7, 7}, new long[] {96, 64, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, false, true, true, false),
                new Case("dense 3x3 s2 over few positions (via float, F32FewPositionsConv), 14x14 to 7x7, s8 in, batch 2", new long[] {2, 48, 14, 14}, new long[] {64, 48, 3, 3}, 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true, false, true, false),
                new Case("pointwise over few positions (bytes in registers), 7x7, K 320, 1280 outputs, relu6", new long[] {1, 320, 7, 7}, new long[] {1280, 320, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, true, true, false),
                new Case("pointwise over few positions (bytes in registers), 5x9, K 500, 530 outputs, s8 in, no bias, batch 2", new long[] {2, 500, 5, 9}, new long[] {530, 500, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true, false, false, false),
                new Case("pointwise (direct, the input widened once), 14x14, K 384, 64 outputs, s8 in, relu6", new long[] {1, 384, 14, 14}, new long[] {64, 384, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, false, true, true, false),
                new Case("pointwise deep extreme (sums beyond 2^24)", new long[] {1, 640, 3, 5}, new long[] {6, 640, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false, false, true, true));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128, 0).map(bits -> Arguments.of(c, bits)));
    }

    private static int[] i(int... v) {
        return v;
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesIntegerReference(Case c, int bits) {
        JavaKernels kernels = bits == 0 ? JavaKernels.scalar() : JavaKernels.vector(F32GemmTest.species(bits));
        Random rnd = new Random(c.name.hashCode() * 31L + bits);
        long[] y = outputShape(c);
        int outChannels = (int) c.w[0];
        int inCount = (int) F32ConvKernelTest.count(c.x), outCount = (int) F32ConvKernelTest.count(y);
        byte[] x = new byte[inCount];
        byte[] w = new byte[(int) F32ConvKernelTest.count(c.w)];
        for (int k = 0; k < x.length; k++) x[k] = (byte) (c.extreme ? 255 : rnd.nextInt(256));
        for (int k = 0; k < w.length; k++) w[k] = (byte) (c.extreme ? 127 : rnd.nextInt(255) - 127);
        int zx = c.extreme ? 0 : c.xSigned ? rnd.nextInt(21) - 10 : 118 + rnd.nextInt(21);
        int kDepth = (int) (F32ConvKernelTest.count(c.w) / outChannels);
        int[] bias = new int[outChannels];
        float[] mult = new float[outChannels];
        for (int m = 0; m < outChannels; m++) {
            bias[m] = rnd.nextInt(4001) - 2000;
            // spreads the outputs over about +-60 steps (extreme: about 100 steps for the full sum)
            mult[m] = c.extreme ? 100f / (kDepth * 255f * 127f) : (float) (60 / (Math.sqrt(kDepth) * 74 * 73) * (0.5 + rnd.nextDouble()));
        }
        int lo = c.ySigned ? -128 : 0, hi = c.ySigned ? 127 : 255;
        int zy = c.ySigned ? rnd.nextInt(41) - 20 : 100 + rnd.nextInt(41);
        if (c.clamped) { // a fused Relu6: [zy, zy + 6 / y_scale] with a y_scale of 6/90
            lo = zy;
            hi = Math.min(hi, zy + 90);
        }
        int[] b = c.bias ? bias : null;
        byte[] expected = reference(c, y, x, w, zx, b, mult, zy, lo, hi);
        // serial, threaded, and threaded with every split taken (GEMM threshold 0: these shapes are below the real one)
        for (int variant = 0; variant < 3; variant++) {
            Parallel par = variant == 0 ? Parallel.SERIAL : new ParallelTestThreads(3);
            try (Tensor tw = Tensor.of(DType.INT8, w, c.w); Tensor tx = Tensor.of(c.xSigned ? DType.INT8 : DType.UINT8, x, c.x);
                 Tensor ty = Tensor.allocate(c.ySigned ? DType.INT8 : DType.UINT8, y); Arena arena = Arena.ofShared()) {
                var geometry = new KernelProvider.ConvSpec(tx.dtype(), c.x, c.w, y, c.group, c.s, c.pb, c.d, tw, null);
                var spec = new KernelProvider.Q8ConvSpec(geometry, c.xSigned, zx, b, mult, c.ySigned, zy, lo, hi);
                var species = bits == 0 ? null : F32GemmTest.species(bits);
                boolean implicit = Q8PointwiseImplicit.supports(spec, species);
                boolean gemmPath = !geometry.isDepthwise() && Q8ConvGemm.supports(geometry);
                if (variant == 2 && !gemmPath) continue;
                KernelProvider.Q8ConvKernel kernel = variant == 2 && implicit
                        ? new Q8PointwiseImplicit(spec, new F32Gemm(species, 0))
                        : variant == 2 && Q8ImplicitConv.supports(spec, species) ? new Q8ImplicitConv(spec, new F32Gemm(species, 0))
                        : variant == 2 ? new Q8ConvGemm(spec, species, new F32Gemm(species, 0))
                        : kernels.q8conv(spec).orElseThrow();
                if (variant == 0) assertEquals(implicit, kernel instanceof Q8PointwiseImplicit, c.name + ": " + kernel);
                if (variant == 0 && c.name.contains("(implicit") && bits == 512 && !implicit) assertTrue(kernel instanceof Q8ImplicitConv, c.name + ": " + kernel);
                if (variant == 0 && c.name.contains("turned round") && bits == 512) assertTrue(kernel instanceof Q8PointwiseFewPositions, c.name + ": " + kernel);
                if (variant == 0 && c.name.contains("bytes in registers") && bits == 512) assertTrue(kernel instanceof Q8PointwiseFewPositionsBytes, c.name + ": " + kernel);
                if (variant == 0 && c.name.contains("(direct") && bits == 512) assertTrue(kernel instanceof Q8PointwiseDirect, c.name + ": " + kernel);
                if (variant == 0 && c.name.contains("via float, F32FewPositionsConv") && bits == 512) assertTrue(kernel instanceof Q8ConvViaF32, c.name + ": " + kernel);
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
                for (int repeat = 0; repeat < 2; repeat++) { // the second run reuses the scratch slices
                    kernel.run(tx.data(), ty.data(), scratch, par);
                    byte[] got = ty.toByteArray();
                    int ones = 0;
                    for (int k = 0; k < outCount; k++) {
                        int e = expected[k], g = got[k];
                        if (e != g) {
                            assertEquals(1, Math.abs(e - g), kernel + " element " + k);
                            ones++;
                        }
                    }
                    if (ones > 0) System.out.printf("JavaQ8ConvTest %s at %d bits: %d of %d outputs differ by 1%n", c.name, bits, ones, outCount);
                    // exact: any case whose sums stay below 2^24 whatever the values (extreme depthwise ones too)
                    if (!c.extreme || kDepth * 255L * 128 < 1 << 24) assertEquals(0, ones, c.name + ": outputs differing by 1 where sums are exact");
                    assertTrue(outCount > 0);
                }
            }
        }
    }

    private static long[] outputShape(Case c) {
        int rank = c.x.length - 2;
        long[] y = new long[c.x.length];
        y[0] = c.x[0];
        y[1] = c.w[0];
        for (int a = 0; a < rank; a++) {
            long span = (c.w[a + 2] - 1) * c.d[a] + 1;
            y[a + 2] = (c.x[a + 2] + c.pb[a] + c.pe[a] - span) / c.s[a] + 1;
        }
        return y;
    }

    /** {@link Q8Conv} (int32 sums) then {@link Q8Quantize#requantize} per element. */
    private static byte[] reference(Case c, long[] yShape, byte[] x, byte[] w, int zx, int[] bias, float[] mult,
                                    int zy, int lo, int hi) {
        int rank = c.x.length - 2;
        int[] in = {1, 1, 1}, k = {1, 1, 1}, o = {1, 1, 1}, s = {1, 1, 1}, p = {0, 0, 0}, d = {1, 1, 1};
        for (int a = 0; a < rank; a++) {
            int j = 3 - rank + a;
            in[j] = (int) c.x[a + 2];
            k[j] = (int) c.w[a + 2];
            o[j] = (int) yShape[a + 2];
            s[j] = c.s[a];
            p[j] = c.pb[a];
            d[j] = c.d[a];
        }
        int outChannels = (int) c.w[0];
        var g = new Q8Conv.Geometry((int) c.x[0], (int) c.x[1], outChannels, c.group, in, k, o, s, p, d);
        int count = (int) F32ConvKernelTest.count(yShape);
        int plane = count / ((int) yShape[0] * outChannels);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_BYTE, x);
            MemorySegment ws = arena.allocateFrom(ValueLayout.JAVA_BYTE, w);
            MemorySegment zw = arena.allocate(4L * outChannels);
            MemorySegment acc = arena.allocate(4L * count);
            Q8Conv.conv(g, xs, c.xSigned, zx, ws, true, zw, acc, 0);
            byte[] y = new byte[count];
            for (int e = 0; e < count; e++) {
                int m = (e / plane) % outChannels;
                int a = acc.getAtIndex(ValueLayout.JAVA_INT, e) + (bias == null ? 0 : bias[m]);
                y[e] = (byte) Q8Quantize.requantize(a, mult[m], zy, lo, hi);
            }
            return y;
        }
    }
}
