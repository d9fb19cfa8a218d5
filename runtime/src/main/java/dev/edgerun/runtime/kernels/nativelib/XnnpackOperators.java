package dev.edgerun.runtime.kernels.nativelib;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * XNNPACK operators of one kernel. An operator remembers the buffers of its last setup, so
 * concurrent runs each need their own: one cached operator is reused (steady-state runs create
 * nothing) and a run that finds it taken creates another. All are deleted when the owner is
 * unreachable.
 */
final class XnnpackOperators {
    private static final Cleaner CLEANER = Cleaner.create();

    private final LongSupplier create;
    private final AtomicLong cached = new AtomicLong(); // 0: taken (an operator is never NULL); a long, so no boxing per run
    private final Created created;

    XnnpackOperators(Object owner, Xnnpack xnn, LongSupplier create) {
        this.create = create;
        this.created = new Created(xnn);
        cached.set(newOperator());
        CLEANER.register(owner, created);
    }

    private long newOperator() {
        long op = create.getAsLong();
        synchronized (created) {
            created.ops.add(op);
        }
        return op;
    }

    long acquire() {
        long op = cached.getAndSet(0);
        return op != 0 ? op : newOperator();
    }

    void release(long op) {
        cached.compareAndSet(0, op);
    }

    private static final class Created implements Runnable {
        final Xnnpack xnn;
        final List<Long> ops = new ArrayList<>();

        Created(Xnnpack xnn) {
            this.xnn = xnn;
        }

        @Override
        public synchronized void run() {
            for (long op : ops) xnn.delete(op);
        }
    }
}
