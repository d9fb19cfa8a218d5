package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Separable float32 max and average pooling of 1-D and 2-D planes without dilation. A window's
 * maximum (sum) is the maximum (sum) over its columns of the column maxima (sums) over its rows, so
 * each output row is made in two vector passes over a row buffer: the rows of the window are
 * reduced into the buffer (vectorised along the width), then every {@code kW} adjacent buffer
 * entries are reduced in place at stride 1 and the output takes every {@code sW}-th. The buffer
 * holds the left and right padding as the reduction's identity, so the passes test no bounds.
 * Shapes where some window lies wholly in the padding are left to {@link F32Pool}.
 */
public final class F32PoolRows {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final int inH, inW, kW, sW, padLeft, outH, outW;
    /** Input rows {@code [rowFrom[oh], rowTo[oh])} of output row {@code oh}. */
    private final int[] rowFrom, rowTo;
    /** Average pooling divisors as reciprocals, per output row and per output column. */
    private final float[] rowScale, colScale;
    /** Buffer entries the windows cover: left padding, the input width, right padding. */
    private final int span;
    /** Floats of one row buffer: the span, or the input width if longer, and the slack the last vector may run into. */
    private final int bufLen;
    /**
     * Lane i = 2i, the stride-2 selection, made once: made per output row it was, in some JIT
     * compilations, a vector allocated per row (96 B per row for a MaxPool run after other models).
     */
    private FloatVector evens;
    /** Lanes of the widest float vector. */
    private static final int SLACK = 16;

    private F32PoolRows(int inH, int inW, int kW, int sW, int padLeft, int outH, int outW, int[] rowFrom, int[] rowTo,
                        float[] rowScale, float[] colScale, int span, int bufLen) {
        this.inH = inH;
        this.inW = inW;
        this.kW = kW;
        this.sW = sW;
        this.padLeft = padLeft;
        this.outH = outH;
        this.outW = outW;
        this.rowFrom = rowFrom;
        this.rowTo = rowTo;
        this.rowScale = rowScale;
        this.colScale = colScale;
        this.span = span;
        this.bufLen = bufLen;
    }

    /**
     * The separable pooling of {@code [inH, inW]} planes, or null when some window has no tap
     * inside the image. {@code countPad} sets the average's divisor to the taps inside the padded image.
     */
    public static F32PoolRows of(int inH, int inW, int kH, int kW, int sH, int sW, int padTop, int padLeft,
                                 int padBottom, int padRight, int outH, int outW, boolean countPad) {
        int[] rowFrom = new int[outH], rowTo = new int[outH];
        float[] rowScale = new float[outH], colScale = new float[outW];
        for (int o = 0; o < outH; o++) {
            int start = o * sH - padTop;
            rowFrom[o] = Math.max(0, start);
            rowTo[o] = Math.min(inH, start + kH);
            if (rowTo[o] <= rowFrom[o]) return null;
            rowScale[o] = 1f / tapCount(start, kH, inH, padTop, padBottom, countPad);
        }
        for (int o = 0; o < outW; o++) {
            int start = o * sW - padLeft;
            if (Math.min(inW, start + kW) <= Math.max(0, start)) return null;
            colScale[o] = 1f / tapCount(start, kW, inW, padLeft, padRight, countPad);
        }
        int span = (outW - 1) * sW + kW;
        return new F32PoolRows(inH, inW, kW, sW, padLeft, outH, outW, rowFrom, rowTo, rowScale, colScale, span,
                Math.max(span, padLeft + inW) + SLACK);
    }

    private static int tapCount(int start, int k, int in, int padBegin, int padEnd, boolean countPad) {
        int lo = countPad ? -padBegin : 0, hi = countPad ? in + padEnd : in;
        return Math.min(hi, start + k) - Math.max(lo, start);
    }

    /**
     * Plane ranges to run at once: one per thread, but none smaller than {@link #MIN_RANGE_INPUT}
     * input elements (conv_autoencoder's 64K-element max pools took 0.04 ms on one thread and 0.09
     * ms split over two: handing a range to another thread costs more than it saves).
     */
    public static int ranges(int threads, int planes, long inputElements) {
        long bySize = Math.max(1, inputElements / MIN_RANGE_INPUT);
        return (int) Math.max(1, Math.min(Math.min(threads, planes), bySize));
    }

