package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The packed GEMM at every vector width (and scalar) against a plain triple loop. */
class F32GemmTest {
    private static final int[] SIZES = {1, 3, 17, 64, 65};

    static Stream<Arguments> widths() {
        return Stream.of(Arguments.of(512), Arguments.of(256), Arguments.of(128), Arguments.of(0));
    }

    static VectorSpecies<Float> species(int bits) {
        if (bits == 0) return null;
        int max = FloatVector.SPECIES_MAX.vectorBitSize();
        return VectorSpecies.of(float.class, VectorShape.forBitSize(Math.min(bits, max)));
    }

    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void matchesReferenceForOddSizesAndTails(int bits) {
        JavaKernels kernels = bits == 0 ? JavaKernels.scalar() : JavaKernels.vector(species(bits));
        Random rnd = new Random(bits);
        for (int m : SIZES) for (int n : SIZES) for (int k : SIZES) {
            boolean transA = rnd.nextBoolean(), transB = rnd.nextBoolean(), accumulate = rnd.nextBoolean();
            boolean constA = rnd.nextBoolean(), constB = rnd.nextBoolean();
            float alpha = rnd.nextBoolean() ? 1f : 0.5f;
            check(kernels, m, n, k, transA, transB, alpha, accumulate, constA, constB, rnd, Parallel.SERIAL);
        }
    }

    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void largeKAndMCrossBlockBoundariesAndThreadsAgree(int bits) {
        JavaKernels kernels = bits == 0 ? JavaKernels.scalar() : JavaKernels.vector(species(bits));
        Random rnd = new Random(7);
        int k = F32Gemm.KC + 37, m = F32Gemm.MC + 11;
        check(kernels, m, 70, k, false, false, 1f, false, false, true, rnd, Parallel.SERIAL);
        check(kernels, m, 70, k, true, true, 2f, true, true, false, rnd, new ParallelTestThreads(3));
        check(alwaysSplit(bits), 5, 333, 40, false, true, 1f, false, false, false, rnd, new ParallelTestThreads(4));
    }

    /** A transformer's feed-forward products (activations times constant weights, bias accumulated): 4 x 64 tiles at 512 bits. */
    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void transformerShapesAgree(int bits) {
        JavaKernels kernels = bits == 0 ? JavaKernels.scalar() : JavaKernels.vector(species(bits));
        Random rnd = new Random(13);
        check(kernels, 32, 384, 128, false, false, 1f, true, false, true, rnd, Parallel.SERIAL);
        check(kernels, 32, 128, 512, false, false, 1f, true, false, true, rnd, Parallel.SERIAL);
        check(alwaysSplit(bits), 30, 200, 96, false, true, 1f, true, false, true, rnd, new ParallelTestThreads(3));
    }

    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void smallProductsSplitOverThreadsAgree(int bits) {
        GemmFactory gemmOnly = alwaysSplit(bits);
        Random rnd = new Random(11);
        for (int m : SIZES) for (int n : SIZES) for (int k : new int[] {1, 17, 64}) {
            boolean transA = rnd.nextBoolean(), transB = rnd.nextBoolean(), accumulate = rnd.nextBoolean();
            boolean constA = rnd.nextBoolean(), constB = rnd.nextBoolean();
            check(gemmOnly, m, n, k, transA, transB, 1f, accumulate, constA, constB, rnd, new ParallelTestThreads(3));
        }
    }

    /** Below {@link F32Gemm#PARALLEL_MIN_MACS} the product stays on the calling thread; at or above it, it splits. */
    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void onlyProductsAboveTheThresholdAreSplit(int bits) {
        F32Gemm gemm = new F32Gemm(species(bits));
        int small = 16, big = (int) Math.ceil(Math.cbrt(F32Gemm.PARALLEL_MIN_MACS)) + 1;
        assertEquals(0, splitCount(gemm, small, small, small), "16^3 split");
        assertTrue(splitCount(gemm, big, big, big) > 0, big + "^3 ran on one thread");
        assertTrue(splitCount(new F32Gemm(species(bits), 0), small, small, small) > 0, "threshold 0 did not split");
    }

