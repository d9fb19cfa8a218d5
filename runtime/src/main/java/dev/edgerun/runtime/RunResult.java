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
 */
public final class RunResult implements AutoCloseable, Iterable<Map.Entry<String, Tensor>> {
    private final Map<String, Tensor> outputs;
    private boolean closed;

    public RunResult(Map<String, Tensor> outputs) {
        this.outputs = new LinkedHashMap<>(outputs);
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

    /** Removes an output from this result; the caller now owns (and closes) it. */
    public Tensor detach(String name) {
        Tensor t = get(name);
        outputs.remove(name);
        return t;
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
    }
}
