package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
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
        try (Inputs in = new Inputs(c)) {
            assertTrue(Q8Depthwise3x3Stride2Phases.supports(in.spec, FloatVector.SPECIES_512), "taken: " + c);
            byte[] phases = in.run(y -> new Q8Depthwise3x3Stride2Phases(in.spec).planes(in.x.data(), y, 0, in.planes()));
            if (Q8Depthwise3x3Stride2.supports(in.spec, FloatVector.SPECIES_512)) {
                assertArrayEquals(in.run(y -> new Q8Depthwise3x3Stride2(in.spec).planes(in.x.data(), y, 0, in.planes())),
                        phases, "row kernel");
            }
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
        try (Inputs in = new Inputs(new Case(1, 8, 15, 13, 1, false, true, true, true), 1 << 24)) {
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

    /** A case's random input, weights and quantization, owned until closed. */
    static final class Inputs implements AutoCloseable {
        final Tensor x, w;
        final KernelProvider.Q8ConvSpec spec;
        private final Case c;

        Inputs(Case c) {
            this(c, 1 << 23);
        }

        /** Biases of {@code extremeBias} in extreme cases. */
        Inputs(Case c, int extremeBias) {
            this.c = c;
            Random rnd = new Random(c.hashCode());
            byte[] xb = new byte[c.n() * c.c() * c.h() * c.w()], wb = new byte[c.c() * 9];
            rnd.nextBytes(xb);
            for (int i = 0; i < wb.length; i++) wb[i] = (byte) (c.extreme() ? (rnd.nextBoolean() ? 127 : -127) : rnd.nextInt(255) - 127);
            if (c.extreme()) for (int i = 0; i < xb.length; i++) xb[i] = (byte) (rnd.nextBoolean() ? 0x7f : 0x80);
            int[] bias = new int[c.c()];
            float[] mult = new float[c.c()];
            float scale = 0.002f * (0.5f + rnd.nextFloat());
            for (int k = 0; k < c.c(); k++) {
                bias[k] = c.extreme() ? (rnd.nextBoolean() ? extremeBias : -extremeBias) : rnd.nextInt(4001) - 2000;
                mult[k] = c.perChannel() ? 0.002f * (0.5f + rnd.nextFloat()) : scale;
            }
            long[] ws = {c.c(), 1, 3, 3};
            x = Tensor.of(c.xSigned() ? DType.INT8 : DType.UINT8, xb, c.xs());
            w = Tensor.of(DType.INT8, wb, ws);
            var geometry = new KernelProvider.ConvSpec(x.dtype(), c.xs(), ws, c.ys(), c.c(), new int[] {2, 2},
                    new int[] {1, 1}, new int[] {1, 1}, w, null);
            int zx = c.xSigned() ? -3 : 121, zy = 103;
            spec = new KernelProvider.Q8ConvSpec(geometry, c.xSigned(), zx, bias, mult, false, zy,
                    c.clamp() ? zy : 0, c.clamp() ? 193 : 255);
        }

        int planes() {
            return c.n() * c.c();
        }

        /** The output bytes {@code kernel} writes into a fresh Y. */
        byte[] run(java.util.function.Consumer<MemorySegment> kernel) {
            try (Tensor y = Tensor.allocate(DType.UINT8, c.ys())) {
                kernel.accept(y.data());
                return y.toByteArray();
            }
        }

        /** Q8DepthwiseConv's bytes at {@code species} (null: scalar) on {@code par}. */
        byte[] conv(jdk.incubator.vector.VectorSpecies<Float> species, Parallel par) {
            try (Arena arena = Arena.ofShared()) {
                Q8DepthwiseConv kernel = new Q8DepthwiseConv(spec, species);
                MemorySegment scratch = arena.allocate(kernel.scratchBytes() + 1, 64);
                return run(y -> kernel.run(x.data(), y, scratch, par));
            }
        }

        @Override
        public void close() {
            x.close();
            w.close();
        }
    }
}
