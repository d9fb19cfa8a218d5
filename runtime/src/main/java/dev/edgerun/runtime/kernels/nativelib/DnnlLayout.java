package dev.edgerun.runtime.kernels.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A oneDNN memory descriptor as an activation layout token: equal exactly when oneDNN says the
 * descriptors are equal, so a tensor written in one can be read as the other. Its descriptor lives
 * in an automatic arena, freed with the last kernel that refers to it.
 */
final class DnnlLayout {
    private final Dnnl dnnl;
    private final MemorySegment md;
    private final long bytes;

    DnnlLayout(Dnnl dnnl, MemorySegment md) {
        this.dnnl = dnnl;
        this.md = Arena.ofAuto().allocate(Dnnl.MD_BYTES, 8).copyFrom(md);
        this.bytes = dnnl.mdSize(md);
    }

    /** A copy of the descriptor in {@code arena}. */
    MemorySegment md(Arena arena) {
        return arena.allocate(Dnnl.MD_BYTES, 8).copyFrom(md);
    }

    long bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DnnlLayout other && other.bytes == bytes && dnnl.mdEqual(md, other.md);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "oneDNN layout of " + bytes + " bytes";
    }
}
