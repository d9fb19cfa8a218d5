package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * F32Depthwise3x3Stride2's column sums give the bits of its nine loads
 * ({@code -Dedgerun.java.depthwiseStride2ColumnSums=off}): odd and even sizes, rows of less than a
 * vector, MobileNetV2's stride-2 planes; Relu6, Relu, leaky Relu and none; serial and on three threads.
 */
class F32Depthwise3x3Stride2ColumnSumsTest {

    /** {channels, height, width}. */
    private static final int[][] SHAPES = {
            {3, 13, 11}, {2, 3, 3}, {4, 9, 16}, {3, 33, 34}, {2, 5, 64}, {96, 112, 112}, {8, 56, 56}, {12, 28, 28}, {40, 14, 14}};

    static Stream<Arguments> shapesAtWidths() {
        return Stream.of(SHAPES).flatMap(s -> IntStream.of(512, 256, 128).mapToObj(bits -> Arguments.of(s, bits)));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("shapesAtWidths")
    void columnSumsGiveTheBitsOfTheNineLoads(int[] shape, int bits) {
        for (ActivationEpilogue act : new ActivationEpilogue[] {
                new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f), new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
                new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f), null}) {
            compare(shape, bits, act);
        }
    }

    private static void compare(int[] s, int bits, ActivationEpilogue act) {
        long[] xs = {1, s[0], s[1], s[2]}, ws = {s[0], 1, 3, 3}, ys = {1, s[0], (s[1] - 1) / 2 + 1, (s[2] - 1) / 2 + 1};
        int[] one = {1, 1}, two = {2, 2};
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, ys, s[0], two, one, one, null, act);
        var species = F32GemmTest.species(bits);
        Random rnd = new Random(s[0] * 31L + s[1] * 7L + s[2] + bits);
        KernelProvider.ConvKernel sums = new F32Depthwise3x3Stride2(spec, species);
        KernelProvider.ConvKernel nine = nineLoads(spec, species);
        int outs = (int) (ys[1] * ys[2] * ys[3]);
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, s[0] * s[1] * s[2]), xs);
             Tensor w = Tensor.of(F32GemmTest.random(rnd, s[0] * 9), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, s[0]), s[0]);
             Tensor ySums = Tensor.allocate(DType.FLOAT, ys); Tensor yNine = Tensor.allocate(DType.FLOAT, ys);
             Arena arena = Arena.ofShared()) {
            MemorySegment scratch = arena.allocate(Math.max(sums.scratchBytes(), nine.scratchBytes()) + 64, 64);
            for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(3)}) {
                sums.run(x.data(), w.data(), b.data(), ySums.data(), scratch, par);
                nine.run(x.data(), w.data(), b.data(), yNine.data(), scratch, par);
                float[] got = ySums.toFloatArray(), want = yNine.toFloatArray();
                for (int k = 0; k < outs; k++) {
                    assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(got[k]),
                            sums + " " + par.threads() + " threads, element " + k);
                }
            }
        }
    }

    private static KernelProvider.ConvKernel nineLoads(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species) {
        System.setProperty("edgerun.java.depthwiseStride2ColumnSums", "off");
        try {
            return new F32Depthwise3x3Stride2(spec, species);
        } finally {
            System.clearProperty("edgerun.java.depthwiseStride2ColumnSums");
        }
    }
}
