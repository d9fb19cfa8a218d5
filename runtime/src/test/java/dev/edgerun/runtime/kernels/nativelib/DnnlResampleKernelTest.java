package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** oneDNN's nearest resampling on 16-channel blocks picks input (h / fh, w / fw) for whole factors. */
class DnnlResampleKernelTest {
    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
    }

    @Test
    void upsamplesBlockedActivationsByWholeFactors() {
        check(new long[] {1, 32, 5, 7}, new long[] {1, 32, 10, 14});   // conv_autoencoder's 2x
        check(new long[] {1, 16, 4, 3}, new long[] {1, 16, 12, 6});    // 3x along H, 2x along W
        check(new long[] {2, 48, 3, 3}, new long[] {2, 48, 12, 3});    // batch 2, 4x along H only
    }

    @Test
    void offersOnlyWholeFactorUpsamplingOfChannelBlocks() {
        assertTrue(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 32, 8, 8}, new long[] {1, 32, 16, 16}));
        assertFalse(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 24, 8, 8}, new long[] {1, 24, 16, 16}), "24 channels: padded blocks");
        assertFalse(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 32, 8, 8}, new long[] {1, 32, 12, 12}), "1.5x");
        assertFalse(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 32, 8, 8}, new long[] {1, 32, 4, 4}), "downsampling");
        assertFalse(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 32, 8, 8}, new long[] {1, 64, 8, 8}), "channels change");
        assertFalse(DnnlResampleKernel.wholeFactorUpsampling(new long[] {1, 32, 8}, new long[] {1, 32, 16}), "1-D");
    }

    private static void check(long[] in, long[] out) {
        DnnlResampleKernel k = DnnlResampleKernel.nearestBlocked(in, out).orElseThrow();
        assertEquals(4L * in[0] * in[1] * in[2] * in[3], k.inputLayout().bytes());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(k.inputLayout().bytes(), 64), y = arena.allocate(k.outputLayout().bytes(), 64);
            Random r = new Random(3);
            for (long i = 0; i < x.byteSize() / 4; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
            k.run(x, y, arena.allocate(Math.max(64, k.scratchBytes()), 64), 1);
            long fh = out[2] / in[2], fw = out[3] / in[3];
            for (int n = 0; n < out[0]; n++) for (int c = 0; c < out[1]; c++) for (int h = 0; h < out[2]; h++) for (int w = 0; w < out[3]; w++) {
                float expected = x.getAtIndex(ValueLayout.JAVA_FLOAT, blocked(in, n, c, h / fh, w / fw));
                float actual = y.getAtIndex(ValueLayout.JAVA_FLOAT, blocked(out, n, c, h, w));
                assertEquals(expected, actual, 0f, "n " + n + " c " + c + " h " + h + " w " + w);
            }
        }
    }

    /** Element index of (n, c, h, w) in nChw16c (channels a multiple of 16). */
    private static long blocked(long[] shape, long n, long c, long h, long w) {
        long blocks = shape[1] / 16;
        return (((n * blocks + c / 16) * shape[2] + h) * shape[3] + w) * 16 + c % 16;
    }
}
