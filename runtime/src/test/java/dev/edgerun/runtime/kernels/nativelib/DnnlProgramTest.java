package dev.edgerun.runtime.kernels.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgerun.runtime.kernels.F32BinaryOp;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A program's slot sets a memory handle only when the run's address differs from the last one:
 * inputs and outputs that move between runs are still read and written where they are now, and
 * memory in a padded layout is recognized (its handle is set on every run).
 */
class DnnlProgramTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final int N = 37;

    @BeforeEach
    void needsOneDnn() {
        NativeLibraries.assumeAvailable(new OneDnnKernels());
    }

    @Test
    void movedInputsAndOutputsAreHonoured() {
        Dnnl dnnl = Dnnl.get();
        try (Arena arena = Arena.ofConfined()) {
            DnnlProgram copy = copyProgram(dnnl);
            MemorySegment x1 = random(arena, N, 1), x2 = random(arena, N, 2), y1 = arena.allocate(4L * N, 64),
                    y2 = arena.allocate(4L * N, 64);
            MemorySegment[][] runs = {{x1, y1}, {x1, y1}, {x2, y1}, {x2, y2}, {x1, y2}, {x1, y1}};
            for (MemorySegment[] run : runs) {
                run[1].fill((byte) 0);
                runOnce(copy, run[0], run[1]);
                assertEquals(-1, run[0].mismatch(run[1]), "the copy reads and writes the run's buffers");
            }
            x1.setAtIndex(F, 5, 123f); // same address, new contents
            runOnce(copy, x1, y1);
            assertEquals(123f, y1.getAtIndex(F, 5));
        }
    }

    @Test
    void aKernelReadsItsMovedOperands() {
        long[] s = {3, 17};
        String previous = System.setProperty(KernelSelection.PROPERTY, "onednn"); // small shapes take oneDNN too
        KernelSelection.resetDefaults();
        DnnlBinaryKernel k;
        try {
            k = DnnlBinaryKernel.create(F32BinaryOp.ADD, s, s, s, null).orElseThrow();
        } finally {
            if (previous == null) System.clearProperty(KernelSelection.PROPERTY);
            else System.setProperty(KernelSelection.PROPERTY, previous);
            KernelSelection.resetDefaults();
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment scratch = arena.allocate(Math.max(64, k.scratchBytes()), 64);
            for (int round = 0; round < 4; round++) {
                MemorySegment a = random(arena, 51, 10 + round), b = random(arena, 51, 20 + round), out = arena.allocate(4L * 51, 64);
                k.run(a, b, out, scratch, 1);
                for (int i = 0; i < 51; i++) {
                    assertEquals(a.getAtIndex(F, i) + b.getAtIndex(F, i), out.getAtIndex(F, i), 0f, "round " + round + ", element " + i);
                }
            }
        }
    }

    @Test
    void recognizesPaddedLayouts() {
        Dnnl dnnl = Dnnl.get();
        try (Arena arena = Arena.ofConfined()) {
            assertTrue(DnnlProgram.padded(dnnl.mdByTag(arena, new long[] {1, 3, 4, 4}, Dnnl.F32, Dnnl.TAG_NCHW16C)));
            assertTrue(DnnlProgram.padded(dnnl.mdByTag(arena, new long[] {1, 40, 2, 2}, Dnnl.F32, Dnnl.TAG_NCHW16C)));
            assertFalse(DnnlProgram.padded(dnnl.mdByTag(arena, new long[] {1, 32, 4, 4}, Dnnl.F32, Dnnl.TAG_NCHW16C)));
            assertFalse(DnnlProgram.padded(dnnl.mdByTag(arena, new long[] {1, 3, 4, 4}, Dnnl.F32, Dnnl.plainTag(4))));
            assertFalse(DnnlProgram.padded(dnnl.mdByTag(arena, new long[] {N}, Dnnl.F32, Dnnl.plainTag(1))));
        }
    }

    /** A one-step program copying N floats from buffer 0 to buffer 1 (a plain-to-plain reorder). */
    private static DnnlProgram copyProgram(Dnnl dnnl) {
        Arena owned = Arena.ofShared();
        MemorySegment md = dnnl.mdByTag(owned, new long[] {N}, Dnnl.F32, Dnnl.plainTag(1));
        long pd = dnnl.reorderDesc(md, md);
        long primitive = dnnl.primitiveCreate(pd);
        dnnl.primitiveDescDestroy(pd);
        return new DnnlProgram(dnnl, List.of(new DnnlProgram.Step(primitive, List.of(
                DnnlProgram.Arg.buffer(Dnnl.ARG_FROM, md, 0), DnnlProgram.Arg.buffer(Dnnl.ARG_TO, md, 1)))),
                2, 1, owned, List.of());
    }

    private static void runOnce(DnnlProgram program, MemorySegment x, MemorySegment y) {
        DnnlProgram.Slot slot = program.acquire();
        try {
            slot.address[0] = x.address();
            slot.address[1] = y.address();
            program.run(slot);
        } finally {
            program.release(slot);
        }
    }

    /** {@code n} random floats in new memory: each call's at another address. */
    private static MemorySegment random(Arena arena, int n, long seed) {
        MemorySegment s = arena.allocate(4L * n, 64);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) s.setAtIndex(F, i, r.nextFloat() * 4 - 2);
        return s;
    }
}
