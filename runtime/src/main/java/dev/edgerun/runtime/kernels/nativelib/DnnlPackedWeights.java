package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;

/**
 * The constant weights of one convolution, reordered once per layout oneDNN asks for and shared by
 * every kernel made for that convolution (one program per thread count, a kernel per planned
 * activation layout): each ResNet-18 convolution is built two to four times, and oneDNN's Winograd
 * weight transform took 7-45 ms per layer (1.15 s of a 1.5 s compile before this cache). The
 * memory objects are given to programs as shared arguments ({@link DnnlProgram.Arg#shared}), so no
 * program destroys them; they and their bytes are freed when no kernel refers to this any more.
 */
final class DnnlPackedWeights {
    private static final Cleaner CLEANER = Cleaner.create();
    private final Owned owned;

    DnnlPackedWeights(Dnnl dnnl) {
        owned = new Owned(dnnl, Arena.ofShared());
        CLEANER.register(this, owned);
    }

    /**
     * The memory object holding {@code data} (laid out as {@code from}) in layout {@code to},
     * reordered by {@code kernel} on the first request for that layout.
     */
    synchronized long memory(DnnlKernel kernel, MemorySegment from, MemorySegment to, MemorySegment data) {
        DnnlLayout layout = new DnnlLayout(owned.dnnl, to);
        int known = owned.layouts.indexOf(layout);
        if (known >= 0) return owned.memories.get(known);
        List<Long> made = new ArrayList<>(1);
        long memory = kernel.reorderConstant(owned.arena, from, to, data, made);
        owned.layouts.add(layout);
        owned.memories.add(memory);
        return memory;
    }

    /** The native objects to free; must not refer to the cache itself. */
    private static final class Owned implements Runnable {
        final Dnnl dnnl;
        final Arena arena;
        final List<DnnlLayout> layouts = new ArrayList<>();
        final List<Long> memories = new ArrayList<>();

        Owned(Dnnl dnnl, Arena arena) {
            this.dnnl = dnnl;
            this.arena = arena;
        }

        @Override
        public void run() {
            for (long m : memories) dnnl.memoryDestroy(m);
            arena.close();
        }
    }
}
