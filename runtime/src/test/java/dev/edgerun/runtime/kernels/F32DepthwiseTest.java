package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Edge cases of the direct depthwise kernels ({@link F32Depthwise3x3}, {@link F32DepthwiseSameWidth},
 * {@link F32DepthwiseRows}), and the split runs of all depthwise kernels, against the naive convolution of {@link F32ConvKernelTest}: the planes
 * at either end of X (taps that would load before or past it), lanes beside a row, rows outside
 * the plane, pads wider than a vector, and the last vector of a thread's range.
 */
class F32DepthwiseTest {

    /** in [N, C, H, W], kernel, strides, pads begin and end, dilations, bias. */
    record Case(String name, long[] x, int[] k, int[] s, int[] pb, int[] pe, int[] d, boolean bias) {
        long[] weightShape() {
            return new long[] {x[1], 1, k[0], k[1]};
        }

        long[] outputShape() {
            long[] y = {x[0], x[1], 0, 0};
            for (int a = 0; a < 2; a++) y[a + 2] = (x[a + 2] + pb[a] + pe[a] - ((long) (k[a] - 1) * d[a] + 1)) / s[a] + 1;
            return y;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("one channel, odd width (group 1: a plain convolution)", new long[] {1, 1, 9, 7}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("same width, no bias, two images", new long[] {2, 3, 6, 5}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), false),
                new Case("same width, asymmetric pads", new long[] {1, 4, 8, 9}, i(3, 3), i(1, 1), i(2, 1), i(0, 1), i(1, 1), true),
                new Case("same width, dilated 3x3", new long[] {1, 5, 11, 10}, i(3, 3), i(1, 1), i(2, 2), i(2, 2), i(2, 2), true),
                new Case("same width, 5x5 wider than a short row", new long[] {1, 3, 7, 3}, i(5, 5), i(1, 1), i(2, 2), i(2, 2), i(1, 1), true),
                new Case("same width, plane of one row", new long[] {1, 6, 1, 19}, i(1, 3), i(1, 1), i(0, 1), i(0, 1), i(1, 1), true),
                new Case("same width, many planes across threads", new long[] {1, 600, 7, 7}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("stride 2, odd sizes", new long[] {1, 3, 13, 11}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("stride 2, no padding", new long[] {2, 2, 10, 9}, i(3, 3), i(2, 2), i(0, 0), i(0, 0), i(1, 1), false),
                new Case("same width, two channels, odd width", new long[] {1, 2, 9, 7}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("stride 2, two channels, one output column", new long[] {1, 2, 5, 3}, i(3, 3), i(2, 2), i(1, 0), i(1, 0), i(1, 1), true),
                new Case("stride 2, pads only at the end (TensorFlow same)", new long[] {1, 4, 14, 14}, i(3, 3), i(2, 2), i(0, 0), i(1, 1), i(1, 1), true),
                new Case("stride 2, one channel (a plain convolution), one output column", new long[] {1, 1, 5, 3}, i(3, 3), i(2, 2), i(1, 0), i(1, 0), i(1, 1), true),
                new Case("stride 2, wide rows of several vectors", new long[] {1, 2, 9, 150}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("stride 2, pads wider than a vector", new long[] {1, 2, 6, 20}, i(3, 5), i(2, 2), i(1, 9), i(1, 10), i(1, 1), true),
                new Case("stride 2, dilated", new long[] {1, 3, 15, 17}, i(3, 3), i(2, 2), i(2, 2), i(2, 2), i(2, 2), true),
                new Case("stride 2 columns, stride 1 rows", new long[] {1, 3, 8, 12}, i(3, 3), i(1, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("stride 2, more rows out than in", new long[] {1, 2, 2, 9}, i(3, 3), i(2, 2), i(3, 1), i(3, 1), i(1, 1), true),
                new Case("stride 2, 7x7 outputs across threads", new long[] {1, 600, 14, 14}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, plane smaller than a vector", new long[] {1, 5, 2, 3}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, one column", new long[] {1, 3, 6, 1}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, one row", new long[] {1, 4, 1, 9}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), false),
                new Case("3x3 same, plane of whole vectors", new long[] {2, 3, 8, 8}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, rows wider than a vector", new long[] {1, 3, 5, 40}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, DS-CNN's 25x5", new long[] {1, 64, 25, 5}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, plane of 1024", new long[] {1, 2, 32, 32}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, large odd plane", new long[] {1, 3, 41, 47}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 same, plane past the heap buffers' limit (rows path)", new long[] {1, 2, 129, 130}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 stride 2, 19 channels, odd sizes", new long[] {1, 19, 13, 11}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 stride 2, odd plane, no padding at the end", new long[] {2, 3, 7, 9}, i(3, 3), i(2, 2), i(1, 1), i(0, 0), i(1, 1), true),
                new Case("3x3 stride 2, one input", new long[] {1, 5, 1, 1}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 stride 2, 2x2 plane", new long[] {1, 6, 2, 2}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), false),
                new Case("3x3 stride 2, MobileNetV2's 112x112", new long[] {1, 18, 112, 112}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 stride 2, 56x56 across threads", new long[] {1, 37, 56, 56}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("3x3 stride 2, rows of odd width", new long[] {1, 4, 30, 45}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new Case("same width 5x5, many planes across threads", new long[] {1, 600, 7, 7}, i(5, 5), i(1, 1), i(2, 2), i(2, 2), i(1, 1), true));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    private static int[] i(int... v) {
        return v;
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesNaiveConvolution(Case c, int bits) {
        check(c, bits, null, null);
    }

    /** The depthwise cases (group above 1: one channel is a plain convolution). */
    static Stream<Arguments> depthwiseCasesAtWidths() {
        return casesAtWidths().filter(a -> ((Case) a.get()[0]).x[1] > 1);
    }

    /** F32DepthwiseRows also computes column stride 1 (F32DepthwiseConv gives it only stride 2). */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("depthwiseCasesAtWidths")
    void rowsKernelMatchesAtEveryStride(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f), null,
                spec -> new F32DepthwiseRows(spec, F32GemmTest.species(bits)));
    }

    /** The same-width cases, also run on F32DepthwiseSameWidth directly (3x3 "same" ones go to F32Depthwise3x3). */
    static Stream<Arguments> sameWidthCasesAtWidths() {
        return depthwiseCasesAtWidths().filter(a -> F32DepthwiseSameWidth.supports(spec((Case) a.get()[0], null),
                F32GemmTest.species((Integer) a.get()[1])));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("sameWidthCasesAtWidths")
    void sameWidthKernelMatches(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.CLIP, -0.2f, 0.3f), null,
                spec -> new F32DepthwiseSameWidth(spec, F32GemmTest.species(bits)));
    }

    /** The cases F32Depthwise3x3Stride2 takes, also run on it directly. */
    static Stream<Arguments> stride2CasesAtWidths() {
        return casesAtWidths().filter(a -> F32Depthwise3x3Stride2.supports(spec((Case) a.get()[0], null),
                F32GemmTest.species((Integer) a.get()[1])));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("stride2CasesAtWidths")
    void stride2KernelMatches(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.CLIP, -0.2f, 0.3f), null,
                spec -> new F32Depthwise3x3Stride2(spec, F32GemmTest.species(bits)));
        check(c, bits, null, Float.POSITIVE_INFINITY, spec -> new F32Depthwise3x3Stride2(spec, F32GemmTest.species(bits)));
    }

    @Test
    void stride2KernelTakesTheCasesItWasWrittenFor() {
        assertEquals(10 * 3, stride2CasesAtWidths().count(), "cases at 512, 256 and 128 bits");
    }

    /** A NaN input stays NaN through the clamp (compare-and-blend in F32Depthwise3x3, max/min elsewhere). */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void nanInputsStayNaNThroughTheClamp(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 0.3f), Float.NaN);
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void clampsInRegisters(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 0.3f), null);
    }

    /** An activation that is no clamp runs after the sums are stored (per batch of planes in F32Depthwise3x3). */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void otherActivationsAfterTheStore(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.TANH, 0f, 0f), null);
    }

    /** Relu: a clamp with no upper bound (one compare in F32Depthwise3x3). */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void reluInRegisters(Case c, int bits) {
        check(c, bits, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f), null);
    }

    /** Constant weights (kept on the heap by F32Depthwise3x3) give the same bits as weights passed per run. */
    @Test
    void constantWeightsGiveTheBitsOfRunWeights() {
        Case c = new Case("kws", new long[] {1, 64, 25, 5}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true);
        long[] ws = c.weightShape(), ys = c.outputShape();
        Random rnd = new Random(5);
        try (Tensor tx = Tensor.of(F32GemmTest.random(rnd, 64 * 125), c.x);
             Tensor tw = Tensor.of(F32GemmTest.random(rnd, 64 * 9), ws); Tensor tb = Tensor.of(F32GemmTest.random(rnd, 64), 64);
             Tensor y1 = Tensor.allocate(DType.FLOAT, ys); Tensor y2 = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofConfined()) {
            var act = new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 0.5f);
            var kernels = JavaKernels.vector(F32GemmTest.species(512));
            var perRun = kernels.conv(spec(c, act)).orElseThrow();
            var constant = kernels.conv(new KernelProvider.ConvSpec(DType.FLOAT, c.x, ws, ys, 64, c.s, c.pb, c.d, tw, act)).orElseThrow();
            assertInstanceOf(F32Depthwise3x3.class, constant);
            MemorySegment scratch = arena.allocate(constant.scratchBytes() + 1, 64);
            perRun.run(tx.data(), tw.data(), tb.data(), y1.data(), scratch, Parallel.SERIAL);
            constant.run(tx.data(), MemorySegment.NULL, tb.data(), y2.data(), scratch, Parallel.SERIAL);
            org.junit.jupiter.api.Assertions.assertArrayEquals(y1.toFloatArray(), y2.toFloatArray());
        }
    }

