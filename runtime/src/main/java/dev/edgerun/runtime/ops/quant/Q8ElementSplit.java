package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.kernels.Q8Reusable;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.RunContext;

/**
 * The run of an element-wise 8-bit operator over {@code count} elements: on the calling thread, or
 * with several threads in chunks of {@value #CHUNK} elements through a range body that is reused
 * across runs ({@link Q8Reusable}), so a run allocates nothing.
 */
final class Q8ElementSplit {
    static final long CHUNK = 1 << 16;

    /** Elements {@code [from, to)} of one run. */
    interface Elements {
        void run(RunContext rc, long from, long to);
    }

    private Q8ElementSplit() {}

    static Kernel.Body body(NodeContext ctx, long count, Elements elements) {
        int parts = (int) ((count + CHUNK - 1) / CHUNK);
        if (ctx.threads() <= 1 || parts <= 1) return rc -> elements.run(rc, 0, count);
        Q8Reusable<Part> bodies = new Q8Reusable<>(() -> new Part(elements, count));
        return rc -> {
            Part part = bodies.claim();
            part.rc = rc;
            try {
                rc.parallelFor(parts, part);
            } finally {
                part.rc = null;
                bodies.release(part);
            }
        };
    }

    /** Chunks {@code [from, to)} of {@link #CHUNK} elements of one run. */
    private static final class Part implements RunContext.RangeBody {
        private final Elements elements;
        private final long count;
        RunContext rc;

        Part(Elements elements, long count) {
            this.elements = elements;
            this.count = count;
        }

        @Override
        public void run(int from, int to) {
            elements.run(rc, from * CHUNK, Math.min(count, to * CHUNK));
        }
    }
}
