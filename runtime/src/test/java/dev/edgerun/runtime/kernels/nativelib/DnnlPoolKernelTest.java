package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.F32Pool;
import dev.edgerun.runtime.kernels.nativelib.DnnlPoolKernel.Algorithm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's pooling computes what the Java pooling kernels ({@link F32Pool}) compute, on plain and
 * on 16-channel blocked tensors: pads, ceil_mode, strides, both average divisors, odd channel
 * counts, 1-3 spatial axes, global windows; dilated windows it declines.
 */
class DnnlPoolKernelTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @BeforeEach
    void requireLibrary() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
    }

    @Test
    void maxPoolingMatchesTheJavaKernel() {
        Algorithm max = Algorithm.MAX;
        check(max, new long[] {1, 64, 112, 112}, k(3, 3), s(2, 2), p(1, 1), p(1, 1), d(1, 1), false); // ResNet-18's
        check(max, new long[] {1, 3, 7, 7}, k(3, 3), s(2, 2), p(1, 1), p(1, 1), d(1, 1), false);
        check(max, new long[] {1, 5, 8, 8}, k(3, 3), s(2, 2), p(0, 0), p(0, 0), d(1, 1), true);  // ceil adds a window
        check(max, new long[] {2, 17, 6, 5}, k(3, 2), s(2, 1), p(1, 0), p(0, 1), d(1, 1), false); // asymmetric pads
        check(max, new long[] {1, 3, 10}, k(3), s(2), p(1), p(0), d(1), true);                   // 1-D
        check(max, new long[] {1, 2, 5, 6, 7}, k(2, 2, 2), s(2, 2, 2), p(0, 0, 0), p(1, 0, 1), d(1, 1, 1), false); // 3-D
    }

    /** oneDNN 2.6 pools dilated windows with its reference implementation only ({@code ref:any}): the Java kernel keeps them. */
    @Test
    void declinesDilatedWindows() {
        long[] x = {1, 4, 9, 9}, y = {1, 4, 7, 7}, two = {2, 2}, one = {1, 1}, zero = {0, 0};
        var window = new DnnlPoolKernel.Window(Algorithm.MAX, x, y, two, one, two, zero, zero);
        assertTrue(DnnlPoolKernel.plain(window).isEmpty());
    }

    @Test
    void averagePoolingMatchesTheJavaKernel() {
        for (Algorithm avg : new Algorithm[] {Algorithm.AVERAGE_EXCLUDING_PADS, Algorithm.AVERAGE_INCLUDING_PADS}) {
            check(avg, new long[] {1, 3, 7, 7}, k(3, 3), s(2, 2), p(1, 1), p(1, 1), d(1, 1), false);
            check(avg, new long[] {2, 17, 6, 5}, k(3, 2), s(2, 1), p(1, 0), p(0, 1), d(1, 1), false);
            check(avg, new long[] {1, 32, 8, 8}, k(2, 2), s(2, 2), p(0, 0), p(0, 0), d(1, 1), false);
            check(avg, new long[] {1, 3, 10}, k(3), s(2), p(1), p(1), d(1), false);
            check(avg, new long[] {1, 2, 5, 6, 7}, k(2, 3, 2), s(1, 2, 2), p(1, 1, 0), p(0, 1, 1), d(1, 1, 1), false);
        }
        // ceil_mode's extra window divides by its taps inside the image, as ONNX's exclude-pad average does
        check(Algorithm.AVERAGE_EXCLUDING_PADS, new long[] {1, 5, 8, 8}, k(3, 3), s(2, 2), p(0, 0), p(0, 0), d(1, 1), true);
    }

    @Test
    void globalPoolingMatchesTheJavaKernel() {
        for (Algorithm a : new Algorithm[] {Algorithm.MAX, Algorithm.AVERAGE_EXCLUDING_PADS}) {
            check(a, new long[] {1, 1280, 7, 7}, k(7, 7), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false); // MobileNetV2's
            check(a, new long[] {1, 64, 25, 5}, k(25, 5), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false); // DS-CNN's
            check(a, new long[] {2, 3, 4, 5}, k(4, 5), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false);
        }
    }

    @Test
    void blockedLayoutsSeeTheSameValues() {
        long[][] shapes = {{1, 16, 9, 9}, {1, 24, 9, 9}, {2, 48, 8, 7}};
        for (long[] shape : shapes) {
            for (boolean in : new boolean[] {false, true}) {
                for (boolean out : new boolean[] {false, true}) {
                    check(Algorithm.MAX, shape, k(3, 3), s(2, 2), p(1, 1), p(1, 1), d(1, 1), false, in, out);
                    check(Algorithm.AVERAGE_EXCLUDING_PADS, shape, k(3, 3), s(2, 2), p(1, 1), p(1, 1), d(1, 1), false, in, out);
                }
            }
        }
        // global average into [N, C, 1, 1]: with C a multiple of 16 the blocked output is the plain one
        for (long c : new long[] {64, 24}) {
            long[] x = {1, c, 7, 7};
            check(Algorithm.AVERAGE_EXCLUDING_PADS, x, k(7, 7), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false, true, false);
            check(Algorithm.AVERAGE_EXCLUDING_PADS, x, k(7, 7), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false, false, true);
        }
    }

    @Test
    void blocksArePlainOnlyForOnePositionPerPlaneOfWholeBlocks() {
        assertTrue(DnnlPoolKernel.blocksArePlain(new long[] {1, 1280, 1, 1}));
        assertTrue(DnnlPoolKernel.blocksArePlain(new long[] {3, 32, 1, 1}));
        assertFalse(DnnlPoolKernel.blocksArePlain(new long[] {1, 24, 1, 1}), "padded block");
        assertFalse(DnnlPoolKernel.blocksArePlain(new long[] {1, 32, 2, 1}), "two positions");
        assertFalse(DnnlPoolKernel.blocksArePlain(new long[] {1, 32, 1}), "3-D");
    }

    @Test
    void onlyFourDimensionalPoolsOfferBlocks() {
        DnnlPoolKernel oneD = kernel(Algorithm.MAX, new long[] {1, 16, 10}, k(3), s(1), p(0), p(0), d(1), false);
        assertEquals(null, oneD.blockedInputLayout());
        assertTrue(oneD.withBlocks(true, true).isEmpty());
        DnnlPoolKernel twoD = kernel(Algorithm.MAX, new long[] {1, 24, 10, 10}, k(3, 3), s(1, 1), p(0, 0), p(0, 0), d(1, 1), false);
        assertEquals(4L * 32 * 10 * 10, twoD.blockedInputLayout().bytes(), "24 channels padded to two blocks");
    }

    private static void check(Algorithm a, long[] x, long[] kernel, long[] strides, long[] begin, long[] end, long[] dil,
                              boolean ceil) {
        check(a, x, kernel, strides, begin, end, dil, ceil, false, false);
    }

    private static void check(Algorithm a, long[] x, long[] kernel, long[] strides, long[] begin, long[] end, long[] dil,
                              boolean ceil, boolean blockedIn, boolean blockedOut) {
        DnnlPoolKernel plain = kernel(a, x, kernel, strides, begin, end, dil, ceil);
        DnnlPoolKernel k = plain.withBlocks(blockedIn, blockedOut).orElseThrow();
        long[] y = outputShape(x, kernel, strides, begin, end, dil, ceil);
        long inCount = Arrays.stream(x).reduce(1, (u, v) -> u * v), outCount = Arrays.stream(y).reduce(1, (u, v) -> u * v);
        String what = a + " " + Arrays.toString(x) + " kernel " + Arrays.toString(kernel) + " strides " + Arrays.toString(strides)
                + " pads " + Arrays.toString(begin) + "/" + Arrays.toString(end) + " dilations " + Arrays.toString(dil)
                + (ceil ? " ceil" : "") + (blockedIn ? " blocked in" : "") + (blockedOut ? " blocked out" : "");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate(4 * inCount, 64), expected = arena.allocate(4 * outCount, 64);
            Random r = new Random(Arrays.hashCode(x));
            for (long i = 0; i < inCount; i++) xs.setAtIndex(F, i, r.nextFloat() * 4 - 2);
            javaPool(a, x, y, kernel, strides, begin, end, dil, xs, expected);
            MemorySegment xIn = blockedIn ? toBlocked(arena, xs, x) : xs;
            MemorySegment yOut = arena.allocate(blockedOut ? k.blockedOutputLayout().bytes() : 4 * outCount, 64);
            k.run(xIn, yOut, arena.allocate(Math.max(64, k.scratchBytes()), 64), 1);
            MemorySegment actual = blockedOut ? fromBlocked(arena, yOut, y) : yOut;
            for (long i = 0; i < outCount; i++) {
                float e = expected.getAtIndex(F, i), v = actual.getAtIndex(F, i);
                assertEquals(e, v, 1e-5f * Math.max(1, Math.abs(e)), what + ": element " + i);
            }
        }
    }

    private static DnnlPoolKernel kernel(Algorithm a, long[] x, long[] kernel, long[] strides, long[] begin, long[] end,
                                         long[] dil, boolean ceil) {
        long[] y = outputShape(x, kernel, strides, begin, end, dil, ceil);
        long[] oneDnnEnd = end.clone();
        for (int i = 0; i < kernel.length; i++) {
            long span = (kernel[i] - 1) * dil[i] + 1;
            oneDnnEnd[i] = Math.max(end[i], (y[i + 2] - 1) * strides[i] + span - x[i + 2] - begin[i]);
        }
        var window = new DnnlPoolKernel.Window(a, x, y, kernel, strides, dil, begin, oneDnnEnd);
        return DnnlPoolKernel.plain(window).orElseThrow(() -> new AssertionError("oneDNN declined " + window));
    }

    /** ONNX's output size, ceil_mode dropping a last window that would start in the end pads. */
    private static long[] outputShape(long[] x, long[] kernel, long[] strides, long[] begin, long[] end, long[] dil, boolean ceil) {
        long[] y = x.clone();
        for (int i = 0; i < kernel.length; i++) {
            long room = x[i + 2] + begin[i] + end[i] - ((kernel[i] - 1) * dil[i] + 1);
            long o = ceil ? Math.floorDiv(room + strides[i] - 1, strides[i]) + 1 : Math.floorDiv(room, strides[i]) + 1;
            if (ceil && (o - 1) * strides[i] >= x[i + 2] + begin[i]) o--;
            y[i + 2] = o;
        }
        return y;
    }

    private static void javaPool(Algorithm a, long[] x, long[] y, long[] kernel, long[] strides, long[] begin, long[] end,
                                 long[] dil, MemorySegment xs, MemorySegment ys) {
        F32Pool pool = new F32Pool(ints(x, 2), ints(kernel, 0), ints(strides, 0), ints(begin, 0), ints(end, 0), ints(dil, 0),
                ints(y, 2));
        int planes = (int) (x[0] * x[1]);
        if (a == Algorithm.MAX) pool.max(xs, ys, null, false, 0, planes);
        else pool.average(xs, ys, a == Algorithm.AVERAGE_INCLUDING_PADS, 0, planes);
    }

    private static MemorySegment toBlocked(Arena arena, MemorySegment plain, long[] shape) {
        long blocks = (shape[1] + 15) / 16;
        MemorySegment b = arena.allocate(4 * shape[0] * blocks * 16 * shape[2] * shape[3], 64);
        forEach(shape, (i, j) -> b.setAtIndex(F, j, plain.getAtIndex(F, i)));
        return b;
    }

    private static MemorySegment fromBlocked(Arena arena, MemorySegment blocked, long[] shape) {
        MemorySegment p = arena.allocate(4 * shape[0] * shape[1] * shape[2] * shape[3], 64);
        forEach(shape, (i, j) -> p.setAtIndex(F, i, blocked.getAtIndex(F, j)));
        return p;
    }

    /** Calls {@code body(plainIndex, blockedIndex)} for every element of a 4-D {@code shape}. */
    private static void forEach(long[] shape, java.util.function.BiConsumer<Long, Long> body) {
        long blocks = (shape[1] + 15) / 16, hw = shape[2] * shape[3];
        for (long n = 0; n < shape[0]; n++) for (long c = 0; c < shape[1]; c++) for (long s = 0; s < hw; s++) {
            long plain = (n * shape[1] + c) * hw + s;
            long blocked = ((n * blocks + c / 16) * hw + s) * 16 + c % 16;
            body.accept(plain, blocked);
        }
    }

    private static int[] ints(long[] v, int from) {
        int[] r = new int[v.length - from];
        for (int i = 0; i < r.length; i++) r[i] = (int) v[i + from];
        return r;
    }

    private static long[] k(long... v) {
        return v;
    }

    private static long[] s(long... v) {
        return v;
    }

    private static long[] p(long... v) {
        return v;
    }

    private static long[] d(long... v) {
        return v;
    }
}
