package dev.edgerun.runtime;

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
    private final Map<String, Tensor> outputs;
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
        this.outputs = new LinkedHashMap<>(outputs);
        this.memory = memory;
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
        Tensor owned = memory != null && !t.ownsMemory() ? t.copy() : t;
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
        if (memory == null) return;
        try {
            memory.close();
        } catch (Exception e) {
            throw new EdgerunException("freeing the memory of a run result failed: " + e, e);
        }
    }
}
