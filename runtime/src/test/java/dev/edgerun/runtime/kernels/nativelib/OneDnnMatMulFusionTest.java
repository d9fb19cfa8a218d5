package dev.edgerun.runtime.kernels.nativelib;

import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.assertClose;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.randomTensor;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.restore;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.threads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import dev.edgerun.runtime.kernels.RowBiasGemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** oneDNN matmul with its epilogue as a post-op and with the bias row as oneDNN's bias argument, against the scalar Java kernel. */
class OneDnnMatMulFusionTest {
    private final OneDnnKernels onednn = new OneDnnKernels();
    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(onednn);
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
    }

    @AfterEach
    void restoreSelection() {
        restore(KernelSelection.PROPERTY, previous);
    }

    /** The epilogue runs inside oneDNN where {@link DnnlEltwise} maps it, else in Java; the result is the same. */
    @ParameterizedTest(name = "{0}, accumulate {1}: post-op {2}")
    @CsvSource({"RELU, false, true", "RELU, true, true", "CLIP, true, true", "GELU_TANH, false, true",
                "GELU, true, false", "TANH, false, false"})
    void epilogueMatchesJava(F32UnaryOp op, boolean accumulate, boolean postOp) {
        int m = 9, n = 40, k = 33;
        Random rnd = new Random(op.ordinal());
        try (Tensor a = randomTensor(rnd, m, k); Tensor b = randomTensor(rnd, k, n); Tensor initial = randomTensor(rnd, m, n);
             Tensor expected = Tensor.allocate(DType.FLOAT, m, n); Tensor got = Tensor.allocate(DType.FLOAT, m, n);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, accumulate, null, b,
                    new ActivationEpilogue(op, -0.25f, 0.3f));
            var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
            expected.data().copyFrom(initial.data());
            reference.run(a.data(), 0, b.data(), 0, expected.data(), 0, arena.allocate(reference.scratchBytes() + 4, 64),
                    Parallel.SERIAL);
            var kernel = onednn.gemm(spec).orElseThrow(() -> new AssertionError("oneDNN declined " + spec));
            assertEquals(postOp, kernel.toString().contains("+eltwise"), kernel.toString());
            for (int threads = 1; threads <= 2; threads++) {
                got.data().copyFrom(initial.data());
                kernel.run(a.data(), 0, b.data(), 0, got.data(), 0, arena.allocate(kernel.scratchBytes() + 4, 64),
                        threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel + " at " + threads + " threads");
            }
        }
    }

    /** Y = A.B + bias row from the row-bias form equals Y filled with the row, then accumulated onto; native and heap memory. */
    @ParameterizedTest(name = "m={0} n={1} k={2}, Relu {3}")
    @CsvSource({"32, 64, 48, false", "7, 130, 20, true", "1, 16, 8, false"})
    void rowBiasFormMatchesFilledAccumulation(int m, int n, int k, boolean relu) {
        Random rnd = new Random(m * 31 + n);
        try (Tensor a = randomTensor(rnd, m, k); Tensor b = randomTensor(rnd, k, n); Tensor bias = randomTensor(rnd, n);
             Tensor expected = Tensor.allocate(DType.FLOAT, m, n); Tensor got = Tensor.allocate(DType.FLOAT, m, n);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, m, n, k, false, false, 1f, true, null, b,
                    relu ? new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f) : null);
            var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
            for (int i = 0; i < m; i++) MemorySegment.copy(bias.data(), 0, expected.data(), 4L * i * n, 4L * n);
            reference.run(a.data(), 0, b.data(), 0, expected.data(), 0, arena.allocate(reference.scratchBytes() + 4, 64),
                    Parallel.SERIAL);
            var kernel = onednn.gemm(spec).orElseThrow(() -> new AssertionError("oneDNN declined " + spec));
            RowBiasGemm.Kernel biased = ((RowBiasGemm) kernel).withRowBias();
            assertNotNull(biased, "oneDNN matmul with a bias argument for " + spec);
            assertTrue(biased.toString().contains("+bias"), biased.toString());
            MemorySegment scratch = arena.allocate(biased.scratchBytes() + 4, 64);
            for (int threads = 1; threads <= 2; threads++) {
                got.data().fill((byte) 0x7f); // Y's earlier contents must not be read
                biased.run(a.data(), 0, b.data(), 0, bias.data(), 0, got.data(), 0, scratch, threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), "row bias at " + threads + " threads");
            }
            float[] heapY = new float[m * n];
            biased.run(MemorySegment.ofArray(a.toFloatArray()), 0, b.data(), 0, MemorySegment.ofArray(bias.toFloatArray()), 0,
                    MemorySegment.ofArray(heapY), 0, MemorySegment.NULL, Parallel.SERIAL);
            assertClose(expected.toFloatArray(), heapY, "row bias on heap memory (Java fallback)");
        }
    }

    @Test
    void noRowBiasFormWithoutAccumulationOrWithAScale() {
        try (Tensor b = randomTensor(new Random(3), 8, 16)) {
            var plain = new KernelProvider.GemmSpec(DType.FLOAT, 16, 16, 8, false, false, 1f, false, null, b, null);
            var scaled = new KernelProvider.GemmSpec(DType.FLOAT, 16, 16, 8, false, false, 0.5f, true, null, b, null);
            assertNull(((RowBiasGemm) onednn.gemm(plain).orElseThrow()).withRowBias(), "a product that does not accumulate");
            assertNull(((RowBiasGemm) onednn.gemm(scaled).orElseThrow()).withRowBias(), "alpha 0.5 would scale the bias too");
        }
    }
}
