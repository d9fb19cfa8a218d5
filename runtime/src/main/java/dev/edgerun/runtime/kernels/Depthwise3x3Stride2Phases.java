package dev.edgerun.runtime.kernels;

import java.util.Arrays;

/**
 * The phase-plane layout of a depthwise 3x3 convolution with strides 2, unit dilations and one
 * pixel of padding before each axis, shared by {@link F32Depthwise3x3Stride2} and
 * {@link Q8Depthwise3x3Stride2Phases}, which differ only in how they read X and what they do with
 * the sums.
 *
 * <p>An input plane is split into four phase planes on a heap buffer, by input row parity and
 * column parity, with rows of {@code ow} floats: even rows {@code 2i} (phase rows {@code i}), odd
 * rows {@code 2i - 1} (phase rows {@code i}, row 0 the zero row above the plane); even columns
 * {@code 2j} and odd columns {@code 2j + 1} at {@code j}. Output {@code (i, j)} at flat position
 * {@code q = i*ow + j} then reads each of its nine taps at {@code q - 1}, {@code q},
 * {@code q + ow - 1} or {@code q + ow} of one phase plane, the left column's three taps (which read
 * the previous row's last odd column) blended to zero in output column 0 ({@link #firstColumn}).
 * The kernels sum the taps in their own loops: a helper returning the vector was too large for the
 * JIT to inline, and boxed its arguments. The split reads each input
 * row reached in steps of two vectors, each step's even lanes to one phase row and its odd lanes
 * to the other ({@link #stepFrom}, {@link #stepTo}): one loop over every step of every row, not a
 * loop per row, since rows of one or two steps (MobileNetV2's 14x14 and 28x28 planes) spent more
 * on each inner loop's entry than in it. Each row's split writes whole vectors, spilling into the
 * next phase row (written after it) or past the last; {@link #zeroBorders} then zeroes the row
 * above the plane and the cells whose input lies past it.
 */
final class Depthwise3x3Stride2Phases {
    /** Input planes of at most this many elements (a 181x181 plane), so that a thread's phase planes stay near 130 KB. */
    static final int MAX_PLANE = 1 << 15;

    final int oh, ow;
    final int vectors;          // output vectors per plane over its oh * ow flat positions
    final int phaseFloats;      // one phase plane, one float before it, the reach of the last vector; whole vectors
    final int steps;            // split steps of two input vectors over the rows that taps reach
    final int[] stepFrom;       // per step: its first input element from the plane's start
    final int[] stepTo;         // per step: where its even lanes go in the phase buffer (odd lanes: phaseFloats on)
    final int rowsRead;         // input rows that taps reach: min(h, 2 * oh)
    final long reach;           // input elements from a plane's start that the split reads
    private final int h, w;
    final long[] firstColumn;   // per output vector: lanes in output column 0 (no left neighbour)

    /** Whether an input of shape {@code xs} and an output of shape {@code ys} have this layout's geometry (3x3, strides 2, pads 1 before). */
    static boolean fits(long[] xs, long[] ys) {
        return ys[2] >= 1 && ys[3] >= 1 && 2 * ys[2] - 1 <= xs[2] && 2 * ys[3] - 1 <= xs[3] && xs[2] * xs[3] <= MAX_PLANE;
    }

    Depthwise3x3Stride2Phases(long[] xs, long[] ys, int lanes) {
        h = (int) xs[2];
        w = (int) xs[3];
        oh = (int) ys[2];
        ow = (int) ys[3];
        vectors = (oh * ow + lanes - 1) / lanes;
        int splitVectors = (w + 2 * lanes - 1) / (2 * lanes);
        rowsRead = Math.min(h, 2 * oh);
        firstColumn = new long[vectors];
        for (int q = 0; q < vectors * lanes; q++) {
            if (q % ow == 0) firstColumn[q / lanes] |= 1L << (q % lanes);
        }
        // taps read from one float before a plane (left column, blended) up to vectors * lanes + ow;
        // the split of the last odd row writes up to oh * ow + splitVectors * lanes
        phaseFloats = roundUp(1 + Math.max(vectors * lanes + ow, oh * ow + splitVectors * lanes), lanes);
        steps = rowsRead * splitVectors;
        stepFrom = new int[steps];
        stepTo = new int[steps];
        for (int r = 0, step = 0; r < rowsRead; r++) {
            // even row 2i at phase row i of the even-row planes, odd row 2i-1 at row i of the odd-row planes
            int at = 1 + ((r & 1) == 1 ? 2 * phaseFloats : 0) + ((r + 1) >> 1) * ow;
            for (int k = 0; k < splitVectors; k++, step++) {
                stepFrom[step] = r * w + 2 * k * lanes;
                stepTo[step] = at + k * lanes;
            }
        }
        reach = (long) (rowsRead - 1) * w + 2L * splitVectors * lanes;
    }

    private static int roundUp(int n, int multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    /** Floats of the four phase planes. */
    int bufferFloats() {
        return 4 * phaseFloats;
    }

    /** The zero row above the plane and the phase cells whose input lies below or right of it, after a split. */
    void zeroBorders(float[] phases) {
        int evenOdd = 1 + phaseFloats, oddEven = 1 + 2 * phaseFloats, oddOdd = 1 + 3 * phaseFloats;
        Arrays.fill(phases, oddEven, oddEven + ow, 0f); // the row above the plane
        Arrays.fill(phases, oddOdd, oddOdd + ow, 0f);
        if (2 * oh - 1 >= h) { // the row below the plane
            Arrays.fill(phases, oddEven + oh * ow, oddEven + (oh + 1) * ow, 0f);
            Arrays.fill(phases, oddOdd + oh * ow, oddOdd + (oh + 1) * ow, 0f);
        }
        if (2 * ow - 1 >= w) { // column 2*ow - 1, read by the last output column, lies right of the plane
            for (int i = 0; i <= oh; i++) {
                if (i < oh) phases[evenOdd + i * ow + ow - 1] = 0f;
                phases[oddOdd + i * ow + ow - 1] = 0f;
            }
        }
    }
}
