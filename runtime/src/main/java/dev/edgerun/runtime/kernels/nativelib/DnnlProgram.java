package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A sequence of oneDNN primitives (for example reorder in, convolution, reorder out) run one
 * after the other on buffers given per run. Each argument is either fixed (a memory object made
 * once, such as reordered weights) or a numbered buffer whose address the caller sets per run.
 *
 * <p>Per-run state (a stream, memory objects for the numbered buffers, the argument arrays) lives
 * in a {@link Slot}; one cached slot is reused, so a steady-state run allocates nothing, and
 * concurrent runs of one program each get their own. Native objects are destroyed when the
 * program becomes unreachable.
 */
final class DnnlProgram {
    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * One argument: {@code buffer >= 0} is a per-run buffer number, else {@code fixedMemory} is used,
     * owned by the program ({@link #FIXED}) or by someone else ({@link #SHARED}).
     */
    record Arg(int id, MemorySegment md, int buffer, long fixedMemory) {
        static final int FIXED = -1, SHARED = -2;

        static Arg buffer(int id, MemorySegment md, int buffer) {
            return new Arg(id, md, buffer, 0);
        }

        /** A memory object the program takes ownership of. */
        static Arg fixed(int id, long memory) {
            return new Arg(id, null, FIXED, memory);
        }

        /** A memory object owned elsewhere (such as {@link DnnlPackedWeights}), never destroyed by the program. */
        static Arg shared(int id, long memory) {
            return new Arg(id, null, SHARED, memory);
        }
    }

    record Step(long primitive, List<Arg> args) { }

    private final Dnnl dnnl;
    private final List<Step> steps;
    private final int buffers;
    private final int threads;
    private final AtomicReference<Slot> cached = new AtomicReference<>();
    private final Natives natives;
    private volatile DnnlThreadChoice timesTo; // null: runs are not timed

    /** Takes ownership of the primitives, the fixed (not the shared) memory objects and {@code arena} (which holds the descriptors). */
    DnnlProgram(Dnnl dnnl, List<Step> steps, int buffers, int threads, Arena arena, List<Long> extraMemories) {
        this.dnnl = dnnl;
        this.steps = List.copyOf(steps);
        this.buffers = buffers;
        this.threads = threads;
        this.natives = new Natives(dnnl, arena);
        for (Step s : steps) {
            natives.primitives.add(s.primitive());
            for (Arg a : s.args()) if (a.buffer() == Arg.FIXED) natives.memories.add(a.fixedMemory());
        }
        natives.memories.addAll(extraMemories);
        CLEANER.register(this, natives);
    }

    int threads() {
        return threads;
    }

    /** Reports the time of every later run to {@code choice} (nullable: no more timing). */
    void reportTo(DnnlThreadChoice choice) {
        timesTo = choice;
    }

    /** Per-run state; fill {@link #address} and pass it to {@link #run}. */
    final class Slot {
        final long[] address = new long[buffers];
        private final long stream;
        private final long[][] memories; // per step, per arg: the memory object whose handle is set per run
        private final MemorySegment[] argArrays;
        private MemorySegment ownScratch = MemorySegment.NULL;

        private Slot() {
            stream = dnnl.streamCreate();
            synchronized (natives) {
                natives.streams.add(stream);
            }
            memories = new long[steps.size()][];
            argArrays = new MemorySegment[steps.size()];
            for (int s = 0; s < steps.size(); s++) {
                List<Arg> args = steps.get(s).args();
                memories[s] = new long[args.size()];
                argArrays[s] = natives.arena.allocate(16L * args.size(), 8);
                for (int i = 0; i < args.size(); i++) {
                    Arg a = args.get(i);
                    long mem = a.buffer() >= 0 ? dnnl.memoryCreate(a.md(), 0) : a.fixedMemory();
                    if (a.buffer() >= 0) {
                        memories[s][i] = mem;
                        synchronized (natives) {
                            natives.memories.add(mem);
                        }
                    }
                    argArrays[s].set(ValueLayout.JAVA_INT, 16L * i, a.id());
                    argArrays[s].set(ValueLayout.JAVA_LONG, 16L * i + 8, mem);
                }
            }
        }

        /** Scratch owned by this slot, for runs whose planned scratch is too small (a thread count built late). */
        long ownScratch(long bytes) {
            if (ownScratch.byteSize() < bytes) ownScratch = natives.arena.allocate(bytes, 64);
            return ownScratch.address();
        }
    }

    /** A slot for one run: the cached one when free. Return it with {@link #release}. */
    Slot acquire() {
        Slot s = cached.getAndSet(null);
        return s != null ? s : new Slot();
    }

    void release(Slot slot) {
        cached.compareAndSet(null, slot); // a surplus slot's natives are freed with the program
    }

    /** Runs every step with the slot's buffer addresses on the calling thread's OpenMP team of {@link #threads}. */
    void run(Slot slot) {
        DnnlThreadChoice choice = timesTo;
        if (choice != null && !choice.sampling()) choice = null;
        long start = choice == null ? 0 : System.nanoTime();
        dnnl.setThreads(threads);
        for (int s = 0; s < steps.size(); s++) {
            List<Arg> args = steps.get(s).args();
            for (int i = 0; i < args.size(); i++) {
                int b = args.get(i).buffer();
                if (b >= 0) dnnl.memorySetHandle(slot.memories[s][i], slot.address[b]);
            }
            dnnl.execute(steps.get(s).primitive(), slot.stream, args.size(), slot.argArrays[s].address());
        }
        if (choice != null) choice.record(threads, System.nanoTime() - start);
    }

    /** The native objects to destroy; must not refer to the program itself. */
    private static final class Natives implements Runnable {
        final Dnnl dnnl;
        final Arena arena;
        final List<Long> primitives = new ArrayList<>();
        final List<Long> memories = new ArrayList<>();
        final List<Long> streams = new ArrayList<>();

        Natives(Dnnl dnnl, Arena arena) {
            this.dnnl = dnnl;
            this.arena = arena;
        }

        @Override
        public synchronized void run() {
            for (long p : primitives) dnnl.primitiveDestroy(p);
            for (long m : memories) dnnl.memoryDestroy(m);
            for (long s : streams) dnnl.streamDestroy(s);
            arena.close();
        }
    }
}
