package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Q8Conv;
import dev.edgerun.runtime.kernels.Q8Quantize;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * oneDNN's 8-bit convolution against the scalar integer convolution {@link Q8Conv#conv} followed
 * by QLinearConv's requantization as ONNX Runtime does it ({@link Q8Quantize#requantize}: float32
 * product, rounding half to even, then the zero point), on random data: outputs must be equal.
 * (Without the round post-op oneDNN adds the zero point before rounding: against a reference with
 * a double product, 2 of these 371,760 outputs were one off.)
 */
class DnnlQ8ConvKernelTest {

    private final OneDnnKernels onednn = new OneDnnKernels();
    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(onednn);
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
    }

    @AfterEach
    void restoreSelection() {
        OneDnnKernelsTest.restore(KernelSelection.PROPERTY, previous);
    }

    /** NCHW input, weight, group, strides, pads (same at both ends). */
    record Shape(String name, long[] x, long[] w, int group, int stride, int pad) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Shape> shapes() {
        return Stream.of(
                new Shape("1x1", l(1, 16, 7, 9), l(24, 16, 1, 1), 1, 1, 0),
                new Shape("depthwise 3x3", l(1, 32, 9, 11), l(32, 1, 3, 3), 32, 1, 1),
                new Shape("depthwise 3x3 stride 2", l(1, 24, 10, 13), l(24, 1, 3, 3), 24, 2, 1),
                new Shape("dense 3x3 pad 1", l(1, 8, 9, 10), l(16, 8, 3, 3), 1, 1, 1),
                new Shape("dense 3x3 stride 2 batch 2", l(2, 16, 11, 9), l(32, 16, 3, 3), 1, 2, 1),
                new Shape("dense 7x7 stride 2, 3 channels", l(1, 3, 20, 18), l(16, 3, 7, 7), 1, 2, 3));
    }

    /** Every shape with u8 and s8 inputs and outputs, with and without bias and clamp, blocked, at 1 or 2 threads. */
    static Stream<Arguments> runs() {
        return shapes().flatMap(s -> Stream.of(false, true).flatMap(xs -> Stream.of(false, true).flatMap(ys ->
                Stream.of(false, true).flatMap(bias -> Stream.of(false, true).map(clamp ->
                        Arguments.of(s, xs, ys, bias, clamp, "blocked", bias == clamp ? 1 : 2))))));
    }

    /** The same in oneDNN's plain-layout mode (NCHW in and out), for a u8 and an s8 variant each. */
    static Stream<Arguments> plainRuns() {
        return shapes().flatMap(s -> Stream.of(
                Arguments.of(s, false, false, true, true, "plain", 1),
                Arguments.of(s, true, true, true, false, "plain", 2)));
    }

    @ParameterizedTest(name = "{0}, x s8={1}, y s8={2}, bias={3}, clamp={4}, {5}, {6} threads")
    @MethodSource({"runs", "plainRuns"})
    void matchesScalarReference(Shape s, boolean xSigned, boolean ySigned, boolean withBias, boolean clamp,
                                String layout, int threads) {
        verify(onednn, s, xSigned, ySigned, withBias, clamp, layout, threads);
    }

    /** {@code provider}'s kernel (it must not decline) against the reference on random data of this case. */
    static void verify(KernelProvider provider, Shape s, boolean xSigned, boolean ySigned, boolean withBias, boolean clamp,
                       String layout, int threads) {
        Random rnd = new Random(31L * s.name.hashCode() + (xSigned ? 1 : 0) + (ySigned ? 2 : 0) + (withBias ? 4 : 0)
                + (clamp ? 8 : 0));
        long[] y = outputShape(s);
        int outChannels = (int) s.w[0];
        try (Tensor x = randomBytes(rnd, xSigned, s.x); Tensor w = randomBytes(rnd, true, s.w);
             Tensor got = Tensor.allocate(ySigned ? DType.INT8 : DType.UINT8, y); Arena arena = Arena.ofShared()) {
            int zx = xSigned ? rnd.nextInt(-20, 21) : rnd.nextInt(90, 170);
            int[] acc = accumulate(s, y, x, xSigned, zx, w, arena);
            int[] bias = withBias ? randomBias(rnd, acc, outChannels) : null;
            float[] multipliers = multipliers(rnd, acc, bias, outChannels);
            int typeMin = ySigned ? -128 : 0, typeMax = ySigned ? 127 : 255;
            int zy = ySigned ? rnd.nextInt(-30, 31) : rnd.nextInt(80, 180);
            int yMin = clamp ? Math.max(typeMin, zy) : typeMin;            // a fused Relu
            int yMax = clamp ? Math.min(typeMax, zy + 70) : typeMax;       // and a Clip's upper bound
            var geometry = new KernelProvider.ConvSpec(xSigned ? DType.INT8 : DType.UINT8, s.x, s.w, y, s.group,
                    i(s.stride, s.stride), i(s.pad, s.pad), i(1, 1), w, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, xSigned, zx, bias, multipliers, ySigned, zy, yMin, yMax);
            int[] expected = requantize(acc, bias, multipliers, zy, yMin, yMax, outChannels, planeOf(y));

            String old = System.setProperty(OneDnnKernels.LAYOUT_PROPERTY, layout);
            KernelProvider.Q8ConvKernel kernel;
            try {
                kernel = provider.q8conv(spec).orElseThrow(() -> new AssertionError(provider.name() + " declined " + spec));
            } finally {
                OneDnnKernelsTest.restore(OneDnnKernels.LAYOUT_PROPERTY, old);
            }
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0x5a);
                kernel.run(x.data(), got.data(), scratch, OneDnnKernelsTest.threads(threads));
                compare(expected, got.data(), ySigned, kernel.toString());
            }
        }
    }

    /**
     * x[1,16,12,10] u8 -> A (1x1 16->40, clamped) -> B (depthwise 3x3 stride 2, pad 1) -> C (1x1 40->24, s8 out):
     * with a and b kept in oneDNN's layout between the kernels, y equals the chain with NCHW in between.
     */
    @ParameterizedTest(name = "{0} threads")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void internalLayoutChainMatchesPlainChain(int threads) {
        Random rnd = new Random(11);
        try (Tensor wa = randomBytes(rnd, true, 40, 16, 1, 1); Tensor wb = randomBytes(rnd, true, 40, 1, 3, 3);
             Tensor wc = randomBytes(rnd, true, 24, 40, 1, 1); Tensor x = randomBytes(rnd, false, 1, 16, 12, 10);
             Arena arena = Arena.ofShared()) {
            var a = chainSpec(rnd, wa, l(1, 16, 12, 10), l(1, 40, 12, 10), 1, 1, 0, true);
            var b = chainSpec(rnd, wb, l(1, 40, 12, 10), l(1, 40, 6, 5), 40, 2, 1, false);
            var c = chainSpec(rnd, wc, l(1, 40, 6, 5), l(1, 24, 6, 5), 1, 1, 0, false);
            KernelProvider.Q8ConvKernel ka = onednn.q8conv(a).orElseThrow(), kb = onednn.q8conv(b).orElseThrow(),
                    kc = onednn.q8conv(c).orElseThrow();
            assertTrue(ka.internalOutputLayout() != null && kb.internalInputLayout() != null, "oneDNN offers its int8 layout");
            assertTrue(ka.internalOutputLayout().token().equals(kb.internalInputLayout().token()), "A's output layout is B's input layout");
            assertTrue(kb.internalOutputLayout().token().equals(kc.internalInputLayout().token()), "B's output layout is C's input layout");
            byte[] expected = runChain(arena, x.data(), threads, ka, kb, kc, 12 * 10 * 40, 6 * 5 * 40, 6 * 5 * 24);
            var ia = ka.withInternalLayouts(false, true);
            var ib = kb.withInternalLayouts(true, true);
            var ic = kc.withInternalLayouts(true, false);
            assertTrue(ia != null && ib != null && ic != null, "the kernels switch to internal layouts");
            assertTrue(ib.toString().contains("(x internal) (y internal)"), ib.toString());
            byte[] got = runChain(arena, x.data(), threads, ia, ib, ic, ka.internalOutputLayout().bytes(),
                    kb.internalOutputLayout().bytes(), 6 * 5 * 24);
            assertArrayEquals(expected, got, ic.toString());
        }
    }

    private static KernelProvider.Q8ConvSpec chainSpec(Random rnd, Tensor w, long[] x, long[] y, int group, int stride,
                                                       int pad, boolean clamp) {
        long perOutput = w.shape().dim(1) * w.shape().dim(2) * w.shape().dim(3);
        float[] multipliers = new float[(int) y[1]];
        for (int m = 0; m < multipliers.length; m++) {
            multipliers[m] = (float) (40.0 / (5500 * Math.sqrt(perOutput)) * (0.5 + rnd.nextDouble()));
        }
        int[] bias = new int[(int) y[1]];
        for (int m = 0; m < bias.length; m++) bias[m] = rnd.nextInt(-3000, 3000);
        boolean ySigned = y[1] == 24;
        var geometry = new KernelProvider.ConvSpec(DType.UINT8, x, w.shape().dims(), y, group, i(stride, stride),
                i(pad, pad), i(1, 1), w, null);
        return new KernelProvider.Q8ConvSpec(geometry, false, 120, bias, multipliers, ySigned, ySigned ? 3 : 110,
                clamp ? 110 : (ySigned ? -128 : 0), clamp ? 200 : (ySigned ? 127 : 255));
    }

    private static byte[] runChain(Arena arena, MemorySegment x, int threads, KernelProvider.Q8ConvKernel a,
                                   KernelProvider.Q8ConvKernel b, KernelProvider.Q8ConvKernel c,
                                   long aBytes, long bBytes, long yBytes) {
        MemorySegment ya = arena.allocate(aBytes, 64), yb = arena.allocate(bBytes, 64), y = arena.allocate(yBytes, 64);
        long scratchBytes = Math.max(a.scratchBytes(), Math.max(b.scratchBytes(), c.scratchBytes()));
        MemorySegment scratch = arena.allocate(scratchBytes + 64, 64);
        var par = OneDnnKernelsTest.threads(threads);
        a.run(x, ya, scratch, par);
        b.run(ya, yb, scratch, par);
        c.run(yb, y, scratch, par);
        return y.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void heapTensorsAreCopiedThrough() {
        Shape s = new Shape("dense 3x3 pad 1", l(1, 4, 5, 6), l(8, 4, 3, 3), 1, 1, 1);
        Random rnd = new Random(5);
        long[] y = outputShape(s);
        try (Tensor x = randomBytes(rnd, false, s.x); Tensor w = randomBytes(rnd, true, s.w); Arena arena = Arena.ofShared()) {
            int[] acc = accumulate(s, y, x, false, 128, w, arena);
            float[] multipliers = multipliers(rnd, acc, null, 8);
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, s.x, s.w, y, 1, i(1, 1), i(1, 1), i(1, 1), w, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 128, null, multipliers, false, 128, 0, 255);
            var kernel = onednn.q8conv(spec).orElseThrow();
            MemorySegment heapX = MemorySegment.ofArray(x.data().toArray(ValueLayout.JAVA_BYTE));
            MemorySegment heapY = MemorySegment.ofArray(new byte[(int) (8 * planeOf(y))]);
            kernel.run(heapX, heapY, MemorySegment.ofArray(new byte[8]), OneDnnKernelsTest.threads(1));
            compare(requantize(acc, null, multipliers, 128, 0, 255, 8, planeOf(y)), heapY, false, kernel.toString());
        }
    }

    @Test
    void declinesFloatWeightsWithoutThrowing() {
        try (Tensor w = OneDnnKernelsTest.randomTensor(new Random(1), 4, 2, 1, 1)) {
            var geometry = new KernelProvider.ConvSpec(DType.UINT8, l(1, 2, 3, 3), l(4, 2, 1, 1), l(1, 4, 3, 3), 1,
                    i(1, 1), i(0, 0), i(1, 1), w, null);
            var spec = new KernelProvider.Q8ConvSpec(geometry, false, 0, null, new float[] {1, 1, 1, 1}, false, 0, 0, 255);
            assertTrue(onednn.q8conv(spec).isEmpty(), "float weights are not an 8-bit convolution");
        }
    }

    private static void compare(int[] expected, MemorySegment got, boolean ySigned, String what) {
        int[] values = new int[expected.length];
        for (int i = 0; i < values.length; i++) {
            byte b = got.get(ValueLayout.JAVA_BYTE, i);
            values[i] = ySigned ? b : b & 0xff;
        }
        assertArrayEquals(expected, values, what);
    }

    /** int32 accumulators {@code sum (x - zx) * w} in NCHW order, from the scalar kernel. */
    private static int[] accumulate(Shape s, long[] y, Tensor x, boolean xSigned, int zx, Tensor w, Arena arena) {
        int outChannels = (int) s.w[0];
        var g = new Q8Conv.Geometry((int) s.x[0], (int) s.x[1], outChannels, s.group,
                i(1, (int) s.x[2], (int) s.x[3]), i(1, (int) s.w[2], (int) s.w[3]), i(1, (int) y[2], (int) y[3]),
                i(1, s.stride, s.stride), i(0, s.pad, s.pad), i(1, 1, 1));
        int count = (int) (y[0] * y[1] * y[2] * y[3]);
        MemorySegment zw = arena.allocate(4L * outChannels, 4);
        MemorySegment acc = arena.allocate(4L * count, 4);
        Q8Conv.conv(g, x.data(), xSigned, zx, w.data(), true, zw, acc, 0);
        return acc.toArray(ValueLayout.JAVA_INT);
    }

    /** QLinearConv's requantization of each accumulator plus its channel's bias. */
    private static int[] requantize(int[] acc, int[] bias, float[] multipliers, int zy, int yMin, int yMax,
                                    int outChannels, long plane) {
        int[] out = new int[acc.length];
        for (int i = 0; i < acc.length; i++) {
            int m = (int) ((i / plane) % outChannels);
            int a = acc[i] + (bias == null ? 0 : bias[m]);
            out[i] = Q8Quantize.requantize(a, multipliers[m], zy, yMin, yMax);
        }
        return out;
    }

    /** Per-channel multipliers that spread each channel's outputs over about +-90 steps (some saturate). */
    private static float[] multipliers(Random rnd, int[] acc, int[] bias, int outChannels) {
        long plane = acc.length / outChannels;
        float[] m = new float[outChannels];
        for (int c = 0; c < outChannels; c++) {
            long max = 1;
            for (int i = 0; i < acc.length; i++) {
                if ((i / plane) % outChannels == c) max = Math.max(max, Math.abs((long) acc[i] + (bias == null ? 0 : bias[c])));
            }
            m[c] = (float) (90.0 / max * (0.6 + 0.8 * rnd.nextDouble()));
        }
        return m;
    }

    private static int[] randomBias(Random rnd, int[] acc, int outChannels) {
        int spread = 1;
        for (int a : acc) spread = Math.max(spread, Math.abs(a));
        int[] b = new int[outChannels];
        for (int c = 0; c < outChannels; c++) b[c] = rnd.nextInt(-spread / 2, spread / 2 + 1);
        return b;
    }

    private static Tensor randomBytes(Random rnd, boolean signed, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        byte[] v = new byte[(int) n];
        rnd.nextBytes(v);
        return Tensor.of(signed ? DType.INT8 : DType.UINT8, v, dims);
    }

    private static long[] outputShape(Shape s) {
        long oh = (s.x[2] + 2L * s.pad - s.w[2]) / s.stride + 1;
        long ow = (s.x[3] + 2L * s.pad - s.w[3]) / s.stride + 1;
        return l(s.x[0], s.w[0], oh, ow);
    }

    private static long planeOf(long[] y) {
        return y[2] * y[3];
    }

    private static long[] l(long... v) {
        return v;
    }

    private static int[] i(int... v) {
        return v;
    }
}
