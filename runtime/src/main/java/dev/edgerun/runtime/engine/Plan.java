package dev.edgerun.runtime.engine;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A graph planned for one input signature: the steps to run, constants folded, and one arena
 * layout by liveness. Immutable once made, so concurrent runs share it; each run takes a
 * {@link Frame} (arena + views) from the plan's pool and gives it back.
 */
final class Plan implements AutoCloseable {
    static final byte UNKNOWN = 0;   // not planned (an unsupported node upstream)
    static final byte INPUT = 1;     // fed by the caller or read from an enclosing graph
    static final byte CONSTANT = 2;  // initializer or folded value
    static final byte ARENA = 3;     // planned buffer in the arena
    static final byte STRINGS = 4;   // planned STRING tensor (heap), one per frame
    static final byte DYNAMIC = 5;   // made while running (shape depends on data, sequences)

    final GraphProgram program;
    final ExecEnv env;
    final ValueType[] signature;     // inputs then captured values, in program order
    final Step[] steps;
    final byte[] slotKind;
    final Object[] constants;        // per slot: the constant value, else null (the template of a frame's values)
    final int[] arenaSlots;
    final long[] arenaOffsets;
    final ValueType.TensorType[] arenaTypes;
    final int[] stringSlots;
    final Shape[] stringShapes;
    final int[] clearSlots;          // slots reset after each run: inputs, captured and dynamic values
    final long arenaBytes;           // activations + scratch, after reuse
    final long unsharedBytes;        // the same buffers without reuse, for comparison
    final int foldedNodes;
    final int aliasedNodes;          // nodes whose output is a view of their input's buffer (no step)
    final long[] internalBytes;      // per slot: buffer bytes in a native library's internal layout, 0 when dense
    private final List<AutoCloseable> owned;

    /** Idle frames kept for reuse besides {@link #hot}; frames beyond this (after a burst of concurrent runs) are freed. */
    private static final int MAX_IDLE_FRAMES = Math.max(2, Runtime.getRuntime().availableProcessors());
    private static final VarHandle HOT;

