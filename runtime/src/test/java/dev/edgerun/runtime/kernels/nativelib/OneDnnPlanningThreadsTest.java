package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A oneDNN kernel builds its compile-time program for the thread count the session declared
 * ({@link KernelSelection#planningWith}), so a 1-thread session does not build every large
 * convolution a second time on its first run.
 */
class OneDnnPlanningThreadsTest {
    // 3x3 32->32 at 28x28: 14.5 MFLOP, worth 2 threads by NativeKernelRules.threadsFor
    private static final long[] X = {1, 32, 28, 28}, W = {32, 32, 3, 3};

    private final OneDnnKernels onednn = new OneDnnKernels();

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(onednn);
    }

    @Test
    void theCompileTimeProgramUsesTheDeclaredThreads() {
        try (Tensor w = Tensor.allocate(DType.FLOAT, W)) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, X, W, X, 1, new int[] {1, 1}, new int[] {1, 1},
                    new int[] {1, 1}, w, null);
            assertEquals(1, (int) KernelSelection.planningWith(1, () -> programThreads(spec)));
            assertEquals(2, (int) KernelSelection.planningWith(2, () -> programThreads(spec)));
            // undeclared: OpenMP's default team, as before
            assertEquals(Math.min(2, DnnlKernel.DEFAULT_THREADS), programThreads(spec));
        }
    }

    private static int programThreads(KernelProvider.ConvSpec spec) {
        DnnlConvKernel k = DnnlConvKernel.create(Dnnl.get(), spec, DnnlConvKernel.Layout.BLOCKED, false);
        return k.defaultBuilt().program().threads();
    }
}
