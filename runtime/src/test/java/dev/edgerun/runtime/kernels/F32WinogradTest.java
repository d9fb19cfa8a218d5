package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** Winograd F(2x2, 3x3) convolution at every vector width against the naive direct convolution. */
class F32WinogradTest {

    /** in [n, c, h, w], out channels, pads begin and end (rows, columns), bias, constant weights, activation. */
    record Case(String name, long[] x, int m, int[] pb, int[] pe, boolean bias, boolean constW, ActivationEpilogue act) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        ActivationEpilogue relu = new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);
        ActivationEpilogue clip = new ActivationEpilogue(F32UnaryOp.CLIP, -0.25f, 0.5f);
        ActivationEpilogue leaky = new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f);
        return Stream.of(
                new Case("same 16x16, bias", new long[] {1, 16, 16, 16}, 16, i(1, 1), i(1, 1), true, true, null),
                new Case("same 28x28 (tiles cross B panels), Relu", new long[] {1, 24, 28, 28}, 20, i(1, 1), i(1, 1), true, true, relu),
                new Case("odd plane 15x17, two images, no bias", new long[] {2, 16, 15, 17}, 17, i(1, 1), i(1, 1), false, true, null),
                new Case("valid 18x20 (no pads), Clip", new long[] {1, 17, 18, 20}, 16, i(0, 0), i(0, 0), true, true, clip),
                new Case("asymmetric pads, weights per run, LeakyRelu", new long[] {1, 16, 16, 15}, 18, i(2, 0), i(0, 2), true, false, leaky),
                new Case("56x56, several blocks", new long[] {1, 64, 56, 56}, 32, i(1, 1), i(1, 1), true, true, relu),
                new Case("three output channels, 64x64", new long[] {1, 32, 64, 64}, 3, i(1, 1), i(1, 1), true, true, null),
                new Case("14x14 many channels, K over one GEMM block", new long[] {1, 272, 14, 14}, 24, i(1, 1), i(1, 1), true, true, null));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    private static int[] i(int... v) {
        return v;
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesNaiveConvolution(Case c, int bits) {
        long[] w = {c.m, c.x[1], 3, 3};
        long[] y = {c.x[0], c.m, c.x[2] + c.pb[0] + c.pe[0] - 2, c.x[3] + c.pb[1] + c.pe[1] - 2};
        Random rnd = new Random(c.name.hashCode() + bits);
        float[] x = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(c.x));
        float[] wv = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(w));
        float[] b = F32GemmTest.random(rnd, c.m);
        float[] expected = F32ConvKernelTest.naive(x, c.x, wv, w, c.bias ? b : null, y, 1, i(1, 1), c.pb, i(1, 1));
        if (c.act != null) {
            try (Tensor t = Tensor.of(expected, expected.length)) {
                c.act.op().reference(c.act.p(), c.act.q(), t.data(), 0, t.data(), 0, expected.length);
                expected = t.toFloatArray();
            }
        }
        for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(2), new ParallelTestThreads(3)}) {
            try (Tensor tx = Tensor.of(x, c.x); Tensor tw = Tensor.of(wv, w); Tensor tb = Tensor.of(b, c.m);
                 Tensor ty = Tensor.allocate(DType.FLOAT, y); Arena arena = Arena.ofShared()) {
                var spec = new KernelProvider.ConvSpec(DType.FLOAT, c.x, w, y, 1, i(1, 1), c.pb, i(1, 1),
                        c.constW ? tw : null, c.act);
                assertTrue(F32Winograd.supports(spec, F32GemmTest.species(bits)), spec.toString());
                var kernel = new F32Winograd(spec, new F32Gemm(F32GemmTest.species(bits)));
                MemorySegment scratch = arena.allocate(kernel.scratchBytes(), 64);
                kernel.run(tx.data(), tw.data(), c.bias ? tb.data() : MemorySegment.NULL, ty.data(), scratch, par);
                float[] got = ty.toFloatArray();
                // the transforms round differently from the direct sum: allow for the sum's size
                float tol = 2e-6f * (float) (9 * c.x[1]);
                for (int k = 0; k < got.length; k++) {
                    assertEquals(expected[k], got[k], tol * Math.max(1, Math.abs(expected[k])), kernel + " element " + k);
                }
            }
        }
    }

    @Test
    void plannedRunsAllocateNothing() throws Exception {
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(F32WinogradAllocationProbe.class, F32WinogradAllocationProbe.CASES);
    }

    @Test
    void javaKernelsChooseItForDeepWide3x3Stride1UnlessTurnedOff() {
        var vectors = JavaKernels.vector(F32GemmTest.species(256));
        assertInstanceOf(F32Winograd.class, vectors.conv(spec(64, 64, 56, 1)).orElseThrow(), "on by default");
        assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(64, 64, 56, 2)).orElseThrow(), "stride 2");
        assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(512, 512, 7, 1)).orElseThrow(), "7x7 plane");
        assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(3, 64, 56, 1)).orElseThrow(), "3 input channels");
        assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(32, 64, 56, 1)).orElseThrow(), "288 deep: implicit GEMM's");
        assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(64, 32, 56, 1)).orElseThrow(), "32 outputs: implicit GEMM's");
        assertFalse(F32Winograd.supports(spec(64, 64, 56, 1), null), "scalar");
        System.setProperty("edgerun.java.winograd", "off");
        try {
            assertInstanceOf(F32ConvKernel.class, vectors.conv(spec(64, 64, 56, 1)).orElseThrow(), "turned off");
        } finally {
            System.clearProperty("edgerun.java.winograd");
        }
    }

    private static KernelProvider.ConvSpec spec(int c, int m, int side, int stride) {
        int out = (side + 2 - 3) / stride + 1;
        return new KernelProvider.ConvSpec(DType.FLOAT, new long[] {1, c, side, side}, new long[] {m, c, 3, 3},
                new long[] {1, m, out, out}, 1, i(stride, stride), i(1, 1), i(1, 1), null, null);
    }
}
