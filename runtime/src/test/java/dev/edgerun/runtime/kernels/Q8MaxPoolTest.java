package dev.edgerun.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Q8MaxPool} against a direct scalar max over each window, int8 and uint8: ResNet-18's
 * stem (stride 2, vector compress), stride 1 with padding, stride 3 (scalar gather), dilation,
 * rows shorter and longer than a vector, and planes pooled in parts as the threads do.
 */
class Q8MaxPoolTest {

    /** h, w, kh, kw, sh, sw, ph, pw, pad end h, pad end w, dh, dw. */
    private static final int[][] GEOMETRIES = {
            {112, 112, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
            {9, 131, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},
            {8, 8, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1},
            {13, 70, 3, 2, 3, 3, 1, 1, 2, 0, 1, 1},
            {11, 67, 3, 3, 1, 2, 2, 2, 2, 2, 2, 2},
            {5, 5, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1},
            {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1},
    };

    @Test
    void poolsAsTheDirectMaxOverEachWindow() {
        Random random = new Random(7);
        try (Arena arena = Arena.ofConfined()) {
            for (int[] g : GEOMETRIES) {
                int h = g[0], w = g[1], kh = g[2], kw = g[3], sh = g[4], sw = g[5], ph = g[6], pw = g[7];
                int dh = g[10], dw = g[11];
                int oh = (h + ph + g[8] - ((kh - 1) * dh + 1)) / sh + 1, ow = (w + pw + g[9] - ((kw - 1) * dw + 1)) / sw + 1;
                int planes = 3;
                byte[] x = new byte[planes * h * w];
                random.nextBytes(x);
                for (boolean signed : new boolean[] {false, true}) {
                    byte[] expected = reference(x, signed, planes, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
                    Q8MaxPool pool = new Q8MaxPool(signed, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
                    MemorySegment xs = arena.allocate(x.length);        // exact size: the last row's loads stay inside
                    MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_BYTE, 0, x.length);
                    MemorySegment y = arena.allocate(expected.length);
                    MemorySegment buf = arena.allocate(2 * pool.bufferBytes(), 64); // two callers' buffers
                    pool.max(xs, 0, y, 0, buf, 0, 0, 1);
                    pool.max(xs, 0, y, 0, buf, pool.bufferBytes(), 1, planes);
                    assertArrayEquals(expected, y.toArray(ValueLayout.JAVA_BYTE),
                            java.util.Arrays.toString(g) + (signed ? " int8" : " uint8"));
                }
            }
        }
    }

    @Test
    void windowWhollyInThePaddingIsRefused() {
        // h 1 with dilation 3 and pad 1: the rows -1 and 2 are both outside
        assertThrows(IllegalArgumentException.class, () -> new Q8MaxPool(false, 1, 4, 2, 1, 1, 1, 1, 0, 3, 1, 1, 4));
    }

    private static byte[] reference(byte[] x, boolean signed, int planes, int h, int w, int kh, int kw, int sh, int sw,
                                    int ph, int pw, int dh, int dw, int oh, int ow) {
        byte[] y = new byte[planes * oh * ow];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                for (int c = 0; c < ow; c++) {
                    int best = Integer.MIN_VALUE;
                    for (int i = 0; i < kh; i++) {
                        for (int j = 0; j < kw; j++) {
                            int row = r * sh - ph + i * dh, col = c * sw - pw + j * dw;
                            if (row < 0 || row >= h || col < 0 || col >= w) continue;
                            byte b = x[(p * h + row) * w + col];
                            best = Math.max(best, signed ? b : b & 0xFF);
                        }
                    }
                    y[(p * oh + r) * ow + c] = (byte) best;
                }
            }
        }
        return y;
    }
}
