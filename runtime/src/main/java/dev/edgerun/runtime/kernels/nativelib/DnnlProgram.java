package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Arrays;
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
 *
 * <p>A slot remembers the address each of its memory objects points at and sets a handle only when
 * the run's address differs (in steady state the planned arena fixes them; an input bound by the
 * caller may move). Memory in a padded layout (blocks of 16 over fewer channels) is set on every
 * run, since dnnl_memory_set_data_handle also zeroes its padding, which primitives may read and
 * other users of the scratch memory may have overwritten. A set costs about 9 ns, a 16-float
 * reorder's execution 115 ns ({@code DnnlCallCostProbe}). {@code -Dedgerun.onednn.keepHandles=off}
 * sets every handle on every run.
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

    /** {@value #KEEP_HANDLES_PROPERTY}: {@code on} (default) or {@code off}, read once. */
    static final String KEEP_HANDLES_PROPERTY = "edgerun.onednn.keepHandles";
    private static final boolean KEEP_HANDLES = !System.getProperty(KEEP_HANDLES_PROPERTY, "on").trim().equals("off");
    /** The address no buffer has: a slot's memory objects start with it, so a first run sets every handle. */
    private static final long UNSET = -1;

    private final Dnnl dnnl;
    private final List<Step> steps;
    private final long[] primitives;
    private final int[][] bufferOf;     // per step, per arg: the buffer number, or < 0 for a fixed memory object
    private final boolean[][] resetEveryRun; // per step, per arg: a buffer whose handle is set on every run
    private final int buffers;
    private final int threads;
    private final AtomicReference<Slot> cached = new AtomicReference<>();
    private final Natives natives;
    private volatile DnnlThreadChoice timesTo; // null: runs are not timed

    /** Takes ownership of the primitives, the fixed (not the shared) memory objects and {@code arena} (which holds the descriptors). */
    DnnlProgram(Dnnl dnnl, List<Step> steps, int buffers, int threads, Arena arena, List<Long> extraMemories) {
        this.dnnl = dnnl;
        this.steps = List.copyOf(steps);
        this.primitives = new long[steps.size()];
        this.bufferOf = new int[steps.size()][];
        this.resetEveryRun = new boolean[steps.size()][];
        for (int s = 0; s < steps.size(); s++) {
            List<Arg> args = steps.get(s).args();
            primitives[s] = steps.get(s).primitive();
            bufferOf[s] = new int[args.size()];
            resetEveryRun[s] = new boolean[args.size()];
            for (int i = 0; i < args.size(); i++) {
                Arg a = args.get(i);
                bufferOf[s][i] = a.buffer();
                resetEveryRun[s][i] = a.buffer() >= 0 && (!KEEP_HANDLES || padded(a.md()));
            }
        }
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
        private final long[][] handles;  // per step, per arg: the address that memory object points at
        private final MemorySegment[] argArrays;
        private MemorySegment ownScratch = MemorySegment.NULL;

        private Slot() {
            stream = dnnl.streamCreate();
            synchronized (natives) {
                natives.streams.add(stream);
            }
            memories = new long[steps.size()][];
            handles = new long[steps.size()][];
            argArrays = new MemorySegment[steps.size()];
            for (int s = 0; s < steps.size(); s++) {
                List<Arg> args = steps.get(s).args();
                memories[s] = new long[args.size()];
                handles[s] = new long[args.size()];
                Arrays.fill(handles[s], UNSET);
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
        for (int s = 0; s < primitives.length; s++) {
            int[] buffer = bufferOf[s];
            for (int i = 0; i < buffer.length; i++) {
                if (buffer[i] >= 0) point(slot, s, i, slot.address[buffer[i]]);
            }
            dnnl.execute(primitives[s], slot.stream, buffer.length, slot.argArrays[s].address());
        }
        if (choice != null) choice.record(threads, System.nanoTime() - start);
    }

    /** Sets the handle of the slot's memory object for step {@code s}'s argument {@code i} to {@code address}, when needed. */
    private void point(Slot slot, int s, int i, long address) {
        if (address == slot.handles[s][i] && !resetEveryRun[s][i]) return;
        dnnl.memorySetHandle(slot.memories[s][i], address);
        slot.handles[s][i] = address;
    }

    /**
     * Whether memory of descriptor {@code md} has padding (padded dims beyond the dims) or a layout
     * other than blocked, read from dnnl_memory_desc_t of oneDNN 2.x: int ndims at 0, dims (12 int64)
     * at 8, padded_dims at 112, format_kind (int) at 312.
     */
    static boolean padded(MemorySegment md) {
        final int blocked = 2; // dnnl_blocked
        if (md.get(ValueLayout.JAVA_INT, 312) != blocked) return true;
        int ndims = md.get(ValueLayout.JAVA_INT, 0);
        for (int d = 0; d < ndims; d++) {
            if (md.get(ValueLayout.JAVA_LONG, 8 + 8L * d) != md.get(ValueLayout.JAVA_LONG, 112 + 8L * d)) return true;
        }
        return false;
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
