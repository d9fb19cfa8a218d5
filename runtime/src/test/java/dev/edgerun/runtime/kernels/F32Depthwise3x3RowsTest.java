package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * F32Depthwise3x3's loops give the same bits: the row-quad loop and the column-sum flat loop
 * (the default) those of the nine-load flat loop ({@code -Dedgerun.java.f32Depthwise3x3ColumnSums=off}
 * with {@code -Dedgerun.java.f32Depthwise3x3Rows=off}; the row quads only with the column sums off,
 * and the same as the flat loop when a width is too narrow for row groups at a vector size): plane heights of every remainder by four (the last group writes
 * past the plane), one to four rows, rows of exactly a vector and of a vector and a
 * lane, MobileNetV2's planes; Relu6, Relu, leaky Relu (applied after the store) and none; serial
 * and on three threads.
 */
class F32Depthwise3x3RowsTest {

    /** {channels, height, width}. */
    private static final int[][] SHAPES = {
            {3, 1, 48}, {2, 2, 48}, {3, 3, 49}, {2, 4, 50}, {2, 5, 48}, {3, 8, 64}, {2, 10, 48}, {5, 7, 33}, {4, 6, 32}, {2, 11, 64}, {3, 9, 47}, {2, 4, 24}, {3, 5, 12},
            {2, 56, 56}, {2, 112, 112}, {3, 28, 28}, {6, 14, 14}, {40, 14, 14}, {2, 5, 129}, {70, 25, 8},
            {24, 56, 56}, {300, 14, 14}}; // the last two above the threading threshold

    static Stream<Arguments> shapesAtWidths() {
        return Stream.of(SHAPES).flatMap(s -> IntStream.of(512, 256, 128).mapToObj(bits -> Arguments.of(s, bits)));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("shapesAtWidths")
    void rowQuadsGiveTheBitsOfTheFlatLoop(int[] shape, int bits) {
        for (ActivationEpilogue act : ACTIVATIONS) compare(shape, bits, act, "off");
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("shapesAtWidths")
    void columnSumsGiveTheBitsOfTheNineLoads(int[] shape, int bits) {
        for (ActivationEpilogue act : ACTIVATIONS) compare(shape, bits, act, null);
    }

    private static final ActivationEpilogue[] ACTIVATIONS = {
            new ActivationEpilogue(F32UnaryOp.CLIP, 0f, 6f), new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
            new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f), null};

    @Test
    void rowQuadsOnlyForRowsOfThreeVectors() {
        assertTrue(F32Depthwise3x3.rowQuadsWanted(48, 16));
        assertTrue(F32Depthwise3x3.rowQuadsWanted(28, 8));
        assertFalse(F32Depthwise3x3.rowQuadsWanted(28, 16));
        assertFalse(F32Depthwise3x3.rowQuadsWanted(14, 8));
    }

    /** The kernel under test (column sums as {@code columnSums}: null for the default) against the nine-load flat loop, bit for bit. */
    private static void compare(int[] s, int bits, ActivationEpilogue act, String columnSums) {
        long[] xs = {1, s[0], s[1], s[2]}, ws = {s[0], 1, 3, 3};
        int[] one = {1, 1};
        var spec = new KernelProvider.ConvSpec(DType.FLOAT, xs, ws, xs, s[0], one, one, one, null, act);
        var species = F32GemmTest.species(bits);
        Random rnd = new Random(s[0] * 31L + s[1] * 7L + s[2] + bits);
        KernelProvider.ConvKernel rows = withProperties(spec, species, columnSums, null);
        KernelProvider.ConvKernel flat = withProperties(spec, species, "off", "off");
        try (Tensor x = Tensor.of(F32GemmTest.random(rnd, s[0] * s[1] * s[2]), xs);
             Tensor w = Tensor.of(F32GemmTest.random(rnd, s[0] * 9), ws);
             Tensor b = Tensor.of(F32GemmTest.random(rnd, s[0]), s[0]);
             Tensor yRows = Tensor.allocate(DType.FLOAT, xs); Tensor yFlat = Tensor.allocate(DType.FLOAT, xs);
             Arena arena = Arena.ofShared()) {
            MemorySegment scratch = arena.allocate(1, 64);
            for (Parallel par : new Parallel[] {Parallel.SERIAL, new ParallelTestThreads(3)}) {
                rows.run(x.data(), w.data(), b.data(), yRows.data(), scratch, par);
                flat.run(x.data(), w.data(), b.data(), yFlat.data(), scratch, par);
                float[] got = yRows.toFloatArray(), want = yFlat.toFloatArray();
                for (int k = 0; k < got.length; k++) {
                    assertEquals(Float.floatToRawIntBits(want[k]), Float.floatToRawIntBits(got[k]),
                            rows + " " + par.threads() + " threads, element " + k);
                }
            }
        }
    }

    /** F32Depthwise3x3 built with its column-sum and row-quad switches set as given (null: unset). */
    private static KernelProvider.ConvKernel withProperties(KernelProvider.ConvSpec spec, jdk.incubator.vector.VectorSpecies<Float> species,
                                                           String columnSums, String rows) {
        set("edgerun.java.f32Depthwise3x3ColumnSums", columnSums);
        set("edgerun.java.f32Depthwise3x3Rows", rows);
        try {
            return new F32Depthwise3x3(spec, species);
        } finally {
            System.clearProperty("edgerun.java.f32Depthwise3x3ColumnSums");
            System.clearProperty("edgerun.java.f32Depthwise3x3Rows");
        }
    }

    private static void set(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
