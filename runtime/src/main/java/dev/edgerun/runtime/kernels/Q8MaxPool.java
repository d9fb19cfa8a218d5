package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2-D max pooling of 8-bit planes, compared as int8 or uint8, without converting to float: per
 * output row, the window's input rows reduced to one row with byte vectors, that row's windows
 * reduced at every input position (unaligned byte vectors over a row padded with the type's
 * minimum), then every stride-th position taken. Measured alone on ResNet-18's stem (64 planes
 * 112x112, 3x3, stride 2, uint8; one thread, alternating in one process, load ~8): 130-460 us
 * against 800-3000 us for dequantize, float pooling and quantize (the path it replaces). Every window must hold at least one input
 * element (pads smaller than the dilated kernel, no ceil mode), so the padding never wins.
 *
 * <p>The max of dequantized values is the dequantized max when the scale is positive, so
 * {@code Q(MaxPool(DQ(x)))} is this pooling followed by {@link Q8Quantize#remap} of the output
 * (or nothing, where that map is the identity). Scratch per concurrent caller:
 * {@link #bufferBytes()}. Thread-safe.
 */
public final class Q8MaxPool {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Lanes 0, 2, 4, ... */
    private static final VectorMask<Byte> EVEN = VectorMask.fromLong(B,
            B.length() >= 64 ? 0x5555555555555555L : 0x5555555555555555L & ((1L << B.length()) - 1));

    private final boolean signed;
    private final int h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
    private final int paddedRow;   // left padding, the input row, right padding
    private final int positions;   // window starts in the padded row: (ow - 1) * sw + 1
    private final long rowBufBytes;

    public Q8MaxPool(boolean signed, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw,
                     int oh, int ow) {
        this.signed = signed;
        this.h = h;
        this.w = w;
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.ph = ph;
        this.pw = pw;
        this.dh = dh;
        this.dw = dw;
        this.oh = oh;
        this.ow = ow;
        if (!everyWindowHolds(h, kh, sh, ph, dh, oh) || !everyWindowHolds(w, kw, sw, pw, dw, ow)) {
            throw new IllegalArgumentException("a pooling window lies wholly in the padding: input " + h + "x" + w
                    + ", kernel " + kh + "x" + kw + ", strides " + sh + "," + sw + ", pads " + ph + "," + pw
                    + ", dilations " + dh + "," + dw + ", output " + oh + "x" + ow);
        }
        positions = (ow - 1) * sw + 1;
        paddedRow = Math.max(pw + w, positions + (kw - 1) * dw);
        rowBufBytes = align64(paddedRow + B.length());
    }

    /** Scratch of one caller: the padded row and the row of window maxima, each with a vector of slack. */
    public long bufferBytes() {
        return rowBufBytes + align64(positions + B.length());
    }

    /**
     * Pools planes {@code [from, to)} of {@code x} (h x w bytes each, from byte {@code xOff}) into
     * {@code y} (oh x ow each, from {@code yOff}), with {@link #bufferBytes()} of {@code buf} from
     * {@code bufAt} (64-byte aligned). Allocates nothing (no slices).
     */
    public void max(MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment buf, long bufAt, int from, int to) {
        byte lowest = signed ? Byte.MIN_VALUE : 0;
        fill(buf, bufAt, paddedRow, lowest);
        for (int p = from; p < to; p++) {
            long plane = xOff + (long) p * h * w;
            long out = yOff + (long) p * oh * ow;
            for (int r = 0; r < oh; r++) {
                columnMax(x, plane, r * sh - ph, buf, bufAt);
                fill(buf, bufAt + pw + w, paddedRow - pw - w, lowest);
                windowMax(buf, bufAt);
                take(buf, bufAt, y, out + (long) r * ow);
            }
        }
    }

    /** {@code count} bytes of {@code value} from {@code at}: the padding, a few bytes per row. */
    private static void fill(MemorySegment buf, long at, long count, byte value) {
        for (long i = 0; i < count; i++) buf.set(ValueLayout.JAVA_BYTE, at + i, value);
    }

    /**
     * The max over the window's input rows (those inside the input) into {@code buf} from
     * {@code pw}. Whole-vector loads while inside {@code x} (lanes past the row land past the
     * row in buf, where the right padding is written afterwards); the first row starts the max,
     * so no vector is ever null (that would box them).
     */
    private void columnMax(MemorySegment x, long plane, int firstRow, MemorySegment buf, long bufAt) {
        int n = B.length();
        int k0 = 0, k1 = kh;
        while (firstRow + k0 * dh < 0) k0++;
        while (firstRow + (k1 - 1) * dh >= h) k1--;
        long limit = x.byteSize() - n;
        for (int c = 0; c < w; c += n) {
            long at = plane + (long) (firstRow + k0 * dh) * w + c;
            ByteVector m = at <= limit ? ByteVector.fromMemorySegment(B, x, at, LE)
                    : ByteVector.fromMemorySegment(B, x, at, LE, B.indexInRange(c, w));
            for (int k = k0 + 1; k < k1; k++) {
                at += (long) dh * w;
                ByteVector v = at <= limit ? ByteVector.fromMemorySegment(B, x, at, LE)
                        : ByteVector.fromMemorySegment(B, x, at, LE, B.indexInRange(c, w));
                m = signed ? m.lanewise(VectorOperators.MAX, v) : m.lanewise(VectorOperators.UMAX, v);
            }
            m.intoMemorySegment(buf, bufAt + pw + c, LE);
        }
    }

    /**
     * {@code max(row[j + k * dw])} over the kernel's columns, for every window start j, after the
     * padded row; with stride 2 only the even starts, packed (vector compress: one instruction
     * with AVX-512 VBMI2, against a scalar loop of a byte per output).
     */
    private void windowMax(MemorySegment buf, long bufAt) {
        int n = B.length();
        for (int j = 0; j < positions; j += n) {
            ByteVector m = ByteVector.fromMemorySegment(B, buf, bufAt + j, LE);
            for (int k = 1; k < kw; k++) {
                ByteVector v = ByteVector.fromMemorySegment(B, buf, bufAt + j + (long) k * dw, LE);
                m = signed ? m.lanewise(VectorOperators.MAX, v) : m.lanewise(VectorOperators.UMAX, v);
            }
            if (sw == 2) {
                m.compress(EVEN).intoMemorySegment(buf, bufAt + rowBufBytes + j / 2, LE);
            } else {
                m.intoMemorySegment(buf, bufAt + rowBufBytes + j, LE);
            }
        }
    }

    /** Every {@code sw}-th window maximum (with strides 1 and 2 already packed): one output row. */
    private void take(MemorySegment buf, long bufAt, MemorySegment y, long at) {
        if (sw <= 2) {
            MemorySegment.copy(buf, bufAt + rowBufBytes, y, at, ow);
            return;
        }
        for (int o = 0; o < ow; o++) {
            y.set(ValueLayout.JAVA_BYTE, at + o, buf.get(ValueLayout.JAVA_BYTE, bufAt + rowBufBytes + (long) o * sw));
        }
    }

    /** Whether each of the {@code out} windows along one axis holds an input position. */
    static boolean everyWindowHolds(int in, int k, int s, int pad, int d, int out) {
        for (int o = 0; o < out; o++) {
            boolean any = false;
            for (int t = 0; t < k && !any; t++) {
                int i = o * s - pad + t * d;
                any = i >= 0 && i < in;
            }
            if (!any) return false;
        }
        return true;
    }

    private static long align64(long bytes) {
        return (bytes + 63) & ~63L;
    }
}