    private static final long MIN_RANGE_INPUT = 1 << 17;

    /** Bytes of one row buffer; each concurrently running range needs its own. */
    public long bufferBytes() {
        return 4L * bufLen;
    }

    /** Max pooling of planes {@code [from, to)} with the row buffer {@code buf}; {@code species} null runs scalar. */
    public void max(VectorSpecies<Float> species, MemorySegment x, MemorySegment y, MemorySegment buf, int from, int to) {
        planes(species, true, x, y, buf, 0, from, to);
    }

    /**
     * {@link #max} with the row buffer at {@code bufOff} bytes of {@code bufs}: ranges running at
     * once each take their own buffer of one scratch segment without a slice object per run.
     */
    public void max(VectorSpecies<Float> species, MemorySegment x, MemorySegment y, MemorySegment bufs, long bufOff,
                    int from, int to) {
        planes(species, true, x, y, bufs, bufOff, from, to);
    }

    /** Average pooling of planes {@code [from, to)}, the divisor fixed by {@link #of}'s {@code countPad}. */
    public void average(VectorSpecies<Float> species, MemorySegment x, MemorySegment y, MemorySegment buf, int from, int to) {
        planes(species, false, x, y, buf, 0, from, to);
    }

    /** {@link #average} with the row buffer at {@code bufOff} bytes of {@code bufs}, as {@link #max} takes it. */
    public void average(VectorSpecies<Float> species, MemorySegment x, MemorySegment y, MemorySegment bufs, long bufOff,
                        int from, int to) {
        planes(species, false, x, y, bufs, bufOff, from, to);
    }

    private void planes(VectorSpecies<Float> species, boolean max, MemorySegment x, MemorySegment y, MemorySegment buf,
                        long bufOff, int from, int to) {
        long inPlane = 4L * inH * inW, outPlane = 4L * outH * outW;
        for (int plane = from; plane < to; plane++) {
            for (int oh = 0; oh < outH; oh++) {
                long xRows = plane * inPlane + 4L * rowFrom[oh] * inW;
                long yRow = plane * outPlane + 4L * oh * outW;
                int rows = rowTo[oh] - rowFrom[oh];
                fillPadding(max, buf, bufOff);
                if (species == null) {
                    reduceRowsScalar(max, x, xRows, rows, buf, bufOff);
                    reduceColumnsScalar(max, buf, bufOff, y, yRow, rowScale[oh]);
                } else {
                    reduceRowsVector(species, max, x, xRows, rows, buf, bufOff);
                    reduceColumnsVector(species, max, buf, bufOff, y, yRow, rowScale[oh]);
                }
            }
        }
    }

    /** The reduction's identity around the row (again per row: the strided pass overwrites the buffer's start). */
    private void fillPadding(boolean max, MemorySegment buf, long bufOff) {
        float identity = max ? Float.NEGATIVE_INFINITY : 0f;
        for (int i = 0; i < padLeft; i++) buf.set(F, bufOff + 4L * i, identity);
        for (int i = padLeft + inW; i < span; i++) buf.set(F, bufOff + 4L * i, identity);
    }

