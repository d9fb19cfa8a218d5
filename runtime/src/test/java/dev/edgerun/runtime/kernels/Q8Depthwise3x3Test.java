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
 * {@link Q8Depthwise3x3} (stride 1, 'same' padding) gives the bytes of {@link Q8DepthwiseConv}'s
 * general paths (scalar, 128- and 256-bit vectors), serially and split over 2 and 3 threads: the
 * sums are exact integers either way; and it declines the convolutions whose sums leave the range
 * where its shortcuts are exact, which the general path then runs.
 */
class Q8Depthwise3x3Test {

    /** Input [n, c, h, w], int8 or uint8 input, per-channel scales, a clamp narrower than the type, extreme values. */
    record Case(int n, int c, int h, int w, boolean xSigned, boolean perChannel, boolean clamp, boolean extreme) {
        long[] shape() {
            return new long[] {n, c, h, w};
        }

        @Override
        public String toString() {
            return n + "x" + c + "x" + h + "x" + w + (xSigned ? " s8" : " u8") + (perChannel ? " per-channel" : " per-tensor")
                    + (clamp ? " clamped" : "") + (extreme ? " extreme" : "");
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(1, 32, 112, 112, false, true, true, false),   // MobileNetV2 features.1
                new Case(1, 144, 56, 56, false, true, true, false),
                new Case(1, 192, 28, 28, true, true, false, false),
                new Case(1, 576, 14, 14, false, false, true, true),
                new Case(1, 960, 7, 7, true, true, true, false),       // a 1-lane last vector
                new Case(2, 17, 15, 13, false, true, true, false),     // odd sizes, batch 2
                new Case(3, 3, 1, 1, false, true, false, false),       // 1x1 planes
                new Case(2, 7, 2, 2, true, true, true, true),          // 2x2 planes
                new Case(1, 3, 20, 1, false, true, true, false),       // one column
                new Case(1, 4, 1, 37, true, false, false, true),       // one row
                new Case(1, 3, 3, 40, true, true, false, true),        // wide rows, few
                new Case(1, 6, 37, 3, false, true, true, false),       // tall narrow planes
                new Case(1, 5, 4, 4, false, true, false, false),       // a plane of exactly one vector
                new Case(1, 300, 9, 11, true, false, true, false),     // planes in several copy batches
                new Case(1, 2, 128, 128, false, true, false, true),    // the largest planes taken
                // Row quads (rows of two vectors or more, at most an eighth of their lanes idle): every
                // height remainder by 4, rows of whole vectors and of a part one, spills into the next
                // plane within a copy batch.
                new Case(1, 4, 5, 28, true, true, true, false),
                new Case(1, 4, 6, 32, false, true, false, true),
                new Case(2, 3, 7, 30, true, false, true, false),
                new Case(1, 3, 2, 33, false, true, true, false),        // 3 vectors, too many idle lanes: flat
                new Case(1, 3, 1, 48, false, true, true, false),
                new Case(2, 3, 2, 60, true, true, false, true),
                new Case(1, 3, 3, 63, false, false, true, false),
                new Case(1, 3, 4, 64, true, true, true, false),
                new Case(1, 3, 5, 62, false, true, false, true),
                new Case(1, 3, 6, 80, true, true, true, false),
                new Case(2, 3, 7, 57, false, true, true, false),
                new Case(1, 40, 3, 48, true, true, true, false),       // 28 planes a copy batch
                new Case(1, 5, 9, 100, false, false, false, true),
                new Case(1, 3, 6, 97, true, true, true, false));       // 7 vectors, too many idle lanes: flat
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void givesTheBytesOfTheGeneralPath(Case c) {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        try (Q8DepthwiseInputs in = inputs(c, 1 << 23, 0.002f)) {
            assertTrue(Q8Depthwise3x3.supports(in.spec, FloatVector.SPECIES_512), "taken: " + c);
            byte[] direct = in.run(y -> new Q8Depthwise3x3(in.spec).planes(in.x.data(), y, 0, c.n() * c.c()));
            assertArrayEquals(withSwitches(in, "off", "off"), direct, "the nine-load flat loop over vectors");
            assertArrayEquals(withSwitches(in, "off", null), direct, "the nine loads, row quads on wide rows");
            assertArrayEquals(in.conv(null, Parallel.SERIAL), direct, "scalar");
            assertArrayEquals(in.conv(F32GemmTest.species(128), Parallel.SERIAL), direct, "128-bit general path");
            assertArrayEquals(in.conv(F32GemmTest.species(256), new ParallelTestThreads(2)), direct, "256-bit general path, 2 threads");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, Parallel.SERIAL), direct, "Q8DepthwiseConv, serial");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(2)), direct, "Q8DepthwiseConv, 2 threads");
            assertArrayEquals(in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(3)), direct, "Q8DepthwiseConv, 3 threads");
        }
    }

    @Test
    void declinesSumsOutsideItsRangeAndTheGeneralPathRunsThem() {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        Case bigBias = new Case(1, 8, 9, 9, false, true, true, true); // biases of 2^24
        Case bigScale = new Case(1, 8, 9, 9, true, true, false, false);
        try (Q8DepthwiseInputs bias = inputs(bigBias, 1 << 24, 0.002f); Q8DepthwiseInputs scale = inputs(bigScale, 1 << 23, 20f)) {
            for (Q8DepthwiseInputs in : new Q8DepthwiseInputs[] {bias, scale}) {
                assertFalse(Q8Depthwise3x3.supports(in.spec, FloatVector.SPECIES_512));
                assertArrayEquals(in.conv(null, Parallel.SERIAL), in.conv(FloatVector.SPECIES_512, new ParallelTestThreads(2)));
            }
        }
    }

    @Test
    void runsAllocateNothing() throws IOException, InterruptedException {
        assumeTrue(FloatVector.SPECIES_PREFERRED.vectorBitSize() == 512, "the kernel needs 512-bit vectors");
        dev.edgerun.runtime.ops.OwnJvmProbe.assertNothingAllocated(Q8Depthwise3x3AllocationProbe.class,
                Q8Depthwise3x3AllocationProbe.CASES.size());
    }

    /** A case's inputs: biases of {@code extremeBias} in extreme cases, multipliers about {@code multiplier}. */
    static Q8DepthwiseInputs inputs(Case c, int extremeBias, float multiplier) {
        return new Q8DepthwiseInputs(c.hashCode(), c.shape(), c.shape(), 1, c.xSigned(), c.perChannel(), c.clamp(), c.extreme(),
                extremeBias, multiplier);
    }

    /** The bytes of {@link Q8Depthwise3x3} with its column-sum and row-quad switches set as given (null: unset). */
    private static byte[] withSwitches(Q8DepthwiseInputs in, String columnSums, String rows) {
        String sumsKey = "edgerun.java.q8Depthwise3x3ColumnSums", rowsKey = "edgerun.java.q8Depthwise3x3Rows";
        String sumsBefore = System.getProperty(sumsKey), rowsBefore = System.getProperty(rowsKey);
        set(sumsKey, columnSums);
        set(rowsKey, rows);
        try {
            Q8Depthwise3x3 kernel = new Q8Depthwise3x3(in.spec);
            return in.run(y -> kernel.planes(in.x.data(), y, 0, in.planes()));
        } finally {
            set(sumsKey, sumsBefore);
            set(rowsKey, rowsBefore);
        }
    }

    private static void set(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