    static {
        try {
            HOT = MethodHandles.lookup().findVarHandle(Plan.class, "hot", Frame.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The idle frame a run takes and gives back with one atomic operation each, no lock: one
     * caller after another (the usual case) always finds it. Concurrent runs take the others from
     * {@link #idle} under this plan's lock.
     */
    @SuppressWarnings("unused")   // accessed through HOT
    private volatile Frame hot;
    private volatile boolean retired;
    private final ArrayDeque<Frame> idle = new ArrayDeque<>();   // guarded by this
    private int framesMade;                                      // guarded by this
    private int framesClosed;                                    // guarded by this
    private boolean freed;                                       // guarded by this

    Plan(GraphProgram program, ValueType[] signature, Step[] steps, byte[] slotKind, Object[] constants,
         int[] arenaSlots, long[] arenaOffsets, ValueType.TensorType[] arenaTypes, int[] stringSlots,
         Shape[] stringShapes, int[] clearSlots, long arenaBytes, long unsharedBytes, int foldedNodes,
         int aliasedNodes, long[] internalBytes, List<AutoCloseable> owned) {
        this.program = program;
        this.env = program.env;
        this.signature = signature;
        this.steps = steps;
        this.slotKind = slotKind;
        this.constants = constants;
        this.arenaSlots = arenaSlots;
        this.arenaOffsets = arenaOffsets;
        this.arenaTypes = arenaTypes;
        this.stringSlots = stringSlots;
        this.stringShapes = stringShapes;
        this.clearSlots = clearSlots;
        this.arenaBytes = arenaBytes;
        this.unsharedBytes = unsharedBytes;
        this.foldedNodes = foldedNodes;
        this.aliasedNodes = aliasedNodes;
        this.internalBytes = internalBytes;
        this.owned = owned;
    }

    boolean isPlannedBuffer(int slot) {
        return slot < slotKind.length && (slotKind[slot] == ARENA || slotKind[slot] == STRINGS);
    }

    int dynamicSteps() {
        int n = 0;
        for (Step s : steps) if (s.isDynamic()) n++;
        return n;
    }

    /**
     * The plan as text, one line per step: what runs, its outputs, where they live in the arena.
     * For debugging and {@code edgerun inspect --plan}.
     */
    String explain() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("plan for %s: %d steps (%d prepared at run time), %d nodes folded, %d made views,"
                        + " arena %d bytes (%d without reuse)%n", java.util.Arrays.toString(signature), steps.length,
                dynamicSteps(), foldedNodes, aliasedNodes, arenaBytes, unsharedBytes));
        for (int i = 0; i < steps.length; i++) {
            Step s = steps[i];
            b.append(String.format("%4d %s%s ->", i, s.label, s.isDynamic() ? " [run-time]" : ""));
            for (int slot : s.out) b.append(' ').append(describeSlot(slot));
            if (s.scratchBytes > 0) b.append(String.format(" scratch %d@%d", s.scratchBytes, s.scratchOffset));
            b.append('\n');
        }
        return b.toString();
    }

    private String describeSlot(int slot) {
        String name = slot < program.slotCount() ? program.slotNames.get(slot) : "(extra output)";
        if (name.startsWith("\u0000")) name = "(unused)";
        return switch (slotKind[slot]) {
            case ARENA -> {
                int i = java.util.Arrays.binarySearch(arenaSlots, slot);
                String internal = internalBytes[slot] > 0 ? " [internal layout, " + internalBytes[slot] + " bytes]" : "";
                yield name + ":" + arenaTypes[i] + "@" + arenaOffsets[i] + internal;
            }
            case STRINGS -> name + ":string";
            case DYNAMIC -> name + ":dynamic";
            default -> name;
        };
    }

    /** Whether the caller's tensors (in program input order) have exactly this plan's input types. */
    boolean matches(Tensor[] inputs) {
        for (int i = 0; i < inputs.length; i++) {
            ValueType.TensorType t = (ValueType.TensorType) signature[i];
            if (t.dtype() != inputs[i].dtype() || !t.shape().sameDims(inputs[i].shape())) return false;
        }
        return true;
    }

    /**
     * A frame for one run, to give back with {@link #release}; null when the plan was discarded
     * meanwhile (evicted from a plan cache, or its session closed): the caller looks the plan up again.
     * A frame taken just before {@link #close} stays valid: the plan's kernels are freed only once
     * every frame it made is closed.
     */
    Frame acquire() {
        if (retired) return null;
        Frame f = (Frame) HOT.getAndSet(this, (Frame) null);
        return f != null ? f : acquireSlowly();
    }

    private Frame acquireSlowly() {
        synchronized (this) {
            if (retired) return null;
            Frame f = idle.pollFirst();
            if (f != null) return f;
            framesMade++;
        }
        try {
            return new Frame(this);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                framesMade--;
            }
            if (retired) freeIfUnused();
            throw e;
        }
    }

    void release(Frame f) {
        f.reset();
        if (!retired && HOT.compareAndSet(this, (Frame) null, f)) {
            // close() sets retired before it empties the slot: if it ran meanwhile, one of us closes f
            if (retired && HOT.compareAndSet(this, f, (Frame) null)) closeFrame(f);
            return;
        }
        synchronized (this) {
            if (!retired && idle.size() < MAX_IDLE_FRAMES) {
                idle.addFirst(f);
                return;
            }
        }
        closeFrame(f);
    }

    /** Discards the plan: frees it now, or when the last run using it ends. */
    @Override
    public void close() {
        List<Frame> frames;
        synchronized (this) {
            if (retired) return;
            retired = true;
            frames = new ArrayList<>(idle);
            idle.clear();
            Frame h = (Frame) HOT.getAndSet(this, (Frame) null);
            if (h != null) frames.add(h);
        }
        for (Frame f : frames) closeFrame(f);
        freeIfUnused();
    }

    /** Closes a frame this plan made; the last one of a retired plan frees the plan. */
    private void closeFrame(Frame f) {
        try {
            f.close();
        } finally {
            synchronized (this) {
                framesClosed++;
            }
            if (retired) freeIfUnused();
        }
    }

    private void freeIfUnused() {
        synchronized (this) {
            if (framesClosed < framesMade || freed) return;
            freed = true;
        }
        closeAll(owned);
    }

    static void closeAll(List<? extends AutoCloseable> resources) {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) first = new IllegalStateException("closing " + r + " failed", e);
            }
        }
        if (first != null) throw first;
    }
}
