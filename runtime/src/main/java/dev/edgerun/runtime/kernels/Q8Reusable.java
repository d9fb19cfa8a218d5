package dev.edgerun.runtime.kernels;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The per-call object of a kernel that splits its work over threads (a range body whose fields a
 * call sets before handing it to {@link Parallel#forRange}), kept for the next call: a call
 * {@link #claim()}s the idle one, or creates its own when another call holds it (two runs of one
 * session at once), and {@link #release}s it when done. A capturing lambda per call would put one
 * object on the heap per split call; this way a session's steady-state runs allocate nothing.
 */
public final class Q8Reusable<T> {
    private final AtomicReference<T> idle = new AtomicReference<>();
    private final Supplier<T> create;

    public Q8Reusable(Supplier<T> create) {
        this.create = create;
    }

    /** The idle object, or a new one while another call holds it. */
    public T claim() {
        T t = idle.getAndSet(null);
        return t != null ? t : create.get();
    }

    /** Hands {@code t} back for the next call; the caller has cleared its per-call fields. */
    public void release(T t) {
        idle.set(t);
    }
}