    /** Calls to {@link Parallel#forRange} during one product of packed zeros. */
    private static int splitCount(F32Gemm gemm, int m, int n, int k) {
        CountingParallel par = new CountingParallel();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pa = arena.allocate(4 * F32Gemm.packedASize(m, k), 64);
            MemorySegment pb = arena.allocate(4 * gemm.packedBSize(k, n), 64);
            MemorySegment c = arena.allocate(4L * m * n, 64);
            gemm.multiply(m, n, k, pa, 0, pb, 0, c, 0, n, 1f, false, null, par);
        }
        return par.calls;
    }

    /** Two threads as far as kernels can tell; runs every range on the caller and counts the calls. */
    static final class CountingParallel implements Parallel {
        int calls;

        @Override public void forRange(int n, RunContext.RangeBody body) {
            calls++;
            body.run(0, n);
        }

        @Override public int threads() {
            return 2;
        }
    }

    /** The GEMM kernels with no minimum work for threads, so that small products exercise the split. */
    private static GemmFactory alwaysSplit(int bits) {
        F32Gemm gemm = new F32Gemm(species(bits), 0);
        return spec -> new F32GemmKernel(spec, gemm);
    }

    interface GemmFactory {
        KernelProvider.GemmKernel gemm(KernelProvider.GemmSpec spec);
    }

    private static void check(JavaKernels kernels, int m, int n, int k, boolean transA, boolean transB, float alpha,
                              boolean accumulate, boolean constA, boolean constB, Random rnd, Parallel par) {
        check((GemmFactory) spec -> kernels.gemm(spec).orElseThrow(), m, n, k, transA, transB, alpha, accumulate,
                constA, constB, rnd, par);
    }

    private static void check(GemmFactory kernels, int m, int n, int k, boolean transA, boolean transB, float alpha,
                              boolean accumulate, boolean constA, boolean constB, Random rnd, Parallel par) {
        float[] a = random(rnd, m * k), b = random(rnd, k * n), c0 = random(rnd, m * n);
        float[] expected = reference(a, b, c0, m, n, k, transA, transB, alpha, accumulate);
        try (Tensor ta = Tensor.of(a, transA ? new long[] {k, m} : new long[] {m, k});
             Tensor tb = Tensor.of(b, transB ? new long[] {n, k} : new long[] {k, n});
             Tensor tc = Tensor.of(c0, m, n);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, transA, transB, alpha, accumulate,
                    constA ? ta : null, constB ? tb : null, null);
            KernelProvider.GemmKernel kernel = kernels.gemm(spec);
            MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
            kernel.run(ta.data(), 0, tb.data(), 0, tc.data(), 0, scratch, par);
            float[] got = tc.toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                float tol = 1e-4f * (k + 1) * Math.max(1f, Math.abs(expected[i]));
                if (Math.abs(got[i] - expected[i]) > tol) {
                    assertEquals(expected[i], got[i], tol, kernel + " alpha=" + alpha + " acc=" + accumulate
                            + " element " + i);
                }
            }
        }
    }

    static float[] reference(float[] a, float[] b, float[] c0, int m, int n, int k, boolean transA, boolean transB,
                             float alpha, boolean accumulate) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
                }
                c[i * n + j] = (float) (alpha * s + (accumulate ? c0[i * n + j] : 0));
            }
        }
        return c;
    }

    static float[] random(Random rnd, int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextFloat() * 2 - 1;
        return r;
    }

    @ParameterizedTest(name = "{0} bits")
    @MethodSource("widths")
    void epilogueSeesEveryOutputOnce(int bits) {
        int m = 13, n = 47, k = 9;
        F32GemmEpilogue relu = (y, at, count) -> {
            for (int i = 0; i < count; i++) {
                long o = at + 4L * i;
                y.set(ValueLayout.JAVA_FLOAT_UNALIGNED, o, Math.max(0f, y.get(ValueLayout.JAVA_FLOAT_UNALIGNED, o)) + 1f);
            }
        };
        Random rnd = new Random(3);
        float[] a = random(rnd, m * k), b = random(rnd, k * n);
        float[] expected = reference(a, b, null, m, n, k, false, false, 1f, false);
        try (Tensor ta = Tensor.of(a, m, k); Tensor tb = Tensor.of(b, k, n); Tensor tc = Tensor.allocate(DType.FLOAT, m, n);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, false, null, tb, relu);
            KernelProvider.GemmKernel kernel = new F32GemmKernel(spec, new F32Gemm(species(bits), 0));
            kernel.run(ta.data(), 0, tb.data(), 0, tc.data(), 0, arena.allocate(kernel.scratchBytes() + 1, 64),
                    new ParallelTestThreads(2));
            float[] got = tc.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertEquals(Math.max(0f, expected[i]) + 1f, got[i], 1e-4f, "element " + i);
            }
        }
    }
}
