package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The convolution with positions as tile rows, at every vector width and 1-3 threads, against the naive direct convolution. */
class F32FewPositionsConvTest {

    /** in [n, c, h, w], out channels, kernel side, stride, pad, dilation, bias, activation. */
    record Case(String name, long[] x, int m, int kernel, int stride, int pad, int dilation, boolean bias,
                ActivationEpilogue act) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        ActivationEpilogue relu = new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);
        ActivationEpilogue leaky = new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f);
        return Stream.of(
                new Case("3x3 same 7x7, K over one block, Relu", new long[] {1, 40, 7, 7}, 64, 3, 1, 1, 1, true, relu),
                new Case("3x3 stride 2 14x14 -> 7x7, two images", new long[] {2, 24, 14, 14}, 48, 3, 2, 1, 1, true, null),
                new Case("1x1 stride 2 (downsample), no bias", new long[] {1, 32, 13, 13}, 40, 1, 2, 0, 1, false, null),
                new Case("3x3 valid 6x8, channels not a panel multiple, LeakyRelu", new long[] {1, 19, 8, 10}, 37, 3, 1, 0, 1, true, leaky),
                new Case("3x3 dilated 2 pad 2 5x5", new long[] {1, 16, 5, 5}, 32, 3, 1, 2, 2, true, null),
                new Case("3x3 stride 2 28x28 -> 14x14 (196 positions)", new long[] {1, 16, 28, 28}, 40, 3, 2, 1, 1, true, relu),
                new Case("5x5 stride 2 pad 2 12x11 -> 6x6", new long[] {1, 12, 12, 11}, 33, 5, 2, 2, 1, true, relu));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesNaiveConvolution(Case c, int bits) {
        long[] w = {c.m, c.x[1], c.kernel, c.kernel};
        long span = (long) c.dilation * (c.kernel - 1) + 1;
        long[] y = {c.x[0], c.m, (c.x[2] + 2L * c.pad - span) / c.stride + 1, (c.x[3] + 2L * c.pad - span) / c.stride + 1};
        int[] s = {c.stride, c.stride}, p = {c.pad, c.pad}, d = {c.dilation, c.dilation};
        Random rnd = new Random(c.name.hashCode() + bits);
        float[] x = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(c.x));
        float[] wv = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(w));
        float[] b = F32GemmTest.random(rnd, c.m);
        float[] expected = F32ConvKernelTest.naive(x, c.x, wv, w, c.bias ? b : null, y, 1, s, p, d);
        if (c.act != null) {
            try (Tensor t = Tensor.of(expected, expected.length)) {
                c.act.op().reference(c.act.p(), c.act.q(), t.data(), 0, t.data(), 0, expected.length);
                expected = t.toFloatArray();
            }
        }
        for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(2), new ParallelTestThreads(3)}) {
            try (Tensor tx = Tensor.of(x, c.x); Tensor tw = Tensor.of(wv, w); Tensor tb = Tensor.of(b, c.m);
                 Tensor ty = Tensor.allocate(DType.FLOAT, y); Arena arena = Arena.ofShared()) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, w, y, 1, s, p, d, tw, c.act);
                var kernel = new F32FewPositionsConv(spec, F32GemmTest.species(bits));
                MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
                kernel.run(tx.data(), tw.data(), c.bias ? tb.data() : MemorySegment.NULL, ty.data(), scratch, par);
                float[] got = ty.toFloatArray();
                float tol = 2e-6f * (float) (c.kernel * c.kernel * c.x[1]);
                for (int k = 0; k < got.length; k++) {
                    assertEquals(expected[k], got[k], tol * Math.max(1, Math.abs(expected[k])), kernel + " element " + k);
                }
            }
        }
    }

    @Test
    void plannedRunsAllocateNothing() throws Exception {
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(F32FewPositionsConvAllocationProbe.class,
                F32FewPositionsConvAllocationProbe.CASES);
    }

    @Test
    void javaKernelsChooseItForFewPositionsWithConstantWeightsUnlessTurnedOff() {
        var vectors = JavaKernels.vector(F32GemmTest.species(512));
        try (Tensor w512 = Tensor.allocate(DType.FLOAT, new long[] {512, 512, 3, 3});
             Tensor w256 = Tensor.allocate(DType.FLOAT, new long[] {256, 128, 3, 3});
             Tensor w128 = Tensor.allocate(DType.FLOAT, new long[] {128, 64, 3, 3});
             Tensor w1 = Tensor.allocate(DType.FLOAT, new long[] {512, 512, 1, 1})) {
            assertInstanceOf(F32FewPositionsConv.class, vectors.conv(spec(512, 512, 7, 3, 1, w512)).orElseThrow(), "ResNet-18 7x7");
            assertInstanceOf(F32FewPositionsConv.class, vectors.conv(spec(512, 512, 14, 3, 2, w512)).orElseThrow(), "stride 2 to 7x7");
            assertInstanceOf(F32FewPositionsConv.class, vectors.conv(spec(512, 512, 14, 1, 2, w1)).orElseThrow(), "1x1 stride 2 to 7x7");
            assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(512, 512, 7, 3, 1, null)).orElseThrow(), "weights per run");
            try (Tensor w32 = Tensor.allocate(DType.FLOAT, new long[] {32, 16, 3, 3})) {
                assertInstanceOf(F32PhasePlaneConv.class, vectors.conv(spec(16, 32, 8, 3, 1, w32)).orElseThrow(), "295K multiply-adds");
            }
            assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(512, 512, 7, 1, 1, w1)).orElseThrow(), "pointwise");
            assertInstanceOf(F32FewPositionsConv.class, vectors.conv(spec(128, 256, 28, 3, 2, w256)).orElseThrow(), "196 positions");
            assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(64, 128, 56, 3, 2, w128)).orElseThrow(), "784 positions");
            System.setProperty(F32FewPositionsConv.PROPERTY, "off");
            try {
                assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(512, 512, 7, 3, 1, w512)).orElseThrow(), "turned off");
            } finally {
                System.clearProperty(F32FewPositionsConv.PROPERTY);
            }
        }
    }

    private static KernelProvider.ConvSpec spec(int c, int m, int side, int kernel, int stride, Tensor w) {
        int pad = kernel / 2, out = (side + 2 * pad - kernel) / stride + 1;
        return new KernelProvider.ConvSpec(DType.FLOAT, new long[] {1, c, side, side}, new long[] {m, c, kernel, kernel},
                new long[] {1, m, out, out}, 1, new int[] {stride, stride}, new int[] {pad, pad}, new int[] {1, 1}, w, null);
    }
}
