package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Q8Depthwise3x3Stride2Phases} gives the bytes of {@link Q8Depthwise3x3Stride2}, which it
 * replaces, and of {@link Q8DepthwiseConv}'s general stride-phase path (256- and 128-bit vectors,
 * and scalar), serially and split over 2 and 3 threads: the sums are exact integers either way.
 */
class Q8Depthwise3x3Stride2PhasesTest {

    /** Input [n, c, h, w], pads end, int8 or uint8 input, per-channel scales, a clamp narrower than the type, extreme values. */
    record Case(int n, int c, int h, int w, int padEnd, boolean xSigned, boolean perChannel, boolean clamp, boolean extreme) {
        long[] xs() {
            return new long[] {n, c, h, w};
        }

        long[] ys() {
            return new long[] {n, c, (h + 1 + padEnd - 3) / 2 + 1, (w + 1 + padEnd - 3) / 2 + 1};
        }

        @Override
        public String toString() {
            return n + "x" + c + "x" + h + "x" + w + " pad end " + padEnd + (xSigned ? " s8" : " u8")
                    + (perChannel ? " per-channel" : " per-tensor") + (clamp ? " clamped" : "") + (extreme ? " extreme" : "");
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 96, 112, 112, 1, false, true, false, false),   // MobileNetV2 features.2
                new Case(1, 144, 56, 56, 1, false, true, true, false),
                new Case(1, 192, 28, 28, 1, true, true, false, false),
                new Case(1, 576, 14, 14, 1, false, false, false, true),
                new Case(2, 17, 15, 13, 1, false, true, true, false),      // odd sizes, 17 channels
                new Case(1, 5, 9, 7, 0, true, false, false, false),
                new Case(3, 3, 1, 1, 1, false, true, false, false),        // 1x1 planes
                new Case(2, 7, 2, 2, 1, true, true, true, false),          // 2x2 planes
                new Case(1, 4, 2, 2, 0, false, false, false, true),        // 2x2 unpadded at the end: one output
                new Case(1, 3, 3, 40, 1, true, true, false, true),         // wide rows, few
                new Case(1, 6, 37, 3, 0, false, true, true, false),        // tall narrow planes
                new Case(2, 31, 48, 48, 1, false, true, true, false),      // threaded, batch 2
                new Case(1, 33, 33, 65, 1, true, false, false, true),      // rows over two split steps
                new Case(1, 2, 128, 128, 0, false, true, false, false));   // the largest planes taken
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void givesTheBytesOfTheRowKernelAndTheGeneralPath(Case c) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the phase kernel needs 512-bit vectors");
        try (Q8DepthwiseInputs in = inputs(c)) {
            assertTrue(Q8Depthwise3x3Stride2Phases.supports(in.spec, FloatVector.SPECIES_512), "taken: " + c);
            byte[] phases = in.run(y -> new Q8Depthwise3x3Stride2Phases(in.spec).planes(in.x.data(), y, 0, in.planes()));
            if (Q8Depthwise3x3Stride2.supports(in.spec, FloatVector.SPECIES_512)) {
                assertArrayEquals(in.run(y -> new Q8Depthwise3x3Stride2(in.spec).planes(in.x.data(), y, 0, in.planes())),
                        phases, "row kernel");
            }
            assertArrayEquals(nineLoads(in), phases, "the nine loads per output vector");
            assertArrayEquals(in.conv(null, Parallel.SERIAL), phases, "scalar");
            assertArrayEquals(in.conv(F32GemmTest.species(128), Parallel.SERIAL), phases, "128-bit general path");
            assertArrayEquals(in.conv(F32GemmTest.species(256), new ParallelTestThreads(2)), phases, "256-bit general path, 2 threads");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, Parallel.SERIAL), phases, "Q8DepthwiseConv, serial");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(2)), phases, "Q8DepthwiseConv, 2 threads");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(3)), phases, "Q8DepthwiseConv, 3 threads");
        }
    }

    @Test
    void declinesBiasesOver2To23AndTheRowKernelRunsThem() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the phase kernel needs 512-bit vectors");
        try (Q8DepthwiseInputs in = inputs(new Case(1, 8, 15, 13, 1, false, true, true, true), 1 << 24)) {
            assertFalse(Q8Depthwise3x3Stride2Phases.supports(in.spec, FloatVector.SPECIES_512));
            assertArrayEquals(in.conv(null, Parallel.SERIAL), in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(2)));
        }
    }

    @Test
    void runsAllocateNothing() throws IOException, InterruptedException {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the phase kernel needs 512-bit vectors");
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(Q8Depthwise3x3Stride2PhasesAllocationProbe.class,
                Q8Depthwise3x3Stride2PhasesAllocationProbe.CASES.size());
    }

    /** A case's inputs, biases of 2^23 in extreme cases. */
    static Q8DepthwiseInputs inputs(Case c) {
        return inputs(c, 1 << 23);
    }

    /** A case's inputs, biases of {@code extremeBias} in extreme cases. */
    static Q8DepthwiseInputs inputs(Case c, int extremeBias) {
        return new Q8DepthwiseInputs(c.hashCode(), c.xs(), c.ys(), 2, c.xSigned(), c.perChannel(), c.clamp(), c.extreme(),
                extremeBias, 0.002f);
    }

    /** The bytes of {@link Q8Depthwise3x3Stride2Phases} with its column sums switched off. */
    private static byte[] nineLoads(Q8DepthwiseInputs in) {
        String key = "edgerun.java.q8DepthwiseStride2ColumnSums", before = System.getProperty(key);
        System.setProperty(key, "off");
        try {
            Q8Depthwise3x3Stride2Phases kernel = new Q8Depthwise3x3Stride2Phases(in.spec);
            return in.run(y -> kernel.planes(in.x.data(), y, 0, in.planes()));
        } finally {
            if (before == null) System.clearProperty(key);
            else System.setProperty(key, before);
        }
    }
}
