package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.ActivationEpilogue;
import dev.edgerun.runtime.kernels.F32BinaryOp;
import dev.edgerun.runtime.kernels.F32UnaryOp;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * oneDNN's binary primitive against the scalar reference ({@link F32BinaryOp#apply} then
 * {@link F32UnaryOp#apply}) on equal shapes and the broadcasts of operand 1 it takes, with and
 * without a fused activation. oneDNN is forced, so that small shapes take it too.
 */
class DnnlBinaryKernelTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final List<F32BinaryOp> OPS = List.of(F32BinaryOp.ADD, F32BinaryOp.SUB, F32BinaryOp.MUL, F32BinaryOp.DIV);
    private static final List<ActivationEpilogue> ACTIVATIONS = Arrays.asList(null,
            new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f),
            new ActivationEpilogue(F32UnaryOp.CLIP, -0.5f, 0.75f),
            new ActivationEpilogue(F32UnaryOp.LEAKY_RELU, 0.1f, 0f),
            new ActivationEpilogue(F32UnaryOp.SIGMOID, 0f, 0f));

    private String previous;

    @BeforeEach
    void forceOneDnn() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
        previous = System.setProperty(KernelSelection.PROPERTY, "onednn");
        KernelSelection.resetDefaults();
    }

    @AfterEach
    void restoreDefaults() {
        if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
        else System.setProperty(KernelSelection.PROPERTY, previous);
        KernelSelection.resetDefaults();
    }

    @Test
    void equalShapesMatchTheReference() {
        long[][] shapes = {{7}, {3, 4, 5}, {1, 32, 14, 14}, {2, 16, 3, 3, 2}};
        for (long[] s : shapes) for (F32BinaryOp op : OPS) for (ActivationEpilogue act : ACTIVATIONS) check(op, s, s, act);
    }

    @Test
    void broadcastsOfOperandOneMatchTheReference() {
        long[] out = {2, 3, 4, 5};
        // ({4, 1} is missing: oneDNN 2.6 has only its reference implementation for it, which create declines)
        long[][] operands = {{5}, {1, 3, 1, 1}, {3, 1, 1}, {1}, {}, {2, 1, 4, 5}, {1, 1, 1, 5}, {2, 3, 1, 1}, {1, 3, 4, 5}};
        for (long[] b : operands) for (F32BinaryOp op : OPS) for (ActivationEpilogue act : ACTIVATIONS) check(op, out, b, act);
        check(F32BinaryOp.ADD, new long[] {1, 8, 128}, new long[] {128}, null);   // a transformer's bias
    }

    @Test
    void writesInPlaceOverOperandZero() {
        long[] s = {4, 33};
        DnnlBinaryKernel k = DnnlBinaryKernel.create(F32BinaryOp.ADD, s, s, s, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f))
                .orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = random(arena, 132, 1), b = random(arena, 132, 2);
            float[] expected = new float[132];
            for (int i = 0; i < 132; i++) expected[i] = Math.max(0f, a.getAtIndex(F, i) + b.getAtIndex(F, i));
            k.run(a, b, a, scratch(arena, k), 1);
            for (int i = 0; i < 132; i++) assertEquals(expected[i], a.getAtIndex(F, i), 0f, "element " + i);
        }
    }

    @Test
    void declinesWhatItCannotRun() {
        long[] out = {2, 3, 4};
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.PRELU, out, out, out, null).isEmpty(), "PRelu is no binary algorithm");
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.ADD, new long[] {3, 4}, out, out, null).isEmpty(), "operand 0 broadcasts");
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.ADD, out, new long[] {3, 2}, out, null).isEmpty(), "2 does not broadcast to 4");
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.ADD, out, new long[] {1, 2, 3, 4}, out, null).isEmpty(), "higher rank");
        long[] empty = {2, 0, 4};
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.ADD, empty, empty, empty, null).isEmpty(), "no elements");
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.ADD, out, out, out, new ActivationEpilogue(F32UnaryOp.TANH, 0f, 0f))
                .isEmpty(), "Tanh: no post-op of DnnlEltwise");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment heap = MemorySegment.ofArray(new float[24]), native24 = arena.allocate(96);
            assertFalse(DnnlBinaryKernel.accepts(heap, native24, native24), "tensors on the Java heap run the Java kernel");
        }
    }

    @Test
    void automaticSelectionKeepsSmallTensorsInJava() {
        long big = NativeKernelRules.BINARY_MIN_ELEMENTS;
        assertTrue(NativeKernelRules.oneDnnBinary(F32BinaryOp.ADD, big));
        assertFalse(NativeKernelRules.oneDnnBinary(F32BinaryOp.ADD, big - 1));
        assertFalse(NativeKernelRules.oneDnnBinary(F32BinaryOp.PRELU, 1 << 20));
    }

    /** Why create never takes Max or Min: ONNX's Max of NaN and 1 is NaN (Math.max), oneDNN's is 1. */
    @Test
    void oneDnnMaxDropsNaN() {
        long[] s = {16};
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.MAX, s, s, s, null).isEmpty(), "Max, even forced");
        assertTrue(DnnlBinaryKernel.create(F32BinaryOp.MIN, s, s, s, null).isEmpty(), "Min, even forced");
        DnnlBinaryKernel k = DnnlBinaryKernel.build(F32BinaryOp.MAX, s, s, null);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(64, 64), b = arena.allocate(64, 64), o = arena.allocate(64, 64);
            for (int i = 0; i < 16; i++) {
                a.setAtIndex(F, i, Float.NaN);
                b.setAtIndex(F, i, 1f);
            }
            k.run(a, b, o, scratch(arena, k), 1);
            assertTrue(Float.isNaN(F32BinaryOp.MAX.apply(Float.NaN, 1f)));
            assertEquals(1f, o.getAtIndex(F, 0), "oneDNN's max(NaN, 1)");
        }
    }

    @Test
    void largeTensorsRunOnTwoThreads() {
        long[] s = {1, 64, 64, 64}; // 262144 elements: threadsFor allows 2
        for (int run = 0; run < 3; run++) check(F32BinaryOp.ADD, s, s, new ActivationEpilogue(F32UnaryOp.RELU, 0f, 0f), 2);
        check(F32BinaryOp.MUL, s, new long[] {64, 1, 1}, null, 2);
    }

    private static void check(F32BinaryOp op, long[] out, long[] b, ActivationEpilogue act) {
        check(op, out, b, act, 1);
    }

    private static void check(F32BinaryOp op, long[] out, long[] b, ActivationEpilogue act, int threads) {
        String what = op + " " + Arrays.toString(out) + " by " + Arrays.toString(b) + (act == null ? "" : " then " + act.op());
        DnnlBinaryKernel k = DnnlBinaryKernel.create(op, out, b, out, act).orElseThrow(() -> new AssertionError("declined " + what));
        int n = (int) count(out), m = (int) count(b);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = random(arena, n, 11), y = random(arena, m, 12), z = arena.allocate(4L * n, 64);
            k.run(x, y, z, scratch(arena, k), threads);
            long[] bAligned = new long[out.length];
            Arrays.fill(bAligned, 1);
            System.arraycopy(b, 0, bAligned, out.length - b.length, b.length);
            for (int i = 0; i < n; i++) {
                float v = op.apply(x.getAtIndex(F, i), y.getAtIndex(F, broadcastIndex(i, out, bAligned)));
                float expected = act == null ? v : act.op().apply(v, act.p(), act.q());
                float tolerance = act != null && act.op() == F32UnaryOp.SIGMOID ? 1e-6f : 0f;
                assertEquals(expected, z.getAtIndex(F, i), tolerance, what + " element " + i + " (" + k + ")");
            }
        }
    }

    /** The index in operand 1 (dims {@code b}, each equal to out's or 1) read for output element {@code i}. */
    private static long broadcastIndex(long i, long[] out, long[] b) {
        long index = 0, stride = 1;
        for (int d = out.length - 1; d >= 0; d--) {
            long coordinate = i % out[d];
            i /= out[d];
            if (b[d] != 1) index += coordinate * stride;
            stride *= b[d];
        }
        return index;
    }

    private static MemorySegment random(Arena arena, int n, long seed) {
        MemorySegment s = arena.allocate(4L * Math.max(n, 1), 64);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) s.setAtIndex(F, i, r.nextFloat() * 4 - 2 + (i % 7 == 0 ? 0.5f : 0f));
        return s;
    }

    private static MemorySegment scratch(Arena arena, DnnlBinaryKernel k) {
        return arena.allocate(Math.max(64, k.scratchBytes()), 64);
    }

    private static long count(long[] dims) {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }
}
