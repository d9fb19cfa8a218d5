package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.F32Norm;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * oneDNN's layer normalization (with the folded residual Add, with and without a shift) against
 * the Java scalar path of {@link F32Norm} that LayerNormalization runs.
 */
class DnnlLayerNormKernelTest {
    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
    }

    @AfterEach
    void restoreSelection() {
        OneDnnKernelsTest.restore(KernelSelection.PROPERTY, previous);
        KernelSelection.resetDefaults();
    }

    @ParameterizedTest(name = "{0}x{1} eps {2} shift {3} residual {4}, {5} threads")
    @CsvSource({
        "32, 128, 1e-5, true, true, 1",    // tiny_transformer's post-LN blocks
        "32, 128, 1e-5, true, false, 2",
        "7, 5, 1e-3, false, true, 1",
        "1, 1000, 1e-6, true, false, 1",
        "65, 48, 1e-5, false, false, 2",
    })
    void matchesJavaScalarPath(int rows, int n, float eps, boolean shift, boolean residual, int threads) {
        Random rnd = new Random(rows * 1000L + n);
        try (Tensor x = OneDnnKernelsTest.randomTensor(rnd, rows, n); Tensor r = OneDnnKernelsTest.randomTensor(rnd, rows, n);
             Tensor scale = OneDnnKernelsTest.randomTensor(rnd, n); Tensor bias = OneDnnKernelsTest.randomTensor(rnd, n);
             Tensor expected = Tensor.allocate(DType.FLOAT, rows, n); Tensor got = Tensor.allocate(DType.FLOAT, rows, n);
             Arena arena = Arena.ofShared()) {
            for (int row = 0; row < rows; row++) {
                long off = 4L * row * n;
                MemorySegment src = x.data();
                if (residual) {
                    F32Norm.addAndSum(null, x.data(), off, r.data(), off, expected.data(), off, n);
                    src = expected.data();
                }
                float mean = (float) (F32Norm.sum(null, src, off, n) / n);
                float inv = (float) (1.0 / Math.sqrt(F32Norm.sumSquaredDeviations(null, src, off, n, mean) / n + eps));
                F32Norm.normalize(null, src, off, expected.data(), off, n, mean, inv, scale.data(), 0, shift ? bias.data() : null, 0);
            }
            var kernel = DnnlLayerNormKernel.create(rows, n, eps, shift, residual).orElseThrow(() -> new AssertionError("oneDNN declined"));
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0);
                kernel.run(x.data(), residual ? r.data() : null, got.data(), scale.data(), shift ? bias.data() : null, scratch, threads);
                float[] e = expected.toFloatArray(), g = got.toFloatArray();
                for (int i = 0; i < e.length; i++) assertEquals(e[i], g[i], 1e-4f * Math.max(1, Math.abs(e[i])), kernel + " element " + i);
            }
        }
    }
}
