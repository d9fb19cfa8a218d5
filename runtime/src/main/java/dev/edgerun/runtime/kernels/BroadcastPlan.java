package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * How N inputs broadcast (numpy rules) into one output, planned once so that a kernel walks the
 * output as {@link #rows()} contiguous rows of {@link #inner()} elements without computing any
 * index per element.
 *
 * <p>Dimensions of size 1 in the output are dropped and neighbouring dimensions in which every
 * input either follows the output or is broadcast in both are merged; the last merged dimension
 * is the row. Inside a row input {@code k} advances by {@link #innerStride(int) innerStride(k)}
 * (1, or 0 when it is broadcast along the row); row {@code r} of input {@code k} starts at element
 * {@link #rowStart(int, int) rowStart(k, r)}. Same-shape inputs give one row; {@code [N,C] + [C]}
 * gives N rows with stride 1 for both; {@code [N,C,H,W] + [C,1,1]} gives N*C rows of H*W in which
 * the second input has stride 0 (a scalar per row).
 */
public final class BroadcastPlan {
    private final Shape output;
    private final int inner;
    private final int rows;
    private final int[] innerStride;  // (inputs)
    private final long[][] rowStart;  // (inputs, rows) element offsets

    private BroadcastPlan(Shape output, int inner, int rows, int[] innerStride, long[][] rowStart) {
        this.output = output;
        this.inner = inner;
        this.rows = rows;
        this.innerStride = innerStride;
        this.rowStart = rowStart;
    }

    /**
     * The multidirectional broadcast of {@code shapes}, or null when they are incompatible (a
     * dimension differs and neither is 1).
     */
    public static Shape broadcastShape(Shape... shapes) {
        int rank = 0;
        for (Shape s : shapes) rank = Math.max(rank, s.rank());
        long[] out = new long[rank];
        java.util.Arrays.fill(out, 1);
        for (Shape s : shapes) {
            for (int i = 0; i < s.rank(); i++) {
                int o = rank - s.rank() + i;
                long d = s.dim(i);
                if (d == out[o] || d == 1) continue;
                if (out[o] != 1) return null;
                out[o] = d;
            }
        }
        return Shape.of(out);
    }

    /** Plans the broadcast of {@code inputs} into {@code output}, which each input must broadcast to. */
    public static BroadcastPlan of(Shape output, Shape... inputs) {
        int rank = output.rank();
        int n = inputs.length;
        long[][] aligned = new long[n][];
        for (int k = 0; k < n; k++) aligned[k] = align(inputs[k], output);

        // Merge dimensions into groups with one broadcast pattern (bit k set: input k follows the output).
        List<long[]> groups = new ArrayList<>(); // {size, pattern}
        for (int d = 0; d < rank; d++) {
            long size = output.dim(d);
            if (size == 1) continue;
            long pattern = 0;
            for (int k = 0; k < n; k++) if (aligned[k][d] != 1) pattern |= 1L << k;
            if (!groups.isEmpty() && groups.getLast()[1] == pattern) {
                groups.getLast()[0] = Math.multiplyExact(groups.getLast()[0], size);
            } else {
                groups.add(new long[] {size, pattern});
            }
        }
        if (groups.isEmpty()) groups.add(new long[] {1, (1L << n) - 1});

        int g = groups.size();
        long[] last = groups.get(g - 1);
        int inner = Math.toIntExact(last[0]);
        int[] innerStride = new int[n];
        for (int k = 0; k < n; k++) innerStride[k] = (last[1] >> k & 1) != 0 ? 1 : 0;

        // Element strides of each input over the outer groups (0 where it is broadcast).
        long[][] stride = new long[n][g];
        for (int k = 0; k < n; k++) {
            long s = 1;
            for (int j = g - 1; j >= 0; j--) {
                boolean follows = (groups.get(j)[1] >> k & 1) != 0;
                stride[k][j] = follows ? s : 0;
                if (follows) s *= groups.get(j)[0];
            }
        }
        long rowCount = 1;
        for (int j = 0; j < g - 1; j++) rowCount = Math.multiplyExact(rowCount, groups.get(j)[0]);
        if (inner == 0) rowCount = 0;
        int rows = Math.toIntExact(rowCount);
        long[][] rowStart = new long[n][rows];
        long[] index = new long[Math.max(g - 1, 0)];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < n; k++) {
                long off = 0;
                for (int j = 0; j < g - 1; j++) off += index[j] * stride[k][j];
                rowStart[k][r] = off;
            }
            for (int j = g - 2; j >= 0; j--) {
                if (++index[j] < groups.get(j)[0]) break;
                index[j] = 0;
            }
        }
        return new BroadcastPlan(output, inner, rows, innerStride, rowStart);
    }

    private static long[] align(Shape in, Shape out) {
        int rank = out.rank();
        if (in.rank() > rank) throw new IllegalArgumentException(in + " does not broadcast to " + out);
        long[] a = new long[rank];
        java.util.Arrays.fill(a, 1);
        for (int i = 0; i < in.rank(); i++) {
            int o = rank - in.rank() + i;
            long d = in.dim(i);
            if (d != 1 && d != out.dim(o)) throw new IllegalArgumentException(in + " does not broadcast to " + out);
            a[o] = d;
        }
        return a;
    }

    public Shape output() {
        return output;
    }

    /** Elements per row. */
    public int inner() {
        return inner;
    }

    /** Number of rows; {@code rows() * inner()} is the output element count. */
    public int rows() {
        return rows;
    }

    /** 1 when input {@code k} advances along a row, 0 when it repeats one element. */
    public int innerStride(int k) {
        return innerStride[k];
    }

    /** Element offset in input {@code k} where row {@code r} starts. */
    public long rowStart(int k, int r) {
        return rowStart[k][r];
    }

    /** Element offset in input {@code k} of output element {@code i} (slow; for tests and rare paths). */
    public long inputIndex(int k, long i) {
        int r = (int) (i / inner);
        return rowStart[k][r] + (i % inner) * innerStride[k];
    }
}
