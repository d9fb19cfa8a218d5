package dev.edgerun.runtime;

import java.lang.foreign.Arena;
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
 * <p>An engine may place several outputs in one arena that the result owns (one free per run
 * instead of one per tensor): those tensors borrow the arena and are valid until the result is
 * closed. {@link #detach} hands such a tensor over as an owned copy, so a detached tensor always
 * outlives the result.
 */
public final class RunResult implements AutoCloseable, Iterable<Map.Entry<String, Tensor>> {
    private final Map<String, Tensor> outputs;
    private final Arena arena;   // holds the memory of borrowed outputs; null when every output owns its memory
    private boolean closed;

    public RunResult(Map<String, Tensor> outputs) {
        this(outputs, null);
    }

    /**
     * A result whose tensors may borrow memory of {@code arena} (null for none); the result closes
     * the arena after the tensors.
     */
    public RunResult(Map<String, Tensor> outputs, Arena arena) {
        this.outputs = new LinkedHashMap<>(outputs);
        this.arena = arena;
    }

    /** The output called {@code name}; lists the valid names when there is none. */
    public Tensor get(String name) {
        checkOpen();
        Tensor t = outputs.get(name);
        if (t == null) {
            throw new NoSuchElementException("no output '" + name + "'; outputs are " + outputs.keySet());
        }
        return t;
    }

    /** The {@code index}-th output in model order. */
    public Tensor get(int index) {
        checkOpen();
        return List.copyOf(outputs.values()).get(index);
    }

    public List<String> names() {
        return List.copyOf(outputs.keySet());
    }

    public int size() {
        return outputs.size();
    }

    /**
     * Removes an output from this result; the caller now owns (and closes) it. A tensor borrowing
     * this result's arena is handed over as an owned copy, valid after the result is closed.
     */
    public Tensor detach(String name) {
        Tensor t = get(name);
        Tensor owned = arena != null && !t.ownsMemory() ? t.copy() : t;
        outputs.remove(name);
        return owned;
    }

    public Map<String, Tensor> asMap() {
        checkOpen();
        return Collections.unmodifiableMap(outputs);
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
        for (Tensor t : outputs.values()) t.close();
        if (arena != null) arena.close();
    }
}
