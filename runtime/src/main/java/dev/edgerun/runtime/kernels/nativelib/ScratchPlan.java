package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.MemorySegment;

/**
 * Where a {@link DnnlProgram}'s scratch buffers (oneDNN's scratchpad, activations in a blocked
 * layout) lie in the engine's scratch memory: 64-byte aligned offsets, assigned per run.
 */
final class ScratchPlan {
    private static final int MAX_BUFFERS = 8;
    private final long[] offset = new long[MAX_BUFFERS];
    private final boolean[] used = new boolean[MAX_BUFFERS];
    private long total;

    /** Reserves {@code bytes} for buffer number {@code buffer}; nothing when {@code bytes} is 0. */
    void add(int buffer, long bytes) {
        if (bytes <= 0) return;
        offset[buffer] = total;
        used[buffer] = true;
        total += (bytes + 63) & ~63L;
    }

    /** Bytes to ask the engine for: the buffers plus room to align their start to 64 bytes. */
    long total() {
        return total == 0 ? 0 : total + 63;
    }

    /** Points the slot's scratch buffers into {@code scratch}, or into slot-owned memory when it is too small. */
    void assign(DnnlProgram.Slot slot, MemorySegment scratch) {
        if (total == 0) return;
        long base = scratch != null && scratch.isNative() && scratch.byteSize() >= total()
                ? (scratch.address() + 63) & ~63L
                : slot.ownScratch(total);
        for (int b = 0; b < MAX_BUFFERS; b++) if (used[b]) slot.address[b] = base + offset[b];
    }
}
