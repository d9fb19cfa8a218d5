package dev.edgerun.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * Immutable tensor dimensions. In the IR a dimension may be unknown: then {@link #dim(int)} is
 * {@code -1} and {@link #symbol(int)} may name it (for example {@code "batch"}). Tensors always
 * have concrete shapes.
 */
public final class Shape {
    public static final Shape SCALAR = new Shape(new long[0], null);

    private final long[] dims;
    private final String[] symbols; // null when no dimension is symbolic

    private Shape(long[] dims, String[] symbols) {
        this.dims = dims;
        this.symbols = symbols;
    }

    /** A concrete shape; every dimension must be >= 0. */
    public static Shape of(long... dims) {
        for (long d : dims) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
        }
        return dims.length == 0 ? SCALAR : new Shape(dims.clone(), null);
    }

    public static Shape of(int... dims) {
        long[] l = new long[dims.length];
        for (int i = 0; i < dims.length; i++) l[i] = dims[i];
        return of(l);
    }

    /**
     * A shape that may hold unknown dimensions: {@code dims[i] < 0} is unknown, named by
     * {@code symbols[i]} when that is non-null and non-empty.
     */
    public static Shape symbolic(long[] dims, String[] symbols) {
        long[] d = dims.clone();
        String[] s = null;
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0) {
                d[i] = -1;
                if (symbols != null && symbols[i] != null && !symbols[i].isEmpty()) {
                    if (s == null) s = new String[d.length];
                    s[i] = symbols[i];
                }
            }
        }
        return new Shape(d, s);
    }

    public int rank() {
        return dims.length;
    }

    /** The size of dimension {@code i}; negative {@code i} counts from the end; -1 if unknown. */
    public long dim(int i) {
        return dims[i < 0 ? i + dims.length : i];
    }

    /** The symbolic name of dimension {@code i}, or null. */
    public String symbol(int i) {
        return symbols == null ? null : symbols[i < 0 ? i + dims.length : i];
    }

    /** A copy of the dimensions (-1 where unknown). */
    public long[] dims() {
        return dims.clone();
    }

    public int[] intDims() {
        int[] r = new int[dims.length];
        for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact(dims[i]);
        return r;
    }

    public boolean isConcrete() {
        for (long d : dims) if (d < 0) return false;
        return true;
    }

    /** Product of the dimensions (1 for a scalar); fails when a dimension is unknown. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            if (d < 0) throw new IllegalStateException("shape " + this + " is not concrete");
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Product of dims[from, to). */
    public long product(int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) n *= dims[i];
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims) && Arrays.equals(symbols, s.symbols);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(dims), Arrays.hashCode(symbols));
    }

    /** Same dimensions, ignoring symbolic names. */
    public boolean sameDims(Shape other) {
        return Arrays.equals(dims, other.dims);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) b.append(", ");
            String sym = symbol(i);
            b.append(dims[i] >= 0 ? Long.toString(dims[i]) : sym != null ? sym : "?");
        }
        return b.append(']').toString();
    }
}
