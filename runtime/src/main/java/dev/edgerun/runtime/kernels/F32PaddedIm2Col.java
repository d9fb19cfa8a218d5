package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector image-to-column for 1-D and 2-D convolutions with column stride 1 or 2, written into
 * {@link F32Gemm}'s packed-B panels ({@code [ceil(P/nr)][Kc][nr]}, {@code nr} two vectors) like
 * {@link F32Im2Col}, but a vector at a time: each input channel is first copied into a zero-padded
 * plane in scratch (for column stride 2 each padded row as its even then its odd columns, split by
 * lane shuffles), so that the inputs of one column-matrix row at output row {@code i} are one
 * contiguous run of the padded plane with no bounds test. A vector of the column matrix (a half
 * panel, {@code lanes} consecutive output positions) is then one load, plus a load and a blend per
 * output row boundary it crosses. The run-by-run copy of {@link F32Im2Col} took 750 us for
 * ResNet-18's 64-channel 3x3 layer at 56x56 (the GEMM after it 2.2 ms), and 4.3 ms for its 7x7
 * stride-2 stem (GEMM 2.5 ms): short {@code MemorySegment.copy} calls and a scalar loop for stride 2.
 *
 * <p>All channels are padded first ({@link #padInput}), so that {@link #columns} can build any
 * block of the column matrix: a convolution can build and multiply a few panels at a time while
 * they are in cache instead of writing the whole matrix to memory and reading it back.
 */
final class F32PaddedIm2Col {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final int CHUNKS = 4;

    private final VectorSpecies<Float> species;
    private final int channels, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, kc, nr;
    private final int phaseLen, rowPitch, padRows, splitLen;
    private final int[] tapCol;    // per kernel column: float offset of its first input within a padded row
    private final long planeFloats; // one channel's padded plane (plus the stride-2 row before its split, and slack)

    /** Whether this im2col handles the geometry: vectors, column stride 1 or 2. */
    static boolean supports(VectorSpecies<Float> species, int sw) {
        return species != null && (sw == 1 || sw == 2);
    }

    /** Geometry of one image group: {@code channels} input channels of {@code h x w}, output {@code oh x ow}. */
    F32PaddedIm2Col(VectorSpecies<Float> species, int channels, int h, int w, int kh, int kw, int sh, int sw,
                    int ph, int pw, int dh, int dw, int oh, int ow, int nr) {
        if (!supports(species, sw)) throw new IllegalArgumentException("no vector im2col for column stride " + sw);
        this.species = species;
        this.channels = channels;
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
        this.nr = nr;
        this.kc = channels * kh * kw;
        int lanes = species.length();
        int maxShift = (kw - 1) * dw / sw;
        int copied = pw + roundUp(w, lanes); // a row copy writes whole vectors
        // a run of ow outputs is read a vector at a time, so up to a vector past it
        phaseLen = roundUp(Math.max(ow + lanes + maxShift, (copied + sw - 1) / sw), lanes);
        rowPitch = sw * phaseLen;
        padRows = (oh - 1) * sh + (kh - 1) * dh + 1;
        splitLen = roundUp((copied + 1) / 2, lanes);
        tapCol = new int[kw];
        for (int kj = 0; kj < kw; kj++) tapCol[kj] = (kj * dw % sw) * phaseLen + kj * dw / sw;
        planeFloats = (long) padRows * rowPitch + rowPitch + lanes;
    }

    private static int roundUp(int n, int step) {
        return (n + step - 1) / step * step;
    }

    /** Scratch bytes for the padded copy of all channels. */
    long paddedBytes() {
        return 4L * channels * planeFloats;
    }

    /**
     * Every channel of the image group at {@code xOff} into its zero-padded plane at
     * {@code padAt} (channels split over {@code par}'s threads in {@value #CHUNKS} ranges).
     */
    void padInput(MemorySegment x, long xOff, MemorySegment pad, long padAt, Parallel par) {
        if (par.threads() <= 1) {
            padChannels(x, xOff, pad, padAt, 0, channels);
        } else {
            PadChunks body = PAD_CHUNKS.get();
            body.im2col = this;
            body.x = x;
            body.xOff = xOff;
            body.pad = pad;
            body.padAt = padAt;
            par.forRange(CHUNKS, body);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<PadChunks> PAD_CHUNKS = ThreadLocal.withInitial(PadChunks::new);

    /** One split {@link #padInput}: chunk i pads channels {@code [i * channels / CHUNKS, (i + 1) * channels / CHUNKS)}. */
    private static final class PadChunks implements RunContext.RangeBody {
        F32PaddedIm2Col im2col;
        MemorySegment x;
        long xOff;
        MemorySegment pad;
        long padAt;

        @Override
        public void run(int from, int to) {
            int channels = im2col.channels;
            im2col.padChannels(x, xOff, pad, padAt, (int) ((long) from * channels / CHUNKS), (int) ((long) to * channels / CHUNKS));
        }
    }

    private void padChannels(MemorySegment x, long xOff, MemorySegment pad, long padAt, int c0, int c1) {
        if (c0 >= c1) return;
        JavaKernelsSpecies.of(species).zeroFloats(pad, padAt + 4L * c0 * planeFloats, (long) (c1 - c0) * planeFloats); // the padding: copies write only the inside
        for (int c = c0; c < c1; c++) padPlane(x, xOff + 4L * c * h * w, pad, padAt + 4L * c * planeFloats);
    }

    /**
     * Column-matrix rows {@code [r0, r1)} at output positions {@code [q0, q1)} ({@code q0} a multiple
     * of {@code nr}) from the padded planes at {@code padAt}, into packed panels at {@code dstOff}
     * (the panel of {@code q0} first) of depth {@code depth} rows: the whole matrix, or a block of
     * its columns with all {@code kc} rows.
     */
    void columns(MemorySegment pad, long padAt, int r0, int r1, int q0, int q1, MemorySegment dst, long dstOff) {
        for (int r = r0; r < r1; r++) {
            int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
            long tapAt = padAt + 4L * (c * planeFloats + ki * dh * rowPitch + tapCol[kj]);
            columnRow(pad, tapAt, q0, q1, dst, dstOff + 4L * r * nr);
        }
    }

    int kc() {
        return kc;
    }

    /** Float offset, from a channel's plane, of column-matrix row {@code r}'s input for output position (0, 0). */
    long tapOffset(int r) {
        int c = r / (kh * kw), ki = r / kw % kh, kj = r % kw;
        return c * planeFloats + (long) ki * dh * rowPitch + tapCol[kj];
    }

    /** Float offset of output row {@code i}'s inputs from output row 0's (column j is j floats further). */
    long rowOffset(int i) {
        return (long) i * sh * rowPitch;
    }

    /** One input channel into the padded plane: row ih to padded row ih + ph, column jw to jw + pw, in column phases. */
    private void padPlane(MemorySegment x, long xPlane, MemorySegment pad, long padAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        int rows = Math.min(h, padRows - ph);
        long line = padAt + 4L * padRows * rowPitch; // stride 2: the row before its split
        VectorShuffle<Float> even = sp.iotaShuffle(0, 2, false), odd = sp.iotaShuffle(1, 2, false);
        for (int ih = 0; ih < rows; ih++) {
            long from = xPlane + 4L * ih * w;
            long row = padAt + 4L * (ih + ph) * rowPitch;
            long to = sw == 1 ? row + 4L * pw : line + 4L * pw;
            int j = 0;
            for (; j + lanes <= w; j += lanes) {
                FloatVector.fromMemorySegment(sp, x, from + 4L * j, LE).intoMemorySegment(pad, to + 4L * j, LE);
            }
            if (j < w) { // a whole vector, the lanes past the row zeroed (they are padding)
                VectorMask<Float> m = sp.indexInRange(j, w);
                FloatVector v = from + 4L * (j + lanes) <= x.byteSize()
                        ? FloatVector.fromMemorySegment(sp, x, from + 4L * j, LE).blend(0f, m.not())
                        : FloatVector.fromMemorySegment(sp, x, from + 4L * j, LE, m);
                v.intoMemorySegment(pad, to + 4L * j, LE);
            }
            if (sw == 2) {
                for (int t = 0; t < splitLen; t += lanes) {
                    FloatVector v0 = FloatVector.fromMemorySegment(sp, pad, line + 8L * t, LE);
                    FloatVector v1 = FloatVector.fromMemorySegment(sp, pad, line + 8L * t + 4L * lanes, LE);
                    v0.rearrange(even, v1).intoMemorySegment(pad, row + 4L * t, LE);
                    v0.rearrange(odd, v1).intoMemorySegment(pad, row + 4L * (phaseLen + t), LE);
                }
            }
        }
    }

    /**
     * Positions {@code [q0, q1)} of one row of the column matrix: output position q = i*ow + j
     * reads the padded plane at {@code tapAt + (i*sh*rowPitch + j) floats}; positions past P up to
     * the panel end are zero.
     */
    private void columnRow(MemorySegment pad, long tapAt, int q0, int q1, MemorySegment dst, long rowAt) {
        VectorSpecies<Float> sp = JavaKernelsSpecies.of(species).f32();
        int lanes = sp.length();
        FloatVector lane = FloatVector.zero(sp).addIndex(1);
        long rowStep = 4L * sh * rowPitch;
        long panelStride = 4L * kc * nr;
        int end = roundUp(q1, nr);
        int i = q0 / ow, j = q0 % ow; // output row and column of q
        for (int q = q0; q < end; q += lanes) {
            long at = rowAt + ((q - q0) / nr) * panelStride + 4L * (q % nr);
            if (q >= q1) {
                FloatVector.zero(sp).intoMemorySegment(dst, at, LE);
                continue;
            }
            FloatVector v = FloatVector.fromMemorySegment(sp, pad, tapAt + i * rowStep + 4L * j, LE);
            // lanes from t on belong to the next output rows: blend each in, aligned so lane t reads its column 0
            int t = ow - j;
            int ni = i + 1;
            while (t < lanes) {
                if (q + t >= q1) {
                    v = v.blend(0f, lane.compare(VectorOperators.GE, (float) t));
                    break;
                }
                FloatVector next = FloatVector.fromMemorySegment(sp, pad, tapAt + ni * rowStep - 4L * t, LE);
                v = v.blend(next, lane.compare(VectorOperators.GE, (float) t));
                t += ow;
                ni++;
            }
            v.intoMemorySegment(dst, at, LE);
            j += lanes;
            while (j >= ow) {
                j -= ow;
                i++;
            }
        }
    }
}
