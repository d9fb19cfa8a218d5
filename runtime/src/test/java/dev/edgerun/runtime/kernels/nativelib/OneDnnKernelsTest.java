package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** oneDNN convolutions and GEMMs against the Java scalar kernels on random data, at 1 and 2 threads, in both layouts. */
class OneDnnKernelsTest {
    private final OneDnnKernels onednn = new OneDnnKernels();

    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(onednn);
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn"); // as -Dedgerun.kernels=onednn
    }

    @AfterEach
    void restoreSelection() {
        restore(KernelSelection.PROPERTY, previous);
    }

    /** input, weight, group, strides, pads begin, pads end, dilations, bias. */
    record ConvCase(String name, long[] x, long[] w, int group, int[] s, int[] pb, int[] pe, int[] d, boolean bias) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<ConvCase> convCases() {
        return Stream.of(
                new ConvCase("dense 3x3", l(1, 3, 7, 9), l(5, 3, 3, 3), 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), false),
                new ConvCase("padded strided", l(2, 4, 11, 10), l(6, 4, 3, 3), 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("asymmetric pads", l(1, 2, 6, 7), l(3, 2, 3, 2), 1, i(2, 1), i(1, 0), i(2, 1), i(1, 1), true),
                new ConvCase("floored output", l(1, 3, 10, 10), l(4, 3, 3, 3), 1, i(2, 2), i(0, 0), i(0, 0), i(1, 1), true),
                new ConvCase("dilated", l(1, 3, 12, 13), l(4, 3, 3, 3), 1, i(1, 1), i(2, 2), i(2, 2), i(2, 3), true),
                new ConvCase("grouped", l(2, 6, 8, 8), l(9, 2, 3, 3), 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("1x1", l(2, 16, 5, 7), l(33, 16, 1, 1), 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true),
                new ConvCase("dense 3x3 large (2 threads used)", l(1, 32, 28, 28), l(32, 32, 3, 3), 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("1x1 wide", l(1, 64, 14, 14), l(96, 64, 1, 1), 1, i(1, 1), i(0, 0), i(0, 0), i(1, 1), true),
                new ConvCase("3x3 128 channels (Winograd)", l(1, 128, 28, 28), l(128, 128, 3, 3), 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("depthwise 3x3", l(1, 32, 9, 19), l(32, 1, 3, 3), 32, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("depthwise strided", l(1, 5, 10, 11), l(5, 1, 3, 3), 5, i(2, 2), i(1, 1), i(1, 1), i(1, 1), false),
                new ConvCase("depthwise multiplier 2", l(1, 3, 6, 6), l(6, 1, 3, 3), 3, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("narrow 3x3 (channel blocks)", l(1, 32, 10, 12), l(16, 32, 3, 3), 1, i(1, 1), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("first layer (channel blocks)", l(1, 3, 13, 12), l(16, 3, 3, 3), 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("padded channel blocks", l(1, 24, 9, 9), l(40, 24, 3, 3), 1, i(1, 1), i(0, 0), i(1, 1), i(1, 1), true),
                new ConvCase("strided 3x3 (nhwc copies)", l(1, 64, 20, 20), l(96, 64, 3, 3), 1, i(2, 2), i(1, 1), i(1, 1), i(1, 1), true),
                new ConvCase("1-D", l(2, 3, 17), l(4, 3, 4), 1, i(2), i(1), i(2), i(2), true),
                new ConvCase("3-D", l(1, 2, 5, 6, 4), l(3, 2, 2, 3, 2), 1, i(1, 2, 1), i(1, 0, 1), i(0, 1, 1), i(2, 1, 1), true));
    }

    static Stream<Arguments> convRuns() {
        return convCases().flatMap(c -> Stream.of("plain", "blocked").flatMap(layout ->
                Stream.of(1, 2).map(threads -> Arguments.of(c, layout, threads))));
    }

    @ParameterizedTest(name = "{0}, {1}, {2} threads")
    @MethodSource("convRuns")
    void convolutionMatchesScalarKernel(ConvCase c, String layout, int threads) {
        long[] y = outputShape(c);
        Random rnd = new Random(c.name.hashCode());
        try (Tensor x = randomTensor(rnd, c.x); Tensor w = randomTensor(rnd, c.w); Tensor b = randomTensor(rnd, c.w[0]);
             Tensor expected = Tensor.allocate(DType.FLOAT, y); Tensor got = Tensor.allocate(DType.FLOAT, y);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, c.w, y, c.group, c.s, c.pb, c.d, w, null);
            MemorySegment bias = c.bias ? b.data() : MemorySegment.NULL;
            var reference = JavaKernels.scalar().conv(spec).orElseThrow();
            reference.run(x.data(), w.data(), bias, expected.data(), arena.allocate(reference.scratchBytes() + 4, 64),
                    Parallel.SERIAL);
            String old = System.setProperty(OneDnnKernels.LAYOUT_PROPERTY, layout);
            KernelProvider.ConvKernel kernel;
            try {
                kernel = onednn.conv(spec).orElseThrow(() -> new AssertionError("oneDNN declined " + spec));
            } finally {
                restore(OneDnnKernels.LAYOUT_PROPERTY, old);
            }
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0x7f);
                kernel.run(x.data(), w.data(), bias, got.data(), scratch, threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
            }
        }
    }

    /**
     * Convolutions with 16 or more channels on a side ask oneDNN for 16-channel blocks, between
     * NCHW neighbours and kept between oneDNN convolutions alike, with a real (not the reference)
     * implementation. With the uniform rule off, a wide one and a chained one stay with oneDNN's
     * choice while a narrow one between NCHW neighbours still asks for blocks; with channel blocks
     * off as well, that one does not either.
     */
    @Test
    void convolutionsAskForChannelBlocks() {
        assumeTrue(NativeKernelRules.isX86(), "the channel-block rules apply on x86-64 only");
        for (String name : new String[] {"narrow 3x3 (channel blocks)", "first layer (channel blocks)",
                "padded channel blocks", "1x1 wide"}) {
            String kernel = kernelText(name, false);
            assertTrue(kernel.contains("(nChw16c)") && !kernel.contains("ref:"), name + ": " + kernel);
        }
        String chained = kernelText("narrow 3x3 (channel blocks)", true);
        assertTrue(chained.contains("(nChw16c)"), chained);

        String oldUniform = System.setProperty(DnnlConvKernel.UNIFORM_BLOCKS_PROPERTY, "off");
        try {
            assertFalse(kernelText("1x1 wide", false).contains("(nChw16c)"));
            assertFalse(kernelText("narrow 3x3 (channel blocks)", true).contains("(nChw16c)"));
            assertTrue(kernelText("narrow 3x3 (channel blocks)", false).contains("(nChw16c)"));
            String oldBlocks = System.setProperty(OneDnnKernels.CHANNEL_BLOCKS_PROPERTY, "off");
            try {
                assertFalse(kernelText("narrow 3x3 (channel blocks)", false).contains("(nChw16c)"));
            } finally {
                restore(OneDnnKernels.CHANNEL_BLOCKS_PROPERTY, oldBlocks);
            }
        } finally {
            restore(DnnlConvKernel.UNIFORM_BLOCKS_PROPERTY, oldUniform);
        }
    }

    /**
     * 3x3 stride-1 convolutions with channel counts in multiples of 16 run as oneDNN's Winograd
     * convolution (F(2x2,3x3) or F(4x4,3x3), its choice); strided ones, those with small output
     * planes and, with the property off, every one run its direct convolution. Their results are checked against the scalar
     * kernel in {@link #convolutionMatchesScalarKernel}.
     */
    @Test
    void threeByThreeStrideOneRunsWinograd() {
        assumeTrue(NativeKernelRules.isX86(), "the Winograd rule applies on x86-64 only");
        for (String name : new String[] {"dense 3x3 large (2 threads used)", "3x3 128 channels (Winograd)"}) {
            String kernel = kernelText(name, false);
            assertTrue(kernel.contains("wino"), name + ": " + kernel);
            assertTrue(kernelText(name, true).contains("wino"), name + " kept blocked");
        }
        assertFalse(kernelText("padded strided", false).contains("wino"));
        assertFalse(kernelText("narrow 3x3 (channel blocks)", false).contains("wino"), "10x12 output plane");
        String old = System.setProperty(DnnlConvKernel.WINOGRAD_PROPERTY, "off");
        try {
            assertFalse(kernelText("dense 3x3 large (2 threads used)", false).contains("wino"));
        } finally {
            restore(DnnlConvKernel.WINOGRAD_PROPERTY, old);
        }
    }

    /**
     * A direct 3x3 convolution with 16-channel blocks on both sides runs oneDNN's brgemm kernel on
     * nhwc copies (where this CPU has it), chained or not; a small one, one with channels that pad a block, or with
     * {@code edgerun.onednn.nhwcDirect=off}, it runs on the blocks.
     */
    @Test
    void directConvolutionsInChannelBlocksRunOnNhwcCopies() {
        assumeTrue(NativeKernelRules.isX86(), "the nhwc rule applies on x86-64 only");
        String chained = kernelText("strided 3x3 (nhwc copies)", true);
        assumeTrue(chained.contains("brgconv"), "oneDNN has no brgemm convolution on this CPU: " + chained);
        assertTrue(chained.contains("run nhwc"), chained);
        assertTrue(kernelText("strided 3x3 (nhwc copies)", false).contains("run nhwc"));
        assertFalse(kernelText("padded channel blocks", true).contains("run nhwc"), "24 and 40 channels");
        assertFalse(kernelText("narrow 3x3 (channel blocks)", true).contains("run nhwc"), "1.1 MFLOP");
        String old = System.setProperty(DnnlConvKernel.NHWC_DIRECT_PROPERTY, "off");
        try {
            String blocked = kernelText("strided 3x3 (nhwc copies)", true);
            assertTrue(blocked.contains("nChw16c") && !blocked.contains("run nhwc"), blocked);
        } finally {
            restore(DnnlConvKernel.NHWC_DIRECT_PROPERTY, old);
        }
    }

    /**
     * A LeakyRelu fused into a Winograd-eligible convolution: oneDNN's Winograd kernels take no
     * LeakyReLU post-op, so the kernel is Winograd with the Java epilogue, and its output equals the
     * scalar convolution followed by LeakyRelu.
     */
    @Test
    void winogradWithoutThePostOpRunsTheJavaEpilogue() {
        assumeTrue(NativeKernelRules.isX86(), "the Winograd rule applies on x86-64 only");
        long[] xs = l(1, 32, 16, 16), ws = l(32, 32, 3, 3);
        Random rnd = new Random(3);
        try (Tensor x = randomTensor(rnd, xs); Tensor w = randomTensor(rnd, ws); Tensor b = randomTensor(rnd, 32);
             Tensor expected = Tensor.allocate(DType.FLOAT, xs); Tensor got = Tensor.allocate(DType.FLOAT, xs);
             Arena arena = Arena.ofShared()) {
            var leaky = new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f);
            var plainSpec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, xs, 1, i(1, 1), i(1, 1), i(1, 1), w, null);
            var reference = JavaKernels.scalar().conv(plainSpec).orElseThrow();
            reference.run(x.data(), w.data(), b.data(), expected.data(), arena.allocate(reference.scratchBytes() + 4, 64),
                    Parallel.SERIAL);
            leaky.apply(expected.data(), 0, (int) (expected.data().byteSize() / 4));
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, xs, 1, i(1, 1), i(1, 1), i(1, 1), w, leaky);
            KernelProvider.ConvKernel kernel = onednn.conv(spec).orElseThrow();
            assertTrue(kernel.toString().contains("wino") && !kernel.toString().contains("+eltwise"), kernel.toString());
            kernel.run(x.data(), w.data(), b.data(), got.data(), arena.allocate(kernel.scratchBytes() + 4, 64), threads(1));
            assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
        }
    }

    /** Packed weights are reordered once per layout and shared: the same layout gives the same memory object. */
    @Test
    void packedWeightsAreReorderedOncePerLayout() {
        Dnnl dnnl = Dnnl.get();
        long[] dims = l(32, 32, 3, 3);
        try (Tensor w = weights("dense 3x3 large (2 threads used)"); Arena arena = Arena.ofConfined()) {
            var kernel = (DnnlKernel) blockedKernel("dense 3x3 large (2 threads used)", w);
            var packed = new DnnlPackedWeights(dnnl);
            MemorySegment plain = dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.plainTag(4));
            long blocked = packed.memory(kernel, plain, dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.TAG_NCHW16C), w.data());
            long again = packed.memory(kernel, plain, dnnl.mdByTag(arena, dims, Dnnl.F32, Dnnl.TAG_NCHW16C), w.data());
            long asGiven = packed.memory(kernel, plain, plain, w.data());
            assertEquals(blocked, again);
            assertTrue(asGiven != blocked && asGiven != 0 && blocked != 0);
        }
    }

    /** The blocked-layout kernel for case {@code name} as text; {@code chained}: with X and Y kept in oneDNN's layout. */
    private String kernelText(String name, boolean chained) {
        try (Tensor w = weights(name)) {
            KernelProvider.ConvKernel k = blockedKernel(name, w);
            if (chained) k = k.withInternalLayouts(true, true);
            assertNotNull(k, name + (chained ? " kept blocked" : ""));
            return k.toString();
        }
    }

    private static ConvCase convCase(String name) {
        return convCases().filter(k -> k.name.equals(name)).findFirst().orElseThrow();
    }

    private static Tensor weights(String name) {
        return randomTensor(new Random(1), convCase(name).w);
    }

    private KernelProvider.ConvKernel blockedKernel(String name, Tensor w) {
        ConvCase c = convCase(name);
        String old = System.setProperty(OneDnnKernels.LAYOUT_PROPERTY, "blocked");
        try {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, c.w, outputShape(c), c.group, c.s, c.pb, c.d, w, null);
            return onednn.conv(spec).orElseThrow(() -> new AssertionError("oneDNN declined " + spec));
        } finally {
            restore(OneDnnKernels.LAYOUT_PROPERTY, old);
        }
    }

    /** m, n, k, transA, transB, alpha, accumulate, constant B, constant A. */
    record GemmCase(int m, int n, int k, boolean transA, boolean transB, float alpha, boolean accumulate,
                    boolean constB, boolean constA) { }

    static Stream<GemmCase> gemmCases() {
        return Stream.of(
                new GemmCase(1, 128, 64, false, false, 1f, false, true, false),
                new GemmCase(7, 13, 29, false, false, 1f, false, false, false),
                new GemmCase(33, 65, 17, true, false, 1f, false, true, false),
                new GemmCase(16, 10, 256, false, true, 1f, true, true, false),
                new GemmCase(5, 9, 3, true, true, 0.5f, true, false, false),
                new GemmCase(64, 64, 64, false, false, 2f, false, false, true),
                new GemmCase(128, 96, 200, false, true, 1f, false, true, false));
    }

    static Stream<Arguments> gemmRuns() {
        return gemmCases().flatMap(c -> Stream.of(1, 2).map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("gemmRuns")
    void gemmMatchesScalarKernel(GemmCase c, int threads) {
        Random rnd = new Random(c.hashCode());
        long[] aShape = c.transA ? l(c.k, c.m) : l(c.m, c.k);
        long[] bShape = c.transB ? l(c.n, c.k) : l(c.k, c.n);
        try (Tensor a = randomTensor(rnd, aShape); Tensor b = randomTensor(rnd, bShape);
             Tensor initial = randomTensor(rnd, c.m, c.n); Tensor expected = Tensor.allocate(DType.FLOAT, c.m, c.n);
             Tensor got = Tensor.allocate(DType.FLOAT, c.m, c.n); Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, c.m, c.n, c.k, c.transA, c.transB, c.alpha,
                    c.accumulate, c.constA ? a : null, c.constB ? b : null, null);
            var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
            expected.data().copyFrom(initial.data());
            reference.run(a.data(), 0, b.data(), 0, expected.data(), 0,
                    arena.allocate(reference.scratchBytes() + 4, 64), Parallel.SERIAL);
            var kernel = onednn.gemm(spec).orElseThrow(() -> new AssertionError("oneDNN declined " + spec));
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().copyFrom(initial.data());
                kernel.run(a.data(), 0, b.data(), 0, got.data(), 0, scratch, threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
            }
        }
    }

    @Test
    void gemmHonoursOffsets() {
        int m = 3, n = 4, k = 5;
        Random rnd = new Random(7);
        try (Tensor a = randomTensor(rnd, 2, m, k); Tensor b = randomTensor(rnd, 2, k, n);
             Tensor expected = Tensor.allocate(DType.FLOAT, m, n); Tensor got = Tensor.allocate(DType.FLOAT, 2, m, n);
             Arena arena = Arena.ofShared()) {
            var spec = KernelProvider.GemmSpec.f32(m, n, k);
            var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
            reference.run(a.data(), 4L * m * k, b.data(), 4L * k * n, expected.data(), 0,
                    arena.allocate(reference.scratchBytes() + 4, 64), Parallel.SERIAL);
            var kernel = onednn.gemm(spec).orElseThrow();
            kernel.run(a.data(), 4L * m * k, b.data(), 4L * k * n, got.data(), 4L * m * n,
                    arena.allocate(kernel.scratchBytes() + 4, 64), Parallel.SERIAL);
            float[] all = got.toFloatArray();
            assertClose(expected.toFloatArray(), java.util.Arrays.copyOfRange(all, m * n, 2 * m * n), kernel.toString());
        }
    }

    @Test
    void reportsVersionTwo() {
        assertTrue(OneDnnKernels.version().startsWith("2."), "oneDNN version " + OneDnnKernels.version());
    }

    static long[] outputShape(ConvCase c) {
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

    static void assertClose(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 1e-4f * Math.max(1, Math.abs(expected[i])), what + " element " + i);
        }
    }

    static Tensor randomTensor(Random rnd, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, dims);
    }

    /** A Parallel that reports {@code threads} (oneDNN runs its own OpenMP team of that size) and runs ranges serially. */
    static Parallel threads(int threads) {
        if (threads == 1) return Parallel.SERIAL;
        return new Parallel() {
            @Override public void forRange(int n, RunContext.RangeBody body) {
                if (n > 0) body.run(0, n);
            }

            @Override public int threads() {
                return threads;
            }
        };
    }

    static void restore(String key, String old) {
        if (old == null) System.clearProperty(key);
        else System.setProperty(key, old);
    }

    private static long[] l(long... v) {
        return v;
    }

    private static int[] i(int... v) {
        return v;
    }
}
