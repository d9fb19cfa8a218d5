package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The row-band split of an 8-bit oneDNN convolution ({@link DnnlQ8RowSplitConv}) against the
 * whole convolution on one thread, both reading and writing nhwc: the outputs must be equal byte
 * for byte, with the bands run one after the other and on two threads at once.
 */
class DnnlQ8RowSplitConvTest {

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
    }

    /** NCHW input, weight, group, stride, pad, dilation; signedness of X and Y. */
    record Case(String name, long[] x, long[] w, int group, int stride, int pad, int dilation, boolean xSigned,
                boolean ySigned) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("depthwise 3x3, 7 rows", l(1, 32, 7, 9), l(32, 1, 3, 3), 32, 1, 1, 1, false, false),
                new Case("depthwise 3x3 stride 2, 9 rows", l(1, 48, 9, 10), l(48, 1, 3, 3), 48, 2, 1, 1, false, true),
                new Case("1x1 24->40, s8 input", l(1, 24, 6, 5), l(40, 24, 1, 1), 1, 1, 0, 1, true, false),
                new Case("dense 3x3 16->32", l(1, 16, 11, 8), l(32, 16, 3, 3), 1, 1, 1, 1, false, false),
                new Case("dense 3x3 stride 2 16->32, 2 rows out", l(1, 16, 4, 8), l(32, 16, 3, 3), 1, 2, 1, 1, false, true),
                new Case("dense 3x3 dilation 2 16->16", l(1, 16, 10, 7), l(16, 16, 3, 3), 1, 1, 2, 2, true, true),
                new Case("dense 5x5 no pad 16->16", l(1, 16, 12, 12), l(16, 16, 5, 5), 1, 1, 0, 1, false, false));
    }

    /** Every case with X and Y in oneDNN's internal layout, and with X or Y NCHW (as at the ends of a chain). */
    static Stream<Arguments> casesAndLayouts() {
        return cases().flatMap(c -> Stream.of(Arguments.of(c, true, true), Arguments.of(c, false, true),
                Arguments.of(c, true, false)));
    }

    @ParameterizedTest(name = "{0}, x internal {1}, y internal {2}")
    @MethodSource("casesAndLayouts")
    void bandsEqualTheWholeConvolution(Case c, boolean xInternal, boolean yInternal) {
        Random rnd = new Random(c.name.hashCode());
        try (Tensor w = random(rnd, c.w); Arena arena = Arena.ofShared()) {
            DnnlQ8RowSplitConv split = splitKernel(spec(rnd, c, w), xInternal, yInternal);
            long xBytes = xInternal ? split.internalInputLayout().bytes() : elements(c.x);
            long yBytes = yInternal ? split.internalOutputLayout().bytes() : elements(split.whole().spec().geometry().outputShape());
            MemorySegment x = arena.allocate(xBytes, 64);
            for (long i = 0; i < xBytes; i++) x.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(256));
            MemorySegment scratch = arena.allocate(split.scratchBytes() + 64, 64);
            MemorySegment whole = arena.allocate(yBytes, 64), serial = arena.allocate(yBytes, 64),
                    concurrent = arena.allocate(yBytes, 64);
            serial.fill((byte) 0x5a);
            concurrent.fill((byte) 0x5a);
            split.run(x, whole, scratch, Parallel.SERIAL);          // one thread: the whole convolution
            split.runBands(x, serial, OneDnnKernelsTest.threads(2)); // the bands in turn on this thread
            split.runBands(x, concurrent, TWO_THREADS);               // the bands at once
            byte[] expected = whole.toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(expected, serial.toArray(ValueLayout.JAVA_BYTE), split.toString());
            assertArrayEquals(expected, concurrent.toArray(ValueLayout.JAVA_BYTE), split.toString());
        }
    }

    @Test
    void bandsCoverEveryRowOnce() {
        var g = geometry(l(1, 8, 9, 9), l(8, 8, 3, 3), 1, 2, 1, 1, null);
        var top = DnnlQ8RowSplitConv.Band.of(g, 0, 2);
        var bottom = DnnlQ8RowSplitConv.Band.of(g, 2, 5);
        // output rows 0-1 read input rows -1..3: rows 0-3 with one row of top padding
        assertEquals(0, top.firstInputRow());
        assertEquals(4, top.geometry().inputShape()[2]);
        assertEquals(1, top.geometry().padsBegin()[0]);
        // output rows 2-4 read input rows 3..9: rows 3-8 and one row of bottom padding
        assertEquals(3, bottom.firstInputRow());
        assertEquals(6, bottom.geometry().inputShape()[2]);
        assertEquals(0, bottom.geometry().padsBegin()[0]);
        assertEquals(3, bottom.geometry().outputShape()[2]);
    }

    @Test
    void aBandOfPaddingRowsOnlyKeepsTheWholeConvolution() {
        // 1 input row, 1x1 kernel, 3 rows of padding above and below: output rows 0-2 read padding only
        Case c = new Case("1x1 pad 3 over one row", l(1, 16, 1, 4), l(16, 16, 1, 1), 1, 1, 3, 1, false, false);
        try (Tensor w = random(new Random(9), c.w)) {
            var spec = spec(new Random(9), c, w);
            var k = KernelSelection.planningWith(2,
                    () -> DnnlQ8ConvKernel.create(Dnnl.get(), spec, true).withInternalLayouts(false, true));
            assertTrue(k != null && !(k instanceof DnnlQ8RowSplitConv), String.valueOf(k));
        }
    }

    @Test
    void oneThreadSessionsKeepTheWholeConvolution() {
        Random rnd = new Random(3);
        Case c = cases().findFirst().orElseThrow();
        try (Tensor w = random(rnd, c.w)) {
            var spec = spec(rnd, c, w);
            var k = KernelSelection.planningWith(1,
                    () -> DnnlQ8ConvKernel.create(Dnnl.get(), spec, true).withInternalLayouts(true, true));
            assertFalse(k instanceof DnnlQ8RowSplitConv, k.toString());
            assertTrue(k.toString().contains("(x internal) (y internal)"), k.toString());
        }
    }

    private static DnnlQ8RowSplitConv splitKernel(KernelProvider.Q8ConvSpec spec, boolean xInternal, boolean yInternal) {
        var k = KernelSelection.planningWith(2,
                () -> DnnlQ8ConvKernel.create(Dnnl.get(), spec, true).withInternalLayouts(xInternal, yInternal));
        return assertInstanceOf(DnnlQ8RowSplitConv.class, k, String.valueOf(k));
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static KernelProvider.Q8ConvSpec spec(Random rnd, Case c, Tensor w) {
        var g = geometry(c.x, c.w, c.group, c.stride, c.pad, c.dilation, w);
        int channels = (int) c.w[0];
        long perOutput = c.w[1] * c.w[2] * c.w[3];
        float[] multipliers = new float[channels];
        int[] bias = new int[channels];
        for (int m = 0; m < channels; m++) {
            multipliers[m] = (float) (40.0 / (5500 * Math.sqrt(perOutput)) * (0.5 + rnd.nextDouble()));
            bias[m] = rnd.nextInt(-3000, 3000);
        }
        int zx = c.xSigned ? 5 : 120, zy = c.ySigned ? -3 : 110;
        return new KernelProvider.Q8ConvSpec(g, c.xSigned, zx, bias, multipliers, c.ySigned, zy,
                c.ySigned ? -128 : 0, c.ySigned ? 100 : 230);
    }

    private static KernelProvider.ConvSpec geometry(long[] x, long[] w, int group, int stride, int pad, int dilation,
                                                    Tensor weights) {
        long extent = (w[2] - 1) * dilation + 1;
        long rows = (x[2] + 2 * pad - extent) / stride + 1, cols = (x[3] + 2 * pad - extent) / stride + 1;
        return new KernelProvider.ConvSpec(DType.UINT8, x, w, l(x[0], w[0], rows, cols), group, new int[] {stride, stride},
                new int[] {pad, pad}, new int[] {dilation, dilation}, weights, null);
    }

    private static Tensor random(Random rnd, long[] shape) {
        Tensor t = Tensor.allocate(DType.INT8, shape);
        for (long i = 0; i < t.elementCount(); i++) t.data().set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt(-127, 128));
        return t;
    }

    private static long[] l(long... v) {
        return v;
    }

    /** Range 0 on the calling thread, the rest on another thread at the same time. */
    private static final Parallel TWO_THREADS = new Parallel() {
        @Override public void forRange(int n, RunContext.RangeBody body) {
            var other = CompletableFuture.runAsync(() -> body.run(1, n));
            body.run(0, 1);
            other.join();
        }

        @Override public int threads() {
            return 2;
        }
    };
}
