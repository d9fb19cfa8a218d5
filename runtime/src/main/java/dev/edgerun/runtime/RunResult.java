package dev.edgerun.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * The outputs of one {@link Session#run}, by name in model order. It owns the tensors and closes
 * them together; {@link #detach(String)} hands one over to the caller.
 *
 * <p>An engine may place several outputs in one block of memory that the result holds (one
 * free, or one return to the engine's pool, per run instead of one per tensor): those tensors
 * borrow the block and are valid until the result is closed; a segment kept from
 * {@link Tensor#data()} must not be used after that. {@link #detach} hands such a tensor over as an owned copy, so a detached tensor always
 * outlives the result.
 */
public final class RunResult implements AutoCloseable, Iterable<Map.Entry<String, Tensor>> {
    // Outputs in model order; a detached output's slot is null. Arrays rather than a map: a small
    // model's run makes one result per call, and a map (table, entries, copy) cost more than its outputs.
    private final String[] names;
    private final Tensor[] tensors;
    private final AutoCloseable memory;   // holds the memory of borrowed outputs; null when every output owns its memory
    private boolean closed;

    public RunResult(Map<String, Tensor> outputs) {
        this(outputs, null);
    }

    /**
     * A result whose tensors may borrow memory held by {@code memory} (an arena, or a block the
     * engine reuses; null for none); the result closes it after the tensors.
     */
    public RunResult(Map<String, Tensor> outputs, AutoCloseable memory) {
        this(outputs.keySet().toArray(new String[0]), outputs.values().toArray(new Tensor[0]), memory);
    }

    /**
     * A result over {@code names[i] -> tensors[i]} in model order (distinct names), taking the
     * arrays as they are: {@code tensors} is handed over (the caller does not touch it again),
     * {@code names} is only read, so an engine may pass the same array to every result. For
     * engines that make one result per run; {@code memory} as in {@link #RunResult(Map, AutoCloseable)}.
     */
    public RunResult(String[] names, Tensor[] tensors, AutoCloseable memory) {
        if (names.length != tensors.length) {
            throw new IllegalArgumentException(names.length + " names for " + tensors.length + " tensors");
        }
        this.names = names;
        this.tensors = tensors;
        this.memory = memory;
    }

    /** The output called {@code name}; lists the valid names when there is none. */
    public Tensor get(String name) {
        checkOpen();
        int i = indexOf(name);
        if (i < 0) throw new NoSuchElementException("no output '" + name + "'; outputs are " + names());
        return tensors[i];
    }

    private int indexOf(String name) {
        for (int i = 0; i < names.length; i++) {
            if (tensors[i] != null && names[i].equals(name)) return i;
        }
        return -1;
    }

    /** The {@code index}-th output in model order. */
    public Tensor get(int index) {
        checkOpen();
        int seen = 0;
        for (Tensor t : tensors) {
            if (t != null && seen++ == index) return t;
        }
        throw new IndexOutOfBoundsException("output index " + index + " out of range for " + size() + " outputs");
    }

    public List<String> names() {
        List<String> r = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) if (tensors[i] != null) r.add(names[i]);
        return List.copyOf(r);
    }

    public int size() {
        int n = 0;
        for (Tensor t : tensors) if (t != null) n++;
        return n;
    }

    /**
     * Removes an output from this result; the caller now owns (and closes) it. A tensor borrowing
     * this result's arena is handed over as an owned copy, valid after the result is closed.
     */
    public Tensor detach(String name) {
        Tensor t = get(name);
        Tensor owned = memory != null && !t.ownsMemory() ? t.copy() : t;
        tensors[indexOf(name)] = null;
        return owned;
    }

    /** The outputs by name in model order, as they are now (outputs detached later stay in it). */
    public Map<String, Tensor> asMap() {
        checkOpen();
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) if (tensors[i] != null) m.put(names[i], tensors[i]);
        return Collections.unmodifiableMap(m);
    }

    @Override
    public Iterator<Map.Entry<String, Tensor>> iterator() {
        return asMap().entrySet().iterator();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("run result is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Tensor t : tensors) if (t != null) t.close();
        if (memory == null) return;
        try {
            memory.close();
        } catch (Exception e) {
            throw new EdgerunException("freeing the memory of a run result failed: " + e, e);
        }
    }
}
