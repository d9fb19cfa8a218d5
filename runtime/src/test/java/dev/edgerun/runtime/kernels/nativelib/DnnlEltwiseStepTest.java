package dev.edgerun.runtime.kernels.nativelib;

import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.assertClose;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.randomTensor;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.threads;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A Winograd convolution with a fused activation its kernels refuse as a post-op (LeakyReLU) runs
 * it as a oneDNN eltwise step after the convolution, in place, in NCHW and in the blocked layout
 * kept between convolutions, and matches the scalar kernel with its Java epilogue.
 */
class DnnlEltwiseStepTest {
    private final OneDnnKernels onednn = new OneDnnKernels();

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(onednn);
        assumeTrue(NativeKernelRules.isX86(), "oneDNN's Winograd convolution is x86-64 only");
    }

    @ParameterizedTest(name = "{0}->{1} @{2}, blocked Y {3}, {4} threads")
    @CsvSource({"32, 64, 16, false, 1", "32, 64, 16, true, 1", "16, 32, 32, false, 2", "16, 32, 32, true, 2"})
    void leakyReluAfterWinogradMatchesScalarKernel(long in, long out, long size, boolean blockedY, int threadCount) {
        long[] x = {1, in, size, size}, w = {out, in, 3, 3}, y = {1, out, size, size};
        Random rnd = new Random(in * 31 + size);
        try (Tensor xt = randomTensor(rnd, x); Tensor wt = randomTensor(rnd, w); Tensor b = randomTensor(rnd, out);
             Tensor expected = Tensor.allocate(DType.FLOAT, y); Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, x, w, y, 1, new int[] {1, 1}, new int[] {1, 1},
                    new int[] {1, 1}, wt, new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f));
            var reference = JavaKernels.scalar().conv(spec).orElseThrow();
            reference.run(xt.data(), wt.data(), b.data(), expected.data(), arena.allocate(reference.scratchBytes() + 4, 64),
                    threads(1));
            DnnlConvKernel kernel = DnnlConvKernel.create(Dnnl.get(), spec, DnnlConvKernel.Layout.BLOCKED, true);
            assertNotNull(kernel, "oneDNN declined " + spec);
            assertTrue(kernel.toString().contains("wino") && kernel.toString().contains("then eltwise"), kernel.toString());
            KernelProvider.ConvKernel k = blockedY ? kernel.withInternalLayouts(false, true) : kernel;
            assertNotNull(k, "no blocked output offered: " + kernel);
            long yBytes = blockedY ? k.internalOutputLayout().bytes() : expected.data().byteSize();
            MemorySegment got = arena.allocate(yBytes, 64), plain = arena.allocate(expected.data().byteSize(), 64);
            MemorySegment scratch = arena.allocate(k.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.fill((byte) 0x7f);
                k.run(xt.data(), wt.data(), b.data(), got, scratch, threads(threadCount));
                if (blockedY) toPlain(got, plain, out, size * size);
                else plain.copyFrom(got);
                assertClose(expected.toFloatArray(), plain.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), k.toString());
            }
        }
    }

    /** nChw16c to NCHW for one image: block {@code c / 16}, position, lane {@code c % 16}. */
    private static void toPlain(MemorySegment blocked, MemorySegment plain, long channels, long positions) {
        var f = java.lang.foreign.ValueLayout.JAVA_FLOAT;
        for (long c = 0; c < channels; c++) {
            for (long p = 0; p < positions; p++) {
                plain.setAtIndex(f, c * positions + p, blocked.getAtIndex(f, (c / 16) * positions * 16 + p * 16 + c % 16));
            }
        }
    }
}
