package dev.edgerun.runtime.kernels.nativelib;

import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.assertClose;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.outputShape;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.randomTensor;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.threads;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import dev.edgerun.runtime.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** XNNPACK convolutions (1-D and 2-D) and fully connected GEMMs against the Java scalar kernels, at 1 and 2 threads. */
class XnnpackKernelsTest {
    private final XnnpackKernels xnnpack = new XnnpackKernels();

    private String previous;

    @BeforeEach
    void requireLibraryAndForceIt() {
        NativeLibraries.assumeAvailable(xnnpack);
        // forced, as -Dedgerun.kernels=xnnpack: on x86 the automatic rules leave some of these shapes to others
        previous = System.setProperty(KernelSelection.PROPERTY, "xnnpack");
    }

    @AfterEach
    void restoreSelection() {
        OneDnnKernelsTest.restore(KernelSelection.PROPERTY, previous);
    }

    static Stream<Arguments> convRuns() {
        return OneDnnKernelsTest.convCases().filter(c -> c.x().length <= 4)
                .flatMap(c -> Stream.of(1, 2).map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("convRuns")
    void convolutionMatchesScalarKernel(OneDnnKernelsTest.ConvCase c, int threads) {
        long[] y = outputShape(c);
        Random rnd = new Random(c.name().hashCode());
        try (Tensor x = randomTensor(rnd, c.x()); Tensor w = randomTensor(rnd, c.w()); Tensor b = randomTensor(rnd, c.w()[0]);
             Tensor expected = Tensor.allocate(DType.FLOAT, y); Tensor got = Tensor.allocate(DType.FLOAT, y);
             Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x(), c.w(), y, c.group(), c.s(), c.pb(), c.d(), w, null);
            MemorySegment bias = c.bias() ? b.data() : MemorySegment.NULL;
            var reference = JavaKernels.scalar().conv(spec).orElseThrow();
            reference.run(x.data(), w.data(), bias, expected.data(), arena.allocate(reference.scratchBytes() + 4, 64),
                    Parallel.SERIAL);
            var kernel = xnnpack.conv(spec).orElseThrow(() -> new AssertionError("XNNPACK declined " + spec));
            MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 16);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0x7f);
                kernel.run(x.data(), w.data(), bias, got.data(), scratch, threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
            }
        }
    }

    static Stream<Arguments> gemmRuns() {
        return OneDnnKernelsTest.gemmCases()
                .filter(c -> c.constB() && !c.constA() && !c.transA() && c.alpha() == 1f)
                .flatMap(c -> Stream.of(1, 2).map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("gemmRuns")
    void fullyConnectedMatchesScalarKernel(OneDnnKernelsTest.GemmCase c, int threads) {
        Random rnd = new Random(c.hashCode());
        long[] bShape = c.transB() ? new long[] {c.n(), c.k()} : new long[] {c.k(), c.n()};
        try (Tensor a = randomTensor(rnd, c.m(), c.k()); Tensor b = randomTensor(rnd, bShape);
             Tensor initial = randomTensor(rnd, c.m(), c.n()); Tensor expected = Tensor.allocate(DType.FLOAT, c.m(), c.n());
             Tensor got = Tensor.allocate(DType.FLOAT, c.m(), c.n()); Arena arena = Arena.ofShared()) {
            var spec = new KernelProvider.GemmSpec(DType.FLOAT, c.m(), c.n(), c.k(), false, c.transB(), 1f,
                    c.accumulate(), null, b, null);
            var reference = JavaKernels.scalar().gemm(spec).orElseThrow();
            expected.data().copyFrom(initial.data());
            reference.run(a.data(), 0, b.data(), 0, expected.data(), 0,
                    arena.allocate(reference.scratchBytes() + 4, 64), Parallel.SERIAL);
            var kernel = xnnpack.gemm(spec).orElseThrow(() -> new AssertionError("XNNPACK declined " + spec));
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().copyFrom(initial.data());
                kernel.run(a.data(), 0, b.data(), 0, got.data(), 0, scratch, threads(threads));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
            }
        }
    }

    @Test
    void declinesWhatItCannotRunExactly() {
        try (Tensor b = randomTensor(new Random(1), 4, 3)) {
            var transA = new KernelProvider.GemmSpec(DType.FLOAT, 2, 3, 4, true, false, 1f, false, null, b, null);
            var runtimeB = KernelProvider.GemmSpec.f32(2, 3, 4);
            var alpha = new KernelProvider.GemmSpec(DType.FLOAT, 2, 3, 4, false, false, 0.5f, false, null, b, null);
            assertTrue(xnnpack.gemm(transA).isEmpty() && xnnpack.gemm(runtimeB).isEmpty() && xnnpack.gemm(alpha).isEmpty());
        }
    }
}
