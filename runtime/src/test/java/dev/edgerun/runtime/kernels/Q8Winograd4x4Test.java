package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.kernels.Q8WinogradTest.Case;
import dev.edgerun.runtime.kernels.Q8WinogradTest.Clamp;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Q8Winograd4x4} on {@link Q8WinogradTest}'s cases and on planes cut into several blocks
 * (blocks end inside a tile row, tiles past the plane's edge), at 512, 256 and 128 bits, serial and
 * on 2 and 3 threads, against exact int32 arithmetic: every output within one step, all but one in
 * a thousand equal. Also that its runs allocate nothing, and where the Java kernels take it.
 */
class Q8Winograd4x4Test {

    static Stream<Case> cases() {
        return Stream.concat(Q8WinogradTest.cases(), Stream.of(
                new Case("ResNet-like 64->64 at 56x56, seven blocks, Relu", new long[] {1, 64, 56, 56}, 64,
                        new int[] {1, 1, 1, 1}, false, false, true, Clamp.RELU, true, false),
                new Case("128->96 at 30x29 (partial tiles), batch 2, s8", new long[] {2, 128, 30, 29}, 96,
                        new int[] {1, 1, 1, 1}, true, true, true, Clamp.NONE, true, false),
                new Case("16->16 at 70x9, one tile column of 3, pads 0/2/0/1", new long[] {1, 16, 70, 9}, 16,
                        new int[] {0, 2, 0, 1}, false, true, false, Clamp.CLIP, true, false)));
    }

    static Stream<Arguments> casesAtWidths() {
        return cases().flatMap(c -> Stream.of(512, 256, 128).map(bits -> Arguments.of(c, bits)));
    }

    @ParameterizedTest(name = "{0} at {1} bits")
    @MethodSource("casesAtWidths")
    void agreesWithIntegerArithmeticWithinOneStep(Case c, int bits) {
        Q8WinogradTest.agreesWithinOneStep(c, bits, Q8Winograd4x4::new);
    }

    @Test
    void plannedRunsAllocateNothing() throws Exception {
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(Q8Winograd4x4AllocationProbe.class,
                Q8Winograd4x4AllocationProbe.CASES);
    }

    /**
     * The Java kernels (512-bit) give it the layers they would give {@link Q8Winograd} whose output
     * planes are at least {@link Q8Winograd4x4#MIN_SIDE} a side, and {@link Q8Winograd} the
     * smaller ones and every one with {@code -Dedgerun.java.q8winograd4x4=off}.
     */
    @Test
    void theJavaKernelsTakeItOnLargePlanes() {
        JavaKernels kernels = JavaKernels.vector(F32GemmTest.species(512));
        long[][] inputs = {{1, 64, 56, 56}, {1, 128, 28, 28}, {1, 256, 14, 14}};
        Class<?>[] expected = {Q8Winograd4x4.class, Q8Winograd4x4.class, Q8Winograd.class};
        for (int i = 0; i < inputs.length; i++) {
            long[] x = inputs[i], w = {x[1], x[1], 3, 3};
            try (Tensor wq = Tensor.of(DType.INT8, new byte[(int) F32ConvKernelTest.count(w)], w)) {
                var spec = spec(x, w, wq);
                assertInstanceOf(expected[i], kernels.q8conv(spec).orElseThrow(), "input " + java.util.Arrays.toString(x));
                String before = System.getProperty("edgerun.java.q8winograd4x4");
                System.setProperty("edgerun.java.q8winograd4x4", "off");
                try {
                    assertEquals(Q8Winograd.class, kernels.q8conv(spec).orElseThrow().getClass(), "q8winograd4x4=off");
                } finally {
                    if (before == null) System.clearProperty("edgerun.java.q8winograd4x4");
                    else System.setProperty("edgerun.java.q8winograd4x4", before);
                }
            }
        }
    }

    private static KernelProvider.Q8ConvSpec spec(long[] x, long[] wShape, Tensor w) {
        long[] y = {x[0], wShape[0], x[2], x[3]};
        int[] one = {1, 1};
        var geometry = new KernelProvider.ConvSpec(DType.UINT8, x, wShape, y, 1, one, one, one, w, null);
        float[] mult = new float[(int) y[1]];
        java.util.Arrays.fill(mult, 1e-3f);
        return new KernelProvider.Q8ConvSpec(geometry, false, 128, null, mult, false, 0, 0, 255);
    }
}
