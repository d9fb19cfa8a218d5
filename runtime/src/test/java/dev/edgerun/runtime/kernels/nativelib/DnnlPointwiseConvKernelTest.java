package dev.edgerun.runtime.kernels.nativelib;

import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.assertClose;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.randomTensor;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.restore;
import static dev.edgerun.runtime.kernels.nativelib.OneDnnKernelsTest.threads;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32GemmEpilogue;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.JavaKernels;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** 1x1 convolutions run as oneDNN's matmul against the Java scalar kernel, and which ones auto selection gives it. */
class DnnlPointwiseConvKernelTest {
    private final OneDnnKernels onednn = new OneDnnKernels();

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(onednn);
    }

    /** input, output channels, fused activation (nullable), bias. */
    record Case(String name, long[] x, long m, F32GemmEpilogue epilogue, boolean bias) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("conv_autoencoder output, Sigmoid", l(1, 32, 64, 64), 3, act(F32UnaryOp.SIGMOID, 0), true),
                new Case("2 images, LeakyRelu, no bias", l(2, 8, 5, 7), 5, act(F32UnaryOp.LEAKY_RELU, 0.1f), false),
                new Case("1-D, Relu", l(1, 16, 20), 4, act(F32UnaryOp.RELU, 0), true),
                new Case("3-D, no activation", l(1, 4, 3, 4, 5), 2, null, true),
                new Case("one channel out, Clip", l(1, 6, 9, 9), 1, act(F32UnaryOp.CLIP, -0.2f, 0.3f), true))
                .flatMap(c -> Stream.of(1, 2).map(t -> Arguments.of(c, t)));
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @MethodSource("cases")
    void matchesScalarKernel(Case c, int threadCount) {
        var spec = spec(c.x, c.m, c.epilogue, null);
        Random rnd = new Random(c.name.hashCode());
        try (Tensor x = randomTensor(rnd, c.x); Tensor w = randomTensor(rnd, spec.weightShape());
             Tensor b = randomTensor(rnd, c.m); Tensor expected = Tensor.allocate(DType.FLOAT, spec.outputShape());
             Tensor got = Tensor.allocate(DType.FLOAT, spec.outputShape()); Arena arena = Arena.ofShared()) {
            spec = spec(c.x, c.m, c.epilogue, w);
            MemorySegment bias = c.bias ? b.data() : MemorySegment.NULL;
            var reference = JavaKernels.scalar().conv(spec).orElseThrow();
            reference.run(x.data(), w.data(), bias, expected.data(), arena.allocate(reference.scratchBytes() + 4, 64),
                    threads(1));
            DnnlPointwiseConvKernel kernel = DnnlPointwiseConvKernel.create(Dnnl.get(), spec);
            assertNotNull(kernel, "oneDNN has no matmul for " + spec);
            MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 4, 64);
            for (int repeat = 0; repeat < 2; repeat++) {
                got.data().fill((byte) 0x7f);
                kernel.run(x.data(), w.data(), bias, got.data(), scratch, threads(threadCount));
                assertClose(expected.toFloatArray(), got.toFloatArray(), kernel.toString());
            }
        }
    }

    /** Auto selection gives the narrow 1x1 convolutions oneDNN's convolution declines to the matmul, the rest not. */
    @Test
    void autoSelectionTakesTheNarrowPointwiseOnly() {
        String previous = System.setProperty(KernelSelection.PROPERTY, "auto");
        try (Tensor narrow = Tensor.allocate(DType.FLOAT, 3, 32, 1, 1); Tensor wide = Tensor.allocate(DType.FLOAT, 64, 32, 1, 1);
             Tensor dense = Tensor.allocate(DType.FLOAT, 3, 32, 3, 3)) {
            var output = spec(l(1, 32, 64, 64), 3, act(F32UnaryOp.SIGMOID, 0), narrow);
            assertTrue(NativeKernelRules.oneDnnPointwiseMatMul(output));
            assertInstanceOf(DnnlPointwiseConvKernel.class, onednn.conv(output).orElseThrow());
            assertFalse(NativeKernelRules.oneDnnPointwiseMatMul(spec(l(1, 32, 64, 64), 64, null, wide)),
                    "oneDNN's convolution takes a wide 1x1");
            long[] y = l(1, 3, 62, 62);
            var threeByThree = new KernelProvider.ConvSpec(DType.FLOAT, l(1, 32, 64, 64), dense.shape().dims(), y, 1,
                    new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, dense, null);
            assertFalse(DnnlPointwiseConvKernel.computes(threeByThree));
            var strided = new KernelProvider.ConvSpec(DType.FLOAT, l(1, 32, 64, 64), narrow.shape().dims(), l(1, 3, 32, 32),
                    1, new int[] {2, 2}, new int[] {0, 0}, new int[] {1, 1}, narrow, null);
            assertFalse(DnnlPointwiseConvKernel.computes(strided));
            assertNull(DnnlPointwiseConvKernel.create(Dnnl.get(), strided));
        } finally {
            restore(KernelSelection.PROPERTY, previous);
        }
    }

    private static KernelProvider.ConvSpec spec(long[] x, long m, F32GemmEpilogue epilogue, Tensor w) {
        int r = x.length - 2;
        long[] wShape = new long[x.length], y = x.clone();
        Arrays.fill(wShape, 1);
        wShape[0] = m;
        wShape[1] = x[1];
        y[1] = m;
        int[] ones = new int[r], zeros = new int[r];
        Arrays.fill(ones, 1);
        return new KernelProvider.ConvSpec(DType.FLOAT, x, wShape, y, 1, ones, zeros, ones.clone(), w, epilogue);
    }

    private static ActivationEpilogue act(F32UnaryOp op, float p) {
        return new ActivationEpilogue(op, p, 0f);
    }

    private static ActivationEpilogue act(F32UnaryOp op, float p, float q) {
        return new ActivationEpilogue(op, p, q);
    }

    private static long[] l(long... v) {
        return v;
    }
}