    /** Relu of a sum that is -0 (products that underflow below zero) gives +0, the bits of max(-0, 0). */
    @Test
    void reluOfNegativeZeroIsPositiveZero() {
        long[] xs = {1, 2, 4, 5}, ws = {2, 1, 3, 3};
        float[] x = new float[40], w = new float[18];
        java.util.Arrays.fill(x, 1e-30f);
        java.util.Arrays.fill(w, -1e-30f);
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, xs, 2, i(1, 1), i(1, 1), i(1, 1), null,
                new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f));
        try (Tensor tx = Tensor.of(x, xs); Tensor tw = Tensor.of(w, ws); Tensor ty = Tensor.allocate(DType.FLOAT, xs);
             Arena arena = Arena.ofConfined()) {
            var kernel = JavaKernels.vector(F32GemmTest.species(512)).conv(spec).orElseThrow();
            assertInstanceOf(F32Depthwise3x3.class, kernel);
            kernel.run(tx.data(), tw.data(), MemorySegment.NULL, ty.data(), arena.allocate(kernel.scratchBytes() + 1, 64),
                    Parallel.SERIAL);
            for (float v : ty.toFloatArray()) assertEquals(0, Float.floatToRawIntBits(v), "Relu output bits " + v);
        }
    }

    /** An infinite input must not leak into outputs whose taps do not cover it (0 * inf is NaN). */
    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void infiniteInputsBesideTheTapsDoNotLeak(Case c, int bits) {
        check(c, bits, null, Float.POSITIVE_INFINITY);
    }

    @Test
    void takesTheShapesItWasWrittenFor() {
        var species = F32GemmTest.species(512);
        var kernels = JavaKernels.vector(species);
        var sameWidth = spec(new Case("kws", new long[] {1, 64, 25, 5}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true), null);
        assertInstanceOf(F32Depthwise3x3.class, kernels.conv(sameWidth).orElseThrow());
        var fiveByFive = spec(new Case("5x5", new long[] {1, 64, 25, 5}, i(5, 5), i(1, 1), i(2, 2), i(2, 2), i(1, 1), true), null);
        assertInstanceOf(F32DepthwiseSameWidth.class, kernels.conv(fiveByFive).orElseThrow());
        var stride2 = spec(new Case("mnv2", new long[] {1, 96, 112, 112}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true), null);
        assertInstanceOf(F32Depthwise3x3Stride2.class, kernels.conv(stride2).orElseThrow());
        var stride2Pads = spec(new Case("tf same", new long[] {1, 96, 112, 112}, i(3, 3), i(2, 2), i(0, 0), i(1, 1), i(1, 1), true), null);
        assertTrue(kernels.conv(stride2Pads).orElseThrow().toString().startsWith("F32DepthwiseRows"),
                () -> "stride 2 with no padding before runs on " + kernels.conv(stride2Pads).orElseThrow());
        var mnv2First = spec(new Case("mnv2", new long[] {1, 32, 112, 112}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true), null);
        assertInstanceOf(F32Depthwise3x3.class, kernels.conv(mnv2First).orElseThrow());
    }

    /** A split over two "threads" that runs its ranges on the caller, so only the kernel's own allocation counts. */
    private static final Parallel TWO_ON_CALLER = new Parallel() {
        @Override public void forRange(int n, dev.edgerun.runtime.ops.RunContext.RangeBody body) {
            body.run(0, n / 2);
            body.run(n / 2, n);
        }
        @Override public int threads() {
            return 2;
        }
    };

    /** Above the threading threshold: same width, stride 2, stride 1 on padded rows. */
    static final Case[] SPLIT_SHAPES = {
            new Case("3x3 same", new long[] {1, 600, 7, 7}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
            new Case("same width 5x5", new long[] {1, 600, 7, 7}, i(5, 5), i(1, 1), i(2, 2), i(2, 2), i(1, 1), true),
            new Case("stride 2", new long[] {1, 600, 14, 14}, i(3, 3), i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
            new Case("3x3 same, large planes", new long[] {1, 8, 64, 64}, i(3, 3), i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
            new Case("rows", new long[] {1, 8, 64, 64}, i(5, 5), i(1, 1), i(2, 2), i(2, 2), i(1, 1), true)};

    /**
     * A split run allocates nothing per call: its range body is reused, not a capturing lambda.
     * Measured in a JVM of its own ({@link F32DepthwiseAllocationProbe}): in this suite's JVM other
     * tests run 256- and 128-bit vectors too, and the Vector API then leaves some masks and vectors
     * boxed, which a JVM that uses one width (every session) does not.
     */
    @Test
    void splitRunsAllocateNothing() throws java.io.IOException, InterruptedException {
        java.util.List<String> command = java.util.List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), F32DepthwiseAllocationProbe.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, java.util.concurrent.TimeUnit.SECONDS), "probe did not finish");
        assertEquals(0, p.exitValue(), output);
        long lines = output.lines().filter(l -> l.startsWith("bytes ")).count();
        assertEquals(SPLIT_SHAPES.length, lines, output);
        for (String line : output.lines().filter(l -> l.startsWith("bytes ")).toList()) {
            assertTrue(line.startsWith("bytes 0 "), "bytes per 200 split calls, least of 20 windows: " + line);
        }
    }

    /** The fewest bytes the calling thread allocates over 20 windows of 200 split calls of the case's kernel. */
    static long leastSplitBytes(Case c) {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(512));
        long[] ws = c.weightShape(), ys = c.outputShape();
        try (Tensor tx = Tensor.allocate(DType.FLOAT, c.x); Tensor tw = Tensor.allocate(DType.FLOAT, ws);
             Tensor tb = Tensor.allocate(DType.FLOAT, c.x[1]); Tensor ty = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofConfined()) {
            KernelProvider.ConvKernel kernel = kernels.conv(spec(c, null)).orElseThrow();
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
            long least = Long.MAX_VALUE;
            for (int window = 0; window < 20; window++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int k = 0; k < 200; k++) kernel.run(tx.data(), tw.data(), tb.data(), ty.data(), scratch, TWO_ON_CALLER);
                least = Math.min(least, mx.getCurrentThreadAllocatedBytes() - before);
            }
            return least;
        }
    }

    private static KernelProvider.ConvSpec spec(Case c, ActivationEpilogue act) {
        long[] ws = c.weightShape();
        return new KernelProvider.ConvSpec(DType.FLOAT, c.x, ws, c.outputShape(), (int) c.x[1], c.s, c.pb, c.d, null, act);
    }

    /**
     * Runs the case through JavaKernels (serial and on three threads) and compares with the naive
     * convolution. With {@code plant} set, one input per plane is set to it: the outputs whose taps
     * cover it must be infinite as the naive ones, the others finite and equal.
     */
    private static void check(Case c, int bits, ActivationEpilogue act, Float plant) {
        JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(bits));
        check(c, bits, act, plant, spec -> kernels.conv(spec).orElseThrow());
    }

    private static void check(Case c, int bits, ActivationEpilogue act, Float plant,
                              Function<KernelProvider.ConvSpec, KernelProvider.ConvKernel> kernelFor) {
        long[] ws = c.weightShape(), ys = c.outputShape();
        Random rnd = new Random(c.name.hashCode() + bits);
        float[] x = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(c.x));
        float[] w = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(ws));
        float[] b = F32GemmTest.random(rnd, (int) c.x[1]);
        if (plant != null) {
            int plane = (int) (c.x[2] * c.x[3]);
            for (int p = 0; p < x.length / plane; p++) x[p * plane + (p * 7) % plane] = plant;
        }
        float[] expected = F32ConvKernelTest.naive(x, c.x, w, ws, c.bias ? b : null, ys, (int) c.x[1], c.s, c.pb, c.d);
        if (act != null) {
            try (Tensor t = Tensor.of(expected, expected.length)) {
                act.op().reference(act.p(), act.q(), t.data(), 0, t.data(), 0, expected.length);
                expected = t.toFloatArray();
            }
        }
        for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(3)}) {
            try (Tensor tx = Tensor.of(x, c.x); Tensor tw = Tensor.of(w, ws); Tensor tb = Tensor.of(b, c.x[1]);
                 Tensor ty = Tensor.allocate(DType.FLOAT, ys); Arena arena = Arena.ofShared()) {
                KernelProvider.ConvKernel kernel = kernelFor.apply(spec(c, act));
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
                kernel.run(tx.data(), tw.data(), c.bias ? tb.data() : MemorySegment.NULL, ty.data(), scratch, par);
                float[] got = ty.toFloatArray();
                for (int k = 0; k < got.length; k++) {
                    if (Float.isNaN(expected[k]) || Float.isInfinite(expected[k])) {
                        assertEquals(expected[k], got[k], kernel + " element " + k);
                    } else {
                        assertEquals(expected[k], got[k], 1e-4f * Math.max(1, Math.abs(expected[k])), kernel + " element " + k);
                    }
                }
            }
        }
    }
}
