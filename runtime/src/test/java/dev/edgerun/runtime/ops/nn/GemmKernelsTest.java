package dev.edgerun.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.F32GemmKernel;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Which GEMM kernel a Gemm/MatMul node gets: one-row products with weights up to
 * {@link GemmKernels#JAVA_GEMV_MAX_WEIGHTS} take the Java GEMV whatever provider ranks first; others
 * take the first provider that supports them. The chosen kernel computes the same product as a plain loop.
 */
class GemmKernelsTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private static KernelProvider.GemmSpec oneRowWithWeights(int n, int k) {
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) w[i] = ((i * 37) % 19 - 9) / 16f;
        return new KernelProvider.GemmSpec(DType.FLOAT, 1, n, k, false, true, 1f, false, null, Tensor.of(w, n, k), null);
    }

    @Test
    void smallOneRowProductsTakeTheJavaGemv() {
        for (int[] nk : new int[][] {{128, 64}, {10, 128}, {12, 64}, {4, 128}}) {
            KernelProvider.GemmSpec spec = oneRowWithWeights(nk[0], nk[1]);
            try (Tensor weights = spec.constantB()) {
                assertInstanceOf(F32GemmKernel.class, GemmKernels.choose(null, spec), "1x" + nk[0] + "x" + nk[1]);
            }
        }
    }

    @Test
    void largeOneRowAndMultiRowProductsTakeTheFirstProvider() {
        int n = 1024, k = (int) (GemmKernels.JAVA_GEMV_MAX_WEIGHTS / n) + 1;
        KernelProvider.GemmSpec large = oneRowWithWeights(n, k);
        try (Tensor weights = large.constantB()) {
            assertEquals(KernelSelection.defaults().gemm(large).orElseThrow().getClass(),
                    GemmKernels.choose(null, large).getClass());
        }
        KernelProvider.GemmSpec rows = KernelProvider.GemmSpec.f32(32, 128, 64);
        assertEquals(KernelSelection.defaults().gemm(rows).orElseThrow().getClass(), GemmKernels.choose(null, rows).getClass());
    }

    @Test
    void theJavaGemvComputesTheProduct() {
        int n = 10, k = 128;
        KernelProvider.GemmSpec spec = oneRowWithWeights(n, k);
        KernelProvider.GemmKernel kernel = GemmKernels.choose(null, spec);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * k, 64), y = arena.allocate(4L * n, 64);
            MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
            for (int p = 0; p < k; p++) x.setAtIndex(F, p, (p % 7 - 3) / 4f);
            kernel.run(x, 0, MemorySegment.NULL, 0, y, 0, scratch, Parallel.SERIAL);
            float[] expected = new float[n];
            MemorySegment w = spec.constantB().data();
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x.getAtIndex(F, p) * w.getAtIndex(F, (long) j * k + p);
                expected[j] = (float) s;
            }
            float[] got = new float[n];
            for (int j = 0; j < n; j++) got[j] = y.getAtIndex(F, j);
            assertArrayEquals(expected, got, 1e-4f);
        } finally {
            spec.constantB().close();
        }
    }
}
