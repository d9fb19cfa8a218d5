package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;
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
 * A oneDNN matmul split in row bands over the session's threads ({@link DnnlRowSplitMatMul})
 * against the same product whole on one thread: tiny_transformer's shapes and odd row counts,
 * plain, accumulating, with an epilogue (exact GELU, run in Java; Relu, a post-op) and in the
 * row-bias form; the bands in turn on one thread and at once on two. Every band row is the whole
 * product's row to the bit (the bands run the same kernel family over the same B; checked, not
 * assumed: a band that wrote the wrong rows or none fails).
 */
class DnnlRowSplitMatMulTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @BeforeEach
    void requireLibraryAndBandsAlways() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        System.setProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY, "off"); // the bands on every run with two threads
        System.setProperty(ColdStart.PROPERTY, "0"); // no first runs with oneDNN's GELU post-op in place of the Java epilogue
    }

    @AfterEach
    void restore() {
        System.clearProperty(DnnlKernel.ADAPTIVE_THREADS_PROPERTY);
        System.clearProperty(ColdStart.PROPERTY);
    }

    @ParameterizedTest(name = "{0}x{1}x{2} accumulate {3} epilogue {4}")
    @CsvSource({"32,384,128,false,none", "32,512,128,true,gelu", "32,128,512,true,none", "33,96,320,false,relu",
            "17,256,240,true,relu", "40,64,400,false,gelu"})
    void bandsEqualTheWholeProduct(int m, int n, int k, boolean accumulate, String epilogue) {
        Random rnd = new Random(m * 31 + n + k);
        try (Arena arena = Arena.ofShared(); Tensor b = random(rnd, k, n)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, accumulate, null, b, epilogue(epilogue));
            DnnlRowSplitMatMul split = split(spec);
            MemorySegment a = segment(arena, rnd, m * k), start = segment(arena, rnd, m * n);
            MemorySegment scratch = arena.allocate(split.scratchBytes() + 64, 64);
            float[] whole = run(split, a, start, scratch, Parallel.SERIAL, arena);
            assertArrayEquals(whole, run(split, a, start, scratch, OneDnnKernelsTest.threads(2), arena), split.toString());
            assertArrayEquals(whole, run(split, a, start, scratch, TWO_THREADS, arena), split.toString());
        }
    }

    @Test
    void rowBiasBandsEqualTheWholeRowBiasProduct() {
        int m = 32, n = 512, k = 128;
        Random rnd = new Random(4);
        try (Arena arena = Arena.ofShared(); Tensor b = random(rnd, k, n)) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, true, null, b, epilogue("gelu"));
            RowBiasGemm.Kernel biased = split(spec).withRowBias();
            assertNotNull(biased);
            MemorySegment a = segment(arena, rnd, m * k), bias = segment(arena, rnd, n);
            MemorySegment scratch = arena.allocate(biased.scratchBytes() + 64, 64);
            float[][] out = new float[3][];
            Parallel[] pars = {Parallel.SERIAL, OneDnnKernelsTest.threads(2), TWO_THREADS};
            for (int i = 0; i < 3; i++) {
                MemorySegment y = segment(arena, rnd, m * n); // garbage: the row-bias form writes every value
                biased.run(a, 0, null, 0, bias, 0, y, 0, scratch, pars[i]);
                out[i] = y.toArray(ValueLayout.JAVA_FLOAT);
            }
            assertArrayEquals(out[0], out[1]);
            assertArrayEquals(out[0], out[2]);
        }
    }

    @Test
    void smallProductsAndOneThreadSessionsKeepTheWholeProduct() {
        try (Tensor b = random(new Random(1), 128, 128); Tensor big = random(new Random(2), 128, 512)) {
            var small = new KernelProvider.GemmSpec(DType.FLOAT, 32, 128, 128, false, false, 1f, false, null, b, null);
            assertFalse(kernel(small, 2) instanceof DnnlRowSplitMatMul, "1 MFLOP: " + kernel(small, 2));
            var large = new KernelProvider.GemmSpec(DType.FLOAT, 32, 512, 128, false, false, 1f, false, null, big, null);
            assertFalse(kernel(large, 1) instanceof DnnlRowSplitMatMul, "1 thread: " + kernel(large, 1));
            var fewRows = new KernelProvider.GemmSpec(DType.FLOAT, 15, 512, 512, false, false, 1f, false, null, null, null);
            assertFalse(kernel(fewRows, 2) instanceof DnnlRowSplitMatMul, "15 rows: " + kernel(fewRows, 2));
        }
    }

    /** Y after one run from {@code start} (the accumulating products add onto it). */
    private static float[] run(KernelProvider.GemmKernel kernel, MemorySegment a, MemorySegment start, MemorySegment scratch,
                               Parallel par, Arena arena) {
        MemorySegment y = arena.allocate(start.byteSize(), 64).copyFrom(start);
        kernel.run(a, 0, null, 0, y, 0, scratch, par);
        return y.toArray(ValueLayout.JAVA_FLOAT);
    }

    private static DnnlRowSplitMatMul split(KernelProvider.GemmSpec spec) {
        return assertInstanceOf(DnnlRowSplitMatMul.class, kernel(spec, 2));
    }

    private static KernelProvider.GemmKernel kernel(KernelProvider.GemmSpec spec, int threads) {
        return KernelSelection.planningWith(threads,
                () -> DnnlRowSplitMatMul.splitOrWhole(Dnnl.get(), DnnlMatMulKernel.create(Dnnl.get(), spec), spec));
    }

    private static F32GemmEpilogue epilogue(String name) {
        return switch (name) {
            case "gelu" -> new ActivationEpilogue(F32UnaryOp.GELU, 0f, 0f);
            case "relu" -> new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);
            default -> null;
        };
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
            var other = CompletableFuture.runAsync(() -> body.run(1, n));
            body.run(0, 1);
            other.join();
        }

        @Override public int threads() {
            return 2;
        }
    };
}
