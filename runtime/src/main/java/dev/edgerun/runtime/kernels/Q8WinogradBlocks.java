package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * How the 8-bit Winograd kernels ({@link Q8Winograd}, {@link Q8Winograd4x4}) hand one image's
 * blocks of tile rows to the threads: {@code min(chunks, blocks)} ranges over {@link Parallel#forRange},
 * range k taking blocks {@code [k*blocks/chunks, (k+1)*blocks/chunks)} with part k of the scratch,
 * or all of them on the calling thread when there is one range. The range body is reused across
 * calls ({@link Q8Reusable}), so a steady-state run allocates nothing.
 */
final class Q8WinogradBlocks {
    /** A kernel's work on blocks {@code [b0, b1)} of {@code blocks}, in part {@code chunk} of the scratch. */
    interface BlockRange {
        void run(int b0, int b1, int chunk, int blocks, MemorySegment x, long xOff, MemorySegment y, long yOff,
                 MemorySegment scratch);
    }

    private final BlockRange kernel;
    private final Q8Reusable<Chunks> splits = new Q8Reusable<>(Chunks::new);

    Q8WinogradBlocks(BlockRange kernel) {
        this.kernel = kernel;
    }

    /** One image's {@code blocks} blocks, input at byte {@code xOff} of x and output at {@code yOff} of y. */
    void image(int chunks, int blocks, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment scratch,
               Parallel par) {
        int ch = Math.min(chunks, blocks);
        if (ch <= 1) {
            kernel.run(0, blocks, 0, blocks, x, xOff, y, yOff, scratch);
            return;
        }
        Chunks body = splits.claim();
        body.set(ch, blocks, x, xOff, y, yOff, scratch);
        try {
            par.forRange(ch, body);
        } finally {
            body.set(0, 0, null, 0, null, 0, null);
            splits.release(body);
        }
    }

    private final class Chunks implements RunContext.RangeBody {
        private int chunks, blocks;
        private MemorySegment x, y, scratch;
        private long xOff, yOff;

        void set(int chunks, int blocks, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment scratch) {
            this.chunks = chunks;
            this.blocks = blocks;
            this.x = x;
            this.xOff = xOff;
            this.y = y;
            this.yOff = yOff;
            this.scratch = scratch;
        }

        @Override
        public void run(int from, int to) {
            for (int k = from; k < to; k++) {
                kernel.run(k * blocks / chunks, (k + 1) * blocks / chunks, k, blocks, x, xOff, y, yOff, scratch);
            }
        }
    }
}
