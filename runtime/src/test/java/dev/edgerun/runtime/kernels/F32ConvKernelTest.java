package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Convolution kernels (im2col+GEMM and direct depthwise) at every width against a naive direct convolution. */
class F32ConvKernelTest {

    /** in, weight, group, strides, pads(begin), pads(end), dilations, bias, constant weights. */
    record Case(String name, long[] x, long[] w, int group, int[] s, int[] pb, int[] pe, int[] d, boolean bias, boolean constW) {}

    static Stream<Case> cases() {
        return Stream.of(
                new Case("plain 3x3", new long[] {1, 3, 7, 9}, new long[] {5, 3, 3, 3}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, true),
                new Case("padded strided", new long[] {2, 4, 11, 10}, new long[] {6, 4, 3, 3}, 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("asymmetric pads", new long[] {1, 2, 6, 7}, new long[] {3, 2, 3, 2}, 1, i(2, 1), i(1, 0), i(2, 1), i(1, 1), true, false),
                new Case("dilated", new long[] {1, 3, 12, 13}, new long[] {4, 3, 3, 3}, 1, i(1, 1), i(2, 2), i(2, 2), i(2, 3), true, true),
                new Case("grouped", new long[] {2, 6, 8, 8}, new long[] {9, 2, 3, 3}, 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("3x3 large enough for column blocks", new long[] {1, 8, 70, 66}, new long[] {5, 8, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("7x7 s2 in column blocks, grouped, padded", new long[] {1, 4, 150, 97}, new long[] {6, 2, 7, 7}, 2, i(2, 2), i(3, 3), i(2, 3), i(1, 1), true, true),
                new Case("3x3 s2 columns, dilated", new long[] {1, 3, 21, 30}, new long[] {4, 3, 3, 3}, 1, i(1, 2), i(2, 1), i(1, 2), i(2, 2), true, false),
                new Case("pointwise in column blocks", new long[] {2, 24, 60, 50}, new long[] {10, 24, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("1x1 strided", new long[] {1, 6, 13, 11}, new long[] {5, 6, 1, 1}, 1, i(2, 2), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("pointwise", new long[] {2, 16, 5, 7}, new long[] {33, 16, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("depthwise 3x3 s1", new long[] {2, 7, 9, 19}, new long[] {7, 1, 3, 3}, 7, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise 3x3 s1 narrow plane", new long[] {1, 9, 25, 5}, new long[] {9, 1, 3, 3}, 9, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise small planes, enough work for threads", new long[] {1, 128, 25, 10}, new long[] {128, 1, 3, 3}, 128, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise large planes, enough work for threads", new long[] {1, 32, 40, 40}, new long[] {32, 1, 3, 3}, 32, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise s1 uneven pads", new long[] {2, 5, 7, 6}, new long[] {5, 1, 3, 4}, 5, i(1, 1), i(0, 2), i(2, 1), i(1, 1), true, false),
                new Case("depthwise 3x3 s2", new long[] {1, 5, 10, 11}, new long[] {5, 1, 3, 3}, 5, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, false),
                new Case("depthwise s2 even width, dilated", new long[] {2, 4, 12, 16}, new long[] {4, 1, 3, 5}, 4, i(2, 2), i(1, 0), i(0, 3), i(1, 2), true, false),
                new Case("depthwise dilated 5x5", new long[] {1, 3, 13, 40}, new long[] {3, 1, 5, 5}, 3, i(1, 1), i(4, 3), i(4, 5), i(2, 2), false, true),
                new Case("depthwise 3x3 s2 large plane (rows path)", new long[] {1, 3, 70, 67}, new long[] {3, 1, 3, 3}, 3, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise 3x3 s1 large plane, narrow rows", new long[] {2, 3, 100, 13}, new long[] {3, 1, 3, 3}, 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise 3x3 s1 large plane, wide rows", new long[] {1, 5, 33, 83}, new long[] {5, 1, 3, 3}, 5, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, false),
                new Case("depthwise s2 x1 large plane, big pads", new long[] {1, 2, 36, 40}, new long[] {2, 1, 5, 3}, 2, i(1, 2), i(3, 2), i(1, 4), i(1, 1), true, true),
                new Case("depthwise s2 narrow plane, enough work for threads", new long[] {1, 96, 30, 9}, new long[] {96, 1, 3, 3}, 96, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise same width, DS-CNN planes, two images", new long[] {2, 64, 25, 5}, new long[] {64, 1, 3, 3}, 64, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise same width, tall kernel, pads only above", new long[] {1, 6, 11, 8}, new long[] {6, 1, 3, 1}, 6, i(1, 1), i(2, 0), i(0, 0), i(1, 1), true, true),
                new Case("depthwise same width, more rows out than in", new long[] {1, 4, 5, 12}, new long[] {4, 1, 3, 3}, 4, i(1, 1), i(2, 1), i(2, 1), i(1, 1), true, false),
                new Case("depthwise same width, 7x7 planes", new long[] {1, 20, 7, 7}, new long[] {20, 1, 3, 3}, 20, i(1, 1), i(1, 1), i(1, 1), i(1, 1), false, true),
                new Case("depthwise s3 columns (scalar path)", new long[] {1, 2, 9, 11}, new long[] {2, 1, 3, 3}, 2, i(1, 3), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("depthwise multiplier 2", new long[] {1, 3, 6, 6}, new long[] {6, 1, 3, 3}, 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                // pointwise over few positions turned round (F32PointwiseFewPositions): constant weights, above F32DirectGemm's size
                new Case("few positions 7x7, partial channel panel and row panel", new long[] {1, 320, 7, 7}, new long[] {120, 320, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("few positions, two images, no bias", new long[] {2, 400, 7, 5}, new long[] {96, 400, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, true),
                // pointwise with constant weights over more than 64 positions on F32DirectGemm, split by column panels when threaded
                new Case("deep direct pointwise, partial row and column panels", new long[] {1, 310, 9, 11}, new long[] {37, 310, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("deep direct pointwise, two images, no bias", new long[] {2, 320, 10, 7}, new long[] {40, 320, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, true),
                new Case("direct pointwise, shallow, wide plane, odd channels", new long[] {1, 7, 30, 41}, new long[] {45, 7, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("direct pointwise, grouped", new long[] {1, 12, 9, 10}, new long[] {18, 4, 1, 1}, 3, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                // implicit GEMM (F32ImplicitConv): above F32DirectGemm's size, no column matrix
                new Case("implicit 3x3 rows of 14, two K blocks, partial channel panel", new long[] {1, 40, 14, 14}, new long[] {20, 40, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("implicit pointwise, last tile copied", new long[] {1, 300, 7, 9}, new long[] {13, 300, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true, true),
                new Case("implicit pointwise, two images, whole tiles", new long[] {2, 270, 8, 8}, new long[] {7, 270, 1, 1}, 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false, false),
                new Case("implicit 3x3 s2, odd input", new long[] {2, 30, 29, 31}, new long[] {7, 30, 3, 3}, 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("implicit one input channel, wide rows", new long[] {1, 1, 120, 201}, new long[] {30, 1, 3, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("implicit dilated, asymmetric pads, no bias", new long[] {1, 20, 30, 33}, new long[] {9, 20, 3, 3}, 1, i(1, 1), i(2, 1), i(1, 2), i(2, 2), false, true),
                new Case("implicit grouped", new long[] {1, 16, 48, 32}, new long[] {32, 8, 3, 3}, 2, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, false),
                new Case("implicit 1-D", new long[] {2, 40, 1000}, new long[] {12, 40, 5}, 1, i(1), i(2), i(1), i(1), true, true),
                new Case("implicit 5x3 rows of 28, deep, few outputs", new long[] {1, 64, 30, 28}, new long[] {30, 64, 5, 3}, 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true, true),
                new Case("1-D", new long[] {2, 3, 17}, new long[] {4, 3, 4}, 1, i(2), i(1), i(2), i(2), true, true),
                new Case("3-D", new long[] {1, 2, 5, 6, 4}, new long[] {3, 2, 2, 3, 2}, 1, i(1, 2, 1), i(1, 0, 1), i(0, 1, 1), i(2, 1, 1), true, true));
    }

    /** Fused activations: Relu and Clip are clamped in registers by the Java kernels, LeakyRelu applied after. */
    static Stream<Arguments> activationCases() {
        List<Case> shapes = cases().filter(c -> c.x.length == 4 && c.x[0] == 1).toList();
        List<ActivationEpilogue> acts = List.of(new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
                new ActivationEpilogue(F32UnaryOp.CLIP, -0.25f, 0.5f), new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f));
        return shapes.stream().flatMap(c -> acts.stream().flatMap(a -> Stream.of(512, 256, 0).map(bits -> Arguments.of(c, a, bits))));
    }

    @ParameterizedTest(name = "{0} with {1} at {2} bits")
    @MethodSource("activationCases")
    void appliesFusedActivation(Case c, ActivationEpilogue act, int bits) {
        check(c, bits, act);
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128, 0).map(bits -> Arguments.of(c, bits)));
    }

    private static int[] i(int... v) {
        return v;
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesNaiveConvolution(Case c, int bits) {
        check(c, bits, null);
    }

    static Stream<Arguments> implicitCasesAtWidths() {
        return cases().filter(c -> c.name.startsWith("implicit")).flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    static Stream<Arguments> fewPositionCasesAtWidths() {
        // at 128 bits the implicit GEMM's 8-lane tiles fill these positions nearly as well: not taken
        return cases().filter(c -> c.name.startsWith("few positions")).flatMap(c -> Stream.of(512, 256).map(bits -> Arguments.of(c, bits)));
    }

    /** The cases named "few positions" reach F32PointwiseFewPositions (so that the comparisons above test it); off, not. */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("fewPositionCasesAtWidths")
    void fewPositionCasesTakeTheTurnedProduct(Case c, int bits) {
        assertKernelTakenUnlessSwitchedOff(c, bits, "positions as tile rows", F32ConvKernel.FEW_POSITIONS_PROPERTY);
    }

    static Stream<Arguments> directPointwiseCasesAtWidths() {
        return cases().filter(c -> c.name.contains("direct pointwise")).flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    /** The cases named "... direct pointwise ..." reach F32DirectGemm (so that the comparisons above test it); off, not. */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("directPointwiseCasesAtWidths")
    void directPointwiseCasesTakeTheDirectGemm(Case c, int bits) {
        assertKernelTakenUnlessSwitchedOff(c, bits, "direct gemm", F32ConvKernel.DIRECT_POINTWISE_PROPERTY);
    }

    /** {@code c}'s kernel at {@code bits} names {@code marker}; with {@code property} set to off, it does not. */
    private static void assertKernelTakenUnlessSwitchedOff(Case c, int bits, String marker, String property) {
        try (Tensor w = Tensor.allocate(DType.FLOAT, c.w)) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, c.w, outputShape(c), c.group, c.s, c.pb, c.d, w, null);
            JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(bits));
            assertTrue(kernels.conv(spec).orElseThrow().toString().contains(marker), c.name);
            String before = System.getProperty(property);
            System.setProperty(property, "off");
            try {
                assertFalse(kernels.conv(spec).orElseThrow().toString().contains(marker), c.name);
            } finally {
                if (before == null) System.clearProperty(property);
                else System.setProperty(property, before);
            }
        }
    }

    /** The cases named "implicit" reach F32ImplicitConv (so that the comparisons above test it); off, im2col. */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("implicitCasesAtWidths")
    void implicitCasesTakeTheImplicitGemm(Case c, int bits) {
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, c.w, outputShape(c), c.group, c.s, c.pb, c.d, null, null);
        JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(bits));
        assertTrue(kernels.conv(spec).orElseThrow().toString().contains("implicit gemm"), c.name);
        String before = System.getProperty(F32ConvKernel.IMPLICIT_PROPERTY);
        System.setProperty(F32ConvKernel.IMPLICIT_PROPERTY, "off");
        try {
            assertFalse(kernels.conv(spec).orElseThrow().toString().contains("implicit gemm"), c.name);
        } finally {
            if (before == null) System.clearProperty(F32ConvKernel.IMPLICIT_PROPERTY);
            else System.setProperty(F32ConvKernel.IMPLICIT_PROPERTY, before);
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

    private static void check(Case c, int bits, ActivationEpilogue act) {
        JavaKernels kernels = bits == 0 ? JavaKernels.scalar() : JavaKernels.vector(F32GemmTest.species(bits));
        long[] y = outputShape(c);
        Random rnd = new Random(c.name.hashCode() + bits);
        float[] x = F32GemmTest.random(rnd, (int) count(c.x));
        float[] w = F32GemmTest.random(rnd, (int) count(c.w));
        float[] b = F32GemmTest.random(rnd, (int) c.w[0]);
        float[] expected = naive(x, c.x, w, c.w, c.bias ? b : null, y, c.group, c.s, c.pb, c.d);
        if (act != null) {
            try (Tensor t = Tensor.of(expected, expected.length)) {
                act.op().reference(act.p(), act.q(), t.data(), 0, t.data(), 0, expected.length);
                expected = t.toFloatArray();
            }
        }
        // serial, threaded, and im2col+GEMM threaded with every split taken (GEMM threshold 0: these shapes are below the real one)
        for (int variant = 0; variant < 3; variant++) {
            Parallel par = variant == 0 ? Parallel.SERIAL : new ParallelTestThreads(3);
            try (Tensor tx = Tensor.of(x, c.x); Tensor tw = Tensor.of(w, c.w); Tensor tb = Tensor.of(b, c.w[0]);
                 Tensor ty = Tensor.allocate(DType.FLOAT, y); Arena arena = Arena.ofShared()) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, c.w, y, c.group, c.s, c.pb, c.d,
                        c.constW ? tw : null, act);
                KernelProvider.ConvKernel kernel = variant == 2
                        ? new F32ConvKernel(spec, new F32Gemm(bits == 0 ? null : F32GemmTest.species(bits), 0))
                        : kernels.conv(spec).orElseThrow();
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
                kernel.run(tx.data(), tw.data(), c.bias ? tb.data() : MemorySegment.NULL, ty.data(), scratch, par);
                float[] got = ty.toFloatArray();
                for (int k = 0; k < got.length; k++) {
                    assertEquals(expected[k], got[k], 1e-4f * Math.max(1, Math.abs(expected[k])), kernel + " element " + k);
                }
            }
        }
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Direct convolution, one output element at a time, any rank. */
    static float[] naive(float[] x, long[] xs, float[] w, long[] ws, float[] bias, long[] ys, int group,
                         int[] s, int[] pb, int[] d) {
        int rank = xs.length - 2;
        int n = (int) ys[0], m = (int) ys[1], c = (int) xs[1], cg = c / group, mg = m / group;
        long outPlane = 1, inPlane = 1, kPlane = 1;
        for (int a = 0; a < rank; a++) {
            outPlane *= ys[a + 2];
            inPlane *= xs[a + 2];
            kPlane *= ws[a + 2];
        }
        float[] out = new float[(int) (n * m * outPlane)];
        int[] o = new int[rank], k = new int[rank];
        for (int b = 0; b < n; b++) for (int oc = 0; oc < m; oc++) {
            int g = oc / mg;
            for (int q = 0; q < outPlane; q++) {
                unravel(q, ys, o);
                double acc = bias == null ? 0 : bias[oc];
                for (int ic = 0; ic < cg; ic++) for (int kq = 0; kq < kPlane; kq++) {
                    unravel(kq, ws, k);
                    long idx = 0;
                    boolean inside = true;
                    for (int a = 0; a < rank; a++) {
                        long coord = (long) o[a] * s[a] - pb[a] + (long) k[a] * d[a];
                        if (coord < 0 || coord >= xs[a + 2]) inside = false;
                        idx = idx * xs[a + 2] + coord;
                    }
                    if (!inside) continue;
                    float xv = x[(int) (((long) b * c + g * cg + ic) * inPlane + idx)];
                    float wv = w[(int) (((long) oc * cg + ic) * kPlane + kq)];
                    acc += (double) xv * wv;
                }
                out[(int) (((long) b * m + oc) * outPlane + q)] = (float) acc;
            }
        }
        return out;
    }

    private static void unravel(long q, long[] shape, int[] coords) {
        for (int a = coords.length - 1; a >= 0; a--) {
            coords[a] = (int) (q % shape[a + 2]);
            q /= shape[a + 2];
        }
    }
}