    /** {@code buf[padLeft + i] = max (or sum) over the window's rows of x[row, i]}. */
    private void reduceRowsVector(VectorSpecies<Float> species, boolean max, MemorySegment x, long xRows, int rows,
                                  MemorySegment buf, long bufOff) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        long rowBytes = 4L * inW, bufAt = bufOff + 4L * padLeft;
        int i = 0;
        for (; i + lanes <= inW; i += lanes) {
            long at = xRows + 4L * i;
            FloatVector acc = FloatVector.fromMemorySegment(sp, x, at, LE);
            for (int r = 1; r < rows; r++) {
                FloatVector v = FloatVector.fromMemorySegment(sp, x, at + r * rowBytes, LE);
                acc = max ? acc.max(v) : acc.add(v);
            }
            acc.intoMemorySegment(buf, bufAt + 4L * i, LE);
        }
        reduceRowsTail(max, x, xRows, rows, buf, bufOff, i);
    }

    private void reduceRowsScalar(boolean max, MemorySegment x, long xRows, int rows, MemorySegment buf, long bufOff) {
        reduceRowsTail(max, x, xRows, rows, buf, bufOff, 0);
    }

    private void reduceRowsTail(boolean max, MemorySegment x, long xRows, int rows, MemorySegment buf, long bufOff, int first) {
        for (int i = first; i < inW; i++) {
            long at = xRows + 4L * i;
            float acc = x.get(F, at);
            for (int r = 1; r < rows; r++) {
                float v = x.get(F, at + 4L * r * inW);
                acc = max ? Math.max(acc, v) : acc + v;
            }
            buf.set(F, bufOff + 4L * (padLeft + i), acc);
        }
    }

    /**
     * Output row from the buffer: the reductions of {@code kW} adjacent entries are made in place at
     * every position (each vector reads ahead of what it overwrites; the last one runs into the
     * buffer's slack), then every {@code sW}-th is kept.
     */
    private void reduceColumnsVector(VectorSpecies<Float> species, boolean max, MemorySegment buf, long bufOff,
                                     MemorySegment y, long yRow, float rowScale) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int positions = (outW - 1) * sW + 1;
        for (int j = 0; j < positions; j += lanes) {
            FloatVector acc = FloatVector.fromMemorySegment(sp, buf, bufOff + 4L * j, LE);
            for (int t = 1; t < kW; t++) {
                FloatVector v = FloatVector.fromMemorySegment(sp, buf, bufOff + 4L * (j + t), LE);
                acc = max ? acc.max(v) : acc.add(v);
            }
            acc.intoMemorySegment(buf, bufOff + 4L * j, LE);
        }
        int o = sW <= 2 ? keepVector(sp, max, buf, bufOff, y, yRow, rowScale) : 0;
        keepEverySW(max, buf, bufOff, y, yRow, rowScale, o);
    }

    /**
     * Stride 1 or 2: whole output vectors, at stride 2 the even lanes of two buffer vectors taken
     * with one two-table select. Returns the first output column left to do.
     */
    private int keepVector(VectorSpecies<Float> sp, boolean max, MemorySegment buf, long bufOff, MemorySegment y, long yRow,
                           float rowScale) {
        int lanes = sp.length();
        FloatVector evens = sW == 1 ? null : evens(sp);
        int o = 0;
        for (; o + lanes <= outW; o += lanes) {
            FloatVector v = sW == 1 ? FloatVector.fromMemorySegment(sp, buf, bufOff + 4L * o, LE)
                    : evens.selectFrom(FloatVector.fromMemorySegment(sp, buf, bufOff + 8L * o, LE),
                                       FloatVector.fromMemorySegment(sp, buf, bufOff + 8L * o + 4L * lanes, LE));
            if (!max) v = v.mul(FloatVector.fromArray(sp, colScale, o).mul(rowScale));
            v.intoMemorySegment(y, yRow + 4L * o, LE);
        }
        return o;
    }

    /** {@link #evens} for {@code sp} (tests use several widths in one JVM); a vector is immutable, so a racing set is harmless. */
    private FloatVector evens(VectorSpecies<Float> sp) {
        FloatVector e = evens;
        if (e == null || e.species() != sp) evens = e = FloatVector.zero(sp).addIndex(2);
        return e;
    }

    private void reduceColumnsScalar(boolean max, MemorySegment buf, long bufOff, MemorySegment y, long yRow, float rowScale) {
        for (int o = 0; o < outW; o++) {
            float acc = windowScalar(max, buf, bufOff, o * sW);
            y.set(F, yRow + 4L * o, max ? acc : acc * (colScale[o] * rowScale));
        }
    }

    private float windowScalar(boolean max, MemorySegment buf, long bufOff, int at) {
        float acc = buf.get(F, bufOff + 4L * at);
        for (int t = 1; t < kW; t++) {
            float v = buf.get(F, bufOff + 4L * (at + t));
            acc = max ? Math.max(acc, v) : acc + v;
        }
        return acc;
    }

    private void keepEverySW(boolean max, MemorySegment buf, long bufOff, MemorySegment y, long yRow, float rowScale, int first) {
        for (int o = first; o < outW; o++) {
            float v = buf.get(F, bufOff + 4L * o * sW);
            y.set(F, yRow + 4L * o, max ? v : v * (colScale[o] * rowScale));
        }
    }
}
