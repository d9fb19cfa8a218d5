package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A oneDNN matmul that runs as the Java product over the session's threads
 * ({@link DnnlJavaSplitMatMul}), the choice forced to the Java split: its result on two threads
 * (in turn and at once) and the whole oneDNN product (one thread) against a double-precision
 * product, plain, accumulating onto Y, with Relu, and in the row-bias form; which products and
 * sessions get it.
 */
class DnnlJavaSplitMatMulTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @BeforeEach
    void requireLibraryAndJavaSplitAlways() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        System.setProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY, "off"); // the Java split on every run with two threads
    }

    @AfterEach
    void restore() {
        System.clearProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY);
        System.clearProperty(DnnlJavaSplitMatMul.PROPERTY);
    }

    @ParameterizedTest(name = "{0}x{1}x{2} accumulate {3} relu {4}")
    @CsvSource({"32,384,128,false,false", "32,512,128,true,true", "32,128,512,true,false", "33,96,320,false,true",
            "17,256,240,true,false", "40,64,400,false,false"})
    void splitAndWholeMatchTheProduct(int m, int n, int k, boolean accumulate, boolean relu) {
        Random rnd = new Random(m * 31 + n + k);
        try (Arena arena = Arena.ofShared(); Tensor b = random(rnd, k, n)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, accumulate, null, b,
                    relu ? new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f) : null);
            DnnlJavaSplitMatMul split = split(spec);
            MemorySegment a = segment(arena, rnd, m * k), start = segment(arena, rnd, m * n);
            MemorySegment scratch = arena.allocate(split.scratchBytes() + 64, 64);
            float[] expected = product(a, b, accumulate ? start : null, null, m, n, k, relu);
            for (Parallel par : new Parallel[] {Parallel.SERIAL, OneDnnKernelsTest.threads(2), TWO_THREADS}) {
                MemorySegment y = arena.allocate(start.byteSize(), 64).copyFrom(start);
                split.run(a, 0, null, 0, y, 0, scratch, par);
                assertClose(expected, y.toArray(ValueLayout.JAVA_FLOAT), k, split + " on " + par.threads());
            }
        }
    }

    @Test
    void rowBiasFormMatchesTheProduct() {
        int m = 32, n = 512, k = 128;
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared(); Tensor b = random(rnd, k, n)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, true, null, b, null);
            RowBiasGemm.Kernel biased = split(spec).withRowBias();
            assertNotNull(biased);
            MemorySegment a = segment(arena, rnd, m * k), bias = segment(arena, rnd, n);
            MemorySegment scratch = arena.allocate(biased.scratchBytes() + 64, 64);
            float[] expected = product(a, b, null, bias, m, n, k, false);
            for (Parallel par : new Parallel[] {Parallel.SERIAL, OneDnnKernelsTest.threads(2), TWO_THREADS}) {
                MemorySegment y = segment(arena, rnd, m * n); // garbage: the row-bias form writes every value
                biased.run(a, 0, null, 0, bias, 0, y, 0, scratch, par);
                assertClose(expected, y.toArray(ValueLayout.JAVA_FLOAT), k, "row bias on " + par.threads());
            }
        }
    }

    @Test
    void measuredChoiceGivesTheProductOnEveryRun() {
        System.clearProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY); // trial rounds alternate the Java split and the whole
        int m = 32, n = 384, k = 128;
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofShared(); Tensor b = random(rnd, k, n)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, false, null, b, null);
            DnnlJavaSplitMatMul split = split(spec);
            MemorySegment a = segment(arena, rnd, m * k);
            MemorySegment scratch = arena.allocate(split.scratchBytes() + 64, 64);
            float[] expected = product(a, b, null, null, m, n, k, false);
            for (int run = 0; run < 60; run++) {
                MemorySegment y = segment(arena, rnd, m * n);
                split.run(a, 0, null, 0, y, 0, scratch, TWO_THREADS);
                assertClose(expected, y.toArray(ValueLayout.JAVA_FLOAT), k, "run " + run);
            }
        }
    }

    @Test
    void takesTheProductsTheBandsWouldTakeUnlessSwitchedOff() {
        try (Tensor b = random(new Random(1), 128, 128); Tensor big = random(new Random(2), 128, 512)) {
            var large = new KernelProvider.GemmSpec(DType.FLOAT, 32, 512, 128, false, false, 1f, false, null, big, null);
            assertInstanceOf(DnnlJavaSplitMatMul.class, kernel(large, 2));
            assertFalse(kernel(large, 1) instanceof DnnlJavaSplitMatMul, "1 thread: " + kernel(large, 1));
            var small = new KernelProvider.GemmSpec(DType.FLOAT, 32, 128, 128, false, false, 1f, false, null, b, null);
            assertFalse(kernel(small, 2) instanceof DnnlJavaSplitMatMul, "1 MFLOP: " + kernel(small, 2));
            System.setProperty(DnnlJavaSplitMatMul.PROPERTY, "off");
            assertInstanceOf(DnnlRowSplitMatMul.class, kernel(large, 2));
        }
    }

    private static void assertClose(float[] expected, float[] actual, int k, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5 * k, what + " at " + i);
        }
    }

    /** {@code A.B (+ Y's start) (+ bias row)}, Relu optionally, in double. */
    private static float[] product(MemorySegment a, Tensor b, MemorySegment start, MemorySegment bias, int m, int n, int k,
                                   boolean relu) {
        float[] bv = b.toFloatArray();
        float[] y = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = start == null ? 0 : start.getAtIndex(F, (long) i * n + j);
                if (bias != null) s += bias.getAtIndex(F, j);
                for (int p = 0; p < k; p++) s += (double) a.getAtIndex(F, (long) i * k + p) * bv[p * n + j];
                y[i * n + j] = (float) (relu ? Math.max(0, s) : s);
            }
        }
        return y;
    }

    private static DnnlJavaSplitMatMul split(KernelProvider.GemmSpec spec) {
        return assertInstanceOf(DnnlJavaSplitMatMul.class, kernel(spec, 2));
    }

    private static KernelProvider.GemmKernel kernel(KernelProvider.GemmSpec spec, int threads) {
        return KernelSelection.planningWith(threads,
                () -> DnnlJavaSplitMatMul.splitOrWhole(Dnnl.get(), DnnlMatMulKernel.create(Dnnl.get(), spec), spec));
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextFloat() * 2 - 1;
        return Tensor.of(v, rows, cols);
    }

    private static MemorySegment segment(Arena arena, Random rnd, int n) {
        MemorySegment m = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) m.setAtIndex(F, i, rnd.nextFloat() * 2 - 1);
        return m;
    }

    private static final Parallel TWO_THREADS = new Parallel() {
        @Override public void forRange(int n, RunContext.RangeBody body) {
            if (n <= 1) {
                body.run(0, n);
                return;
            }
            var other = CompletableFuture.runAsync(() -> body.run(1, n));
            body.run(0, 1);
            other.join();
        }

        @Override public int threads() {
            return 2;
        }
    };
}
