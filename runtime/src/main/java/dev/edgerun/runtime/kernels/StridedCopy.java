package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A planned N-dimensional copy of fixed-size elements between two strided layouts: the one kernel
 * behind Transpose, Slice, Expand, Tile, Concat, Split, Pad's interior and friends.
 *
 * <p>At plan time dimensions of size 1 are dropped and neighbouring dimensions that are contiguous
 * in both layouts are merged; a run of elements contiguous in both layouts becomes one
 * {@link MemorySegment#copy} of bytes. When the innermost destination dimension is strided in the
 * source (a transpose) and both are long, the two dimensions that are contiguous on either side
 * are copied in square tiles so that both sides stay in cache. Strides are in elements and may be zero (broadcast) or
 * negative (reversed slices). {@link #run} allocates nothing and keeps no state, so one plan may
 * run on several threads at once.
 */
public final class StridedCopy {
    private static final int TILE = 16;
    /**
     * Both tiled dimensions must be at least this long. Measured on this project's x86 build box,
     * NCHW to NHWC with 64 to 256 channels ran 1.5 to 3 times faster untiled (writing each output
     * row keeps at most a few hundred source lines in cache); at 512 and more per side 16x16 tiles
     * ran 1.5 times faster.
     */
    private static final long TILE_MIN = 512;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private final int elemBytes;
    private final long elements;
    // Loop dimensions after merging, outermost first, strides in bytes.
    private final long[] dims;
    private final long[] srcStrides;
    private final long[] dstStrides;
    /** Bytes copied in one piece at the innermost level (elemBytes when nothing is contiguous). */
    private final long chunkBytes;
    /** Index in dims of the dimension contiguous in the source for tiled transposes, or -1. */
    private final int tileDim;

    /**
     * @param dims       the iteration space (the destination shape, usually)
     * @param srcStrides source stride of each dimension, in elements
     * @param dstStrides destination stride of each dimension, in elements
     * @param elemBytes  bytes per element (1, 2, 4, 8 or 16)
     */
    public StridedCopy(long[] dims, long[] srcStrides, long[] dstStrides, int elemBytes) {
        if (dims.length != srcStrides.length || dims.length != dstStrides.length) {
            throw new IllegalArgumentException("dims and strides differ in rank: " + Arrays.toString(dims)
                    + " " + Arrays.toString(srcStrides) + " " + Arrays.toString(dstStrides));
        }
        this.elemBytes = elemBytes;
        long n = 1;
        for (long d : dims) n *= d;
        this.elements = n;

        // Drop size-1 dimensions, then merge neighbours contiguous in both layouts.
        int rank = 0;
        long[] d = new long[dims.length];
        long[] s = new long[dims.length];
        long[] t = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == 1) continue;
            if (rank > 0 && s[rank - 1] == srcStrides[i] * dims[i] && t[rank - 1] == dstStrides[i] * dims[i]) {
                d[rank - 1] *= dims[i];
                s[rank - 1] = srcStrides[i];
                t[rank - 1] = dstStrides[i];
            } else {
                d[rank] = dims[i];
                s[rank] = srcStrides[i];
                t[rank] = dstStrides[i];
                rank++;
            }
        }
        long chunk = elemBytes;
        if (rank > 0 && s[rank - 1] == 1 && t[rank - 1] == 1) {
            rank--;
            chunk = d[rank] * elemBytes;
        }
        this.chunkBytes = chunk;
        this.dims = Arrays.copyOf(d, rank);
        this.srcStrides = new long[rank];
        this.dstStrides = new long[rank];
        for (int i = 0; i < rank; i++) {
            this.srcStrides[i] = s[i] * elemBytes;
            this.dstStrides[i] = t[i] * elemBytes;
        }
        this.tileDim = chooseTileDim(chunk == elemBytes, rank, s, t);
    }

    /** The dimension to tile with the innermost one: contiguous in the source while the innermost is contiguous in the destination. */
    private int chooseTileDim(boolean elementwise, int rank, long[] s, long[] t) {
        if (!elementwise || rank < 2 || t[rank - 1] != 1 || s[rank - 1] == 1) return -1;
        for (int i = rank - 2; i >= 0; i--) {
            if (s[i] == 1 && dims[i] >= TILE_MIN && dims[rank - 1] >= TILE_MIN) return i;
        }
        return -1;
    }

    /** Whether runs copy in tiles (a long transpose). */
    public boolean tiled() {
        return tileDim >= 0;
    }

    /** Elements copied by one run. */
    public long elements() {
        return elements;
    }

    /** Copies from {@code src} at byte offset {@code srcOffset} to {@code dst} at {@code dstOffset}. */
    public void run(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset) {
        if (elements == 0) return;
        if (tileDim >= 0) {
            tiled(0, src, srcOffset, dst, dstOffset);
        } else {
            loop(0, src, srcOffset, dst, dstOffset);
        }
    }

    private void loop(int level, MemorySegment src, long so, MemorySegment dst, long dof) {
        if (level == dims.length) {
            copyChunk(src, so, dst, dof);
            return;
        }
        long n = dims[level];
        long ss = srcStrides[level];
        long ds = dstStrides[level];
        if (level == dims.length - 1 && chunkBytes == elemBytes) {
            copyElements(src, so, ss, dst, dof, ds, n);
            return;
        }
        for (long i = 0; i < n; i++) {
            loop(level + 1, src, so + i * ss, dst, dof + i * ds);
        }
    }

    /** Outer dimensions as in {@link #loop}; the pair (tileDim, innermost) in square tiles. */
    private void tiled(int level, MemorySegment src, long so, MemorySegment dst, long dof) {
        int last = dims.length - 1;
        if (level == last) {
            tile2d(src, so, dst, dof);
            return;
        }
        if (level == tileDim) {
            tiled(level + 1, src, so, dst, dof);
            return;
        }
        for (long i = 0; i < dims[level]; i++) {
            tiled(level + 1, src, so + i * srcStrides[level], dst, dof + i * dstStrides[level]);
        }
    }

    private void tile2d(MemorySegment src, long so, MemorySegment dst, long dof) {
        int last = dims.length - 1;
        long rows = dims[tileDim];
        long cols = dims[last];
        long srs = srcStrides[tileDim];
        long drs = dstStrides[tileDim];
        long scs = srcStrides[last];
        long dcs = dstStrides[last];
        for (long r0 = 0; r0 < rows; r0 += TILE) {
            long r1 = Math.min(rows, r0 + TILE);
            for (long c0 = 0; c0 < cols; c0 += TILE) {
                long c1 = Math.min(cols, c0 + TILE);
                for (long r = r0; r < r1; r++) {
                    copyElements(src, so + r * srs + c0 * scs, scs, dst, dof + r * drs + c0 * dcs, dcs, c1 - c0);
                }
            }
        }
    }

    private void copyChunk(MemorySegment src, long so, MemorySegment dst, long dof) {
        if (chunkBytes == elemBytes) {
            copyElement(src, so, dst, dof, elemBytes);
        } else {
            MemorySegment.copy(src, so, dst, dof, chunkBytes);
        }
    }

    private void copyElements(MemorySegment src, long so, long ss, MemorySegment dst, long dof, long ds, long n) {
        switch (elemBytes) {
            case 4 -> {
                for (long i = 0; i < n; i++) dst.set(I32, dof + i * ds, src.get(I32, so + i * ss));
            }
            case 8 -> {
                for (long i = 0; i < n; i++) dst.set(I64, dof + i * ds, src.get(I64, so + i * ss));
            }
            case 2 -> {
                for (long i = 0; i < n; i++) dst.set(I16, dof + i * ds, src.get(I16, so + i * ss));
            }
            case 1 -> {
                for (long i = 0; i < n; i++) dst.set(ValueLayout.JAVA_BYTE, dof + i * ds, src.get(ValueLayout.JAVA_BYTE, so + i * ss));
            }
            default -> {
                for (long i = 0; i < n; i++) MemorySegment.copy(src, so + i * ss, dst, dof + i * ds, elemBytes);
            }
        }
    }

    /** Copies one element of {@code bytes} bytes (1, 2, 4, 8 or any other width). */
    public static void copyElement(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, int bytes) {
        switch (bytes) {
            case 4 -> dst.set(I32, dstOffset, src.get(I32, srcOffset));
            case 8 -> dst.set(I64, dstOffset, src.get(I64, srcOffset));
            case 2 -> dst.set(I16, dstOffset, src.get(I16, srcOffset));
            case 1 -> dst.set(ValueLayout.JAVA_BYTE, dstOffset, src.get(ValueLayout.JAVA_BYTE, srcOffset));
            default -> MemorySegment.copy(src, srcOffset, dst, dstOffset, bytes);
        }
    }

    /** Row-major strides, in elements, of a tensor with {@code dims}. */
    public static long[] contiguousStrides(long[] dims) {
        long[] s = new long[dims.length];
        long acc = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }
}
