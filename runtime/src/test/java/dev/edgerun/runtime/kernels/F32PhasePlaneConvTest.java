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

/**
 * The phase-plane convolution at every vector width and 1-3 threads against the naive direct
 * convolution, and bit for bit against {@link F32ConvKernel}'s direct GEMM, whose summation order it keeps.
 */
class F32PhasePlaneConvTest {
    private static final ActivationEpilogue RELU = new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f);
    private static final ActivationEpilogue RELU6 = new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f);

    /** in [n, c, h, w], out channels, kernel [h, w], strides, pads begin [h, w] (end: what the output shape needs), dilations, bias, activation. */
    record Case(String name, long[] x, int m, int[] kernel, int[] stride, int[] pad, int[] dilation, boolean bias,
                ActivationEpilogue act) {
        long[] w() {
            return new long[] {m, x[1], kernel[0], kernel[1]};
        }

        long[] y() {
            long[] y = {x[0], m, 0, 0};
            for (int a = 0; a < 2; a++) {
                long span = (long) dilation[a] * (kernel[a] - 1) + 1;
                y[a + 2] = (x[a + 2] + 2L * pad[a] - span) / stride[a] + 1;
            }
            return y;
        }

        KernelProvider.ConvSpec spec(Tensor w) {
            return new KernelProvider.ConvSpec(DType.FLOAT, x, w(), y(), 1, stride, pad, dilation, w, act);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("DS-CNN stem 1->64 10x4 s2 @49x10, Relu", new long[] {1, 1, 49, 10}, 64, new int[] {10, 4},
                        new int[] {2, 2}, new int[] {5, 1}, new int[] {1, 1}, true, RELU),
                new Case("1->37 3x3 s1 @17x13, channels past a tile, no bias", new long[] {1, 1, 17, 13}, 37,
                        new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, false, null),
                new Case("3->16 5x5 s2 @21x19, two images, Clip", new long[] {2, 3, 21, 19}, 16, new int[] {5, 5},
                        new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, true, RELU6),
                new Case("2->10 4x3 stride 1x2 dilation 2x1 @15x16", new long[] {1, 2, 15, 16}, 10, new int[] {4, 3},
                        new int[] {1, 2}, new int[] {3, 1}, new int[] {2, 1}, true, null),
                new Case("1->64 10x4 s2 @99x20, split over threads", new long[] {1, 1, 99, 20}, 64, new int[] {10, 4},
                        new int[] {2, 2}, new int[] {5, 1}, new int[] {1, 1}, true, RELU),
                new Case("4->6 7x1 s3 @40x3, few positions per row", new long[] {1, 4, 40, 3}, 6, new int[] {7, 1},
                        new int[] {3, 1}, new int[] {0, 0}, new int[] {1, 1}, true, RELU),
                new Case("digits_cnn 16->32 3x3 @8x8, Relu", new long[] {1, 16, 8, 8}, 32, new int[] {3, 3},
                        new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, RELU),
                new Case("32->64 3x3 @4x4, positions under one vector", new long[] {1, 32, 4, 4}, 64, new int[] {3, 3},
                        new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, null),
                new Case("8->30 3x3 s2 @16x15", new long[] {1, 8, 16, 15}, 30, new int[] {3, 3},
                        new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, false, RELU6));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void matchesNaiveConvolution(Case c, int bits) {
        long[] w = c.w(), y = c.y();
        Random rnd = new Random(c.name.hashCode() + bits);
        float[] x = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(c.x));
        float[] wv = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(w));
        float[] b = F32GemmTest.random(rnd, c.m);
        float[] expected = F32ConvKernelTest.naive(x, c.x, wv, w, c.bias ? b : null, y, 1, c.stride, c.pad, c.dilation);
        if (c.act != null) {
            try (Tensor t = Tensor.of(expected, expected.length)) {
                c.act.op().reference(c.act.p(), c.act.q(), t.data(), 0, t.data(), 0, expected.length);
                expected = t.toFloatArray();
            }
        }
        for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(2), new ParallelTestThreads(3)}) {
            try (Tensor tw = Tensor.of(wv, w)) {
                var kernel = new F32PhasePlaneConv(c.spec(tw), F32GemmTest.species(bits));
                float[] got = run(kernel, x, c, wv, c.bias ? b : null, par);
                float tol = 2e-6f * (float) (w[1] * w[2] * w[3]);
                for (int k = 0; k < got.length; k++) {
                    assertEquals(expected[k], got[k], tol * Math.max(1, Math.abs(expected[k])), kernel + " element " + k);
                }
            }
        }
    }

    /** Where {@link F32ConvKernel} takes its serial direct GEMM (bias, then taps in (c, kh, kw) order), the same bits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sameBitsAsTheDirectGemmOfTheColumnMatrix(Case c) {
        long[] w = c.w();
        long macs = F32ConvKernelTest.count(w) * c.y()[2] * c.y()[3];
        if (macs > F32ConvKernel.DIRECT_MAX_MACS || w[1] * w[2] * w[3] > F32Gemm.KC) return; // not the direct GEMM there
        Random rnd = new Random(c.name.hashCode());
        float[] x = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(c.x));
        float[] wv = F32GemmTest.random(rnd, (int) F32ConvKernelTest.count(w));
        float[] b = F32GemmTest.random(rnd, c.m);
        try (Tensor tw = Tensor.of(wv, w)) {
            float[] planes = run(new F32PhasePlaneConv(c.spec(tw), Vectors.F32), x, c, wv, c.bias ? b : null, Parallel.SERIAL);
            float[] columns = run(new F32ConvKernel(c.spec(tw), new F32Gemm(Vectors.F32)), x, c, wv, c.bias ? b : null,
                    Parallel.SERIAL);
            for (int k = 0; k < planes.length; k++) {
                assertEquals(Float.floatToRawIntBits(columns[k]), Float.floatToRawIntBits(planes[k]), "element " + k);
            }
        }
    }

    private static float[] run(KernelProvider.ConvKernel kernel, float[] x, Case c, float[] wv, float[] b, Parallel par) {
        try (Tensor tx = Tensor.of(x, c.x); Tensor tw = Tensor.of(wv, c.w());
             Tensor tb = Tensor.of(b == null ? new float[c.m] : b, c.m);
             Tensor ty = Tensor.allocate(DType.FLOAT, c.y()); Arena arena = Arena.ofShared()) {
            MemorySegment scratch = arena.allocate(Math.max(1, kernel.scratchBytes()), 64);
            kernel.run(tx.data(), tw.data(), b == null ? MemorySegment.NULL : tb.data(), ty.data(), scratch, par);
            return ty.toFloatArray();
        }
    }

    @Test
    void plannedRunsAllocateNothing() throws Exception {
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(F32PhasePlaneConvAllocationProbe.class,
                F32PhasePlaneConvAllocationProbe.CASES);
    }

    @Test
    void javaKernelsChooseItForShallowTallKernelsUnlessTurnedOff() {
        var vectors = JavaKernels.vector(F32GemmTest.species(512));
        Case stem = cases().findFirst().orElseThrow();
        try (Tensor w = Tensor.allocate(DType.FLOAT, stem.w())) {
            assertInstanceOf(F32PhasePlaneConv.class, vectors.conv(stem.spec(w)).orElseThrow(), "DS-CNN stem");
            var perRun = stem.spec(null);
            assertInstanceOf(F32ConvKernel.class, vectors.conv(perRun).orElseThrow(), "weights per run");
            System.setProperty(F32PhasePlaneConv.PROPERTY, "off");
            try {
                assertFalse(F32PhasePlaneConv.preferred(stem.spec(w), Vectors.F32), "turned off");
            } finally {
                System.clearProperty(F32PhasePlaneConv.PROPERTY);
            }
        }
        Case deep = new Case("16 channels over 400 positions", new long[] {1, 16, 20, 20}, 8, new int[] {3, 3},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, null);
        Case pointwise = new Case("pointwise over few positions", new long[] {1, 16, 8, 8}, 32, new int[] {1, 1},
                new int[] {1, 1}, new int[] {0, 0}, new int[] {1, 1}, true, null);
        Case manyMacs = new Case("64->64 3x3 @8x8, 2.4M multiply-adds", new long[] {1, 64, 8, 8}, 64, new int[] {3, 3},
                new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, true, null);
        Case digits = cases().filter(c -> c.name.startsWith("digits")).findFirst().orElseThrow();
        Case flat = new Case("1x1 kernel rows", new long[] {1, 1, 20, 20}, 8, new int[] {1, 5}, new int[] {1, 1},
                new int[] {0, 2}, new int[] {1, 1}, true, null);
        Case stem224 = new Case("ImageNet stem", new long[] {1, 3, 224, 224}, 32, new int[] {3, 3}, new int[] {2, 2},
                new int[] {1, 1}, new int[] {1, 1}, true, RELU6);
        for (Case c : new Case[] {deep, flat, stem224, pointwise, manyMacs}) {
            try (Tensor w = Tensor.allocate(DType.FLOAT, c.w())) {
                assertFalse(F32PhasePlaneConv.preferred(c.spec(w), Vectors.F32), c.name);
            }
        }
        try (Tensor w = Tensor.allocate(DType.FLOAT, stem.w())) {
            assertTrue(F32PhasePlaneConv.preferred(stem.spec(w), F32GemmTest.species(256)), "256-bit");
        }
        try (Tensor w = Tensor.allocate(DType.FLOAT, digits.w())) {
            assertTrue(F32PhasePlaneConv.preferred(digits.spec(w), Vectors.F32), "deeper over few positions");
        }
    }
}
