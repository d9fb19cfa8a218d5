package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The LSTM cell with the default activations (Sigmoid, Tanh, Tanh), gates in ONNX order i, o, f, c.
 *
 * <p>{@link #step}: one whole time step: the recurrent product {@code h·Rᵀ} for every gate of a
 * block of hidden units summed in registers (16 accumulators on AVX-512, each R element loaded
 * once; h broadcast once per block) and added onto the step's input projection, then the cell
 * update {@code c = sigmoid(f) * c + sigmoid(i) * tanh(g)}, {@code h = sigmoid(o) * tanh(c)} in one
 * pass over whole vectors ({@link #update}). R is packed once ({@link #packRecurrence}) so that a
 * step streams it in one pass. Hidden sizes that are not a multiple of the lanes take {@link #update}
 * alone, over gates the caller summed.
 *
 * <p>At four vectors per gate (hidden 64 on AVX-512) the product runs two gates at a time
 * ({@link #sumGatePairs}: a third of the JIT's compile memory, about 5% slower);
 * {@code -Dedgerun.lstm.gatePairs=off} runs all four in one pass.
 *
 * <p>Each width is a final subclass answering a {@code static final} species, so the JIT folds it
 * (see {@link F32Gemm}).
 */
public abstract sealed class LstmCell permits LstmCell.W512, LstmCell.W256, LstmCell.W128, LstmCell.W64 {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int GATES = 4;
    private static final boolean GATE_PAIRS = !"off".equals(System.getProperty("edgerun.lstm.gatePairs"));

    private LstmCell() {}

    public static LstmCell of(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> new W512();
            case 256 -> new W256();
            case 128 -> new W128();
            case 64 -> new W64();
            default -> throw new IllegalArgumentException("no LSTM cell for " + species);
        };
    }

    abstract VectorSpecies<Float> s();

    /**
     * Vectors per gate in one block of {@link #step}: four (16 accumulators) where there are 32
     * vector registers (AVX-512); two where AVX2 has 16 and four would spill.
     */
    private int blockVectors() {
        return s().vectorBitSize() == 512 ? 4 : 2;
    }

    /** Whether {@link #step} serves {@code hidden} units: a whole number of vectors per gate. */
    public final boolean fusesStep(int hidden) {
        return hidden % s().length() == 0;
    }

    /** Floats of one direction's R ({@code [4H x H]}) packed by {@link #packRecurrence}. */
    public static long packedRecurrenceSize(int hidden) {
        return (long) GATES * hidden * hidden;
    }

    /**
     * Packs R of one direction ({@code [4H x H]} row-major at byte {@code rOff}) for {@link #step}:
     * per block of hidden units {@code [j0, j0 + width)}, per k, the four gates' {@code width}
     * weights {@code R[q*H + j, k]} side by side ({@code [blocks][H][4][width]}).
     */
    public final void packRecurrence(MemorySegment r, long rOff, int hidden, MemorySegment dst, long dstOff) {
        requireFused(hidden);
        long at = dstOff;
        for (int j0 = 0; j0 < hidden; j0 += blockWidth(hidden, j0)) {
            int width = blockWidth(hidden, j0);
            int gatesTogether = GATE_PAIRS && width == 4 * s().length() ? 2 : GATES;
            for (int q0 = 0; q0 < GATES; q0 += gatesTogether) {
                for (int k = 0; k < hidden; k++) {
                    for (int q = q0; q < q0 + gatesTogether; q++) {
                        for (int j = j0; j < j0 + width; j++) {
                            dst.set(F, at, r.get(F, rOff + 4L * ((long) (q * hidden + j) * hidden + k)));
                            at += 4;
                        }
                    }
                }
            }
        }
    }

    /** Hidden units in the block starting at {@code j0}: the most vectors that fit, 4, 2 or 1. */
    private int blockWidth(int hidden, int j0) {
        int lanes = s().length();
        int vectors = Math.min(blockVectors(), (hidden - j0) / lanes);
        return (vectors == 3 ? 2 : vectors) * lanes;
    }

    /**
     * One time step: the four gate blocks of {@code hidden} floats at byte {@code gOff} of
     * {@code g} (the step's input projection) become {@code g + h·Rᵀ}, then {@link #update} runs
     * the cell on them: h at {@code hOff} of {@code state} is read, then replaced, the cell state at
     * {@code cOff} replaced. {@code backwards} sweeps R last row first: R of hidden size 64 (64 KB)
     * does not fit a 32 KB first-level cache, and a sweep that starts where the previous one ended
     * finds those rows still there, so callers alternate it from step to step.
     */
    public final void step(int hidden, MemorySegment packedR, long rOff, MemorySegment g, long gOff, MemorySegment state,
                           long cOff, long hOff, boolean backwards) {
        requireFused(hidden);
        int blocks = 0;
        for (int j0 = 0; j0 < hidden; j0 += blockWidth(hidden, j0)) blocks++;
        for (int n = 0; n < blocks; n++) {
            int j0 = blockStart(hidden, backwards ? blocks - 1 - n : n);
            long rAt = rOff + 4L * GATES * hidden * j0;
            long gAt = gOff + 4L * j0;
            switch (blockWidth(hidden, j0) / s().length()) {
                case 4 -> {
                    if (GATE_PAIRS) sumGatePairs(hidden, packedR, rAt, state, hOff, g, gAt, backwards);
                    else sum4(hidden, packedR, rAt, state, hOff, g, gAt, backwards);
                }
                case 2 -> sum2(hidden, packedR, rAt, state, hOff, g, gAt, backwards);
                default -> sum1(hidden, packedR, rAt, state, hOff, g, gAt);
            }
        }
        update(g, gOff, state, cOff, hOff, hidden);
    }

    private int blockStart(int hidden, int block) {
        int j0 = 0;
        for (int b = 0; b < block; b++) j0 += blockWidth(hidden, j0);
        return j0;
    }

    private void requireFused(int hidden) {
        if (!fusesStep(hidden)) {
            throw new IllegalArgumentException("hidden size " + hidden + " is not a multiple of " + s().length() + " lanes");
        }
    }

    /**
     * Four vectors per gate, two gates at a time (i with o, then f with c; the other way round when
     * sweeping backwards, so that the rows last read come first): 8 accumulators per pass, R packed
     * per block as {@code [pair][H][2][width]}. One pass over all four gates ({@link #sum4}, 16
     * accumulators, {@code -Dedgerun.lstm.gatePairs=off}) is about 5% faster (49 steps at hidden 64:
     * 18.1-18.5 against 19.1-19.7 us), but C2 needs 28.7 MB of arena memory to compile it (this: 12.1)
     * and C1 15.5 MB (this: 7.3), which the process keeps as resident memory: kws_lstm's peak RSS
     * was 108-113 MiB with it and 94-101 with pairs (ONNX Runtime's 98-106).
     */
    private void sumGatePairs(int hidden, MemorySegment r, long rAt, MemorySegment h, long hOff, MemorySegment g,
                              long gAt, boolean backwards) {
        long pairBytes = 4L * hidden * 2 * 4 * s().length();
        long twoGates = 2 * 4L * hidden;
        for (int n = 0; n < 2; n++) {
            int pair = backwards ? 1 - n : n;
            sumPair(hidden, r, rAt + pair * pairBytes, h, hOff, g, gAt + pair * twoGates, backwards);
        }
    }

    /** Four vectors of two adjacent gates: the first at byte {@code gAt} of g, the second one gate after. */
    private void sumPair(int hidden, MemorySegment r, long rAt, MemorySegment h, long hOff, MemorySegment g, long gAt,
                         boolean backwards) {
        VectorSpecies<Float> s = s();
        long v = 4L * s.length();
        long row = 2 * 4 * v;   // bytes of one k in the pair
        FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long rStep = backwards ? -row : row;
        long xStep = backwards ? -4 : 4;
        long rp = backwards ? rAt + (hidden - 1) * row : rAt;
        long xp = backwards ? hOff + 4L * (hidden - 1) : hOff;
        for (int k = 0; k < hidden; k++) {
            FloatVector x = FloatVector.broadcast(s, h.get(F, xp));
            a0 = x.fma(FloatVector.fromMemorySegment(s, r, rp, LE), a0);
            a1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + v, LE), a1);
            a2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 2 * v, LE), a2);
            a3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 3 * v, LE), a3);
            b0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 4 * v, LE), b0);
            b1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 5 * v, LE), b1);
            b2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 6 * v, LE), b2);
            b3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 7 * v, LE), b3);
            rp += rStep;
            xp += xStep;
        }
        long gate = 4L * hidden;
        a0.add(FloatVector.fromMemorySegment(s, g, gAt, LE)).intoMemorySegment(g, gAt, LE);
        a1.add(FloatVector.fromMemorySegment(s, g, gAt + v, LE)).intoMemorySegment(g, gAt + v, LE);
        a2.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * v, LE)).intoMemorySegment(g, gAt + 2 * v, LE);
        a3.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * v, LE)).intoMemorySegment(g, gAt + 3 * v, LE);
        b0.add(FloatVector.fromMemorySegment(s, g, gAt + gate, LE)).intoMemorySegment(g, gAt + gate, LE);
        b1.add(FloatVector.fromMemorySegment(s, g, gAt + gate + v, LE)).intoMemorySegment(g, gAt + gate + v, LE);
        b2.add(FloatVector.fromMemorySegment(s, g, gAt + gate + 2 * v, LE)).intoMemorySegment(g, gAt + gate + 2 * v, LE);
        b3.add(FloatVector.fromMemorySegment(s, g, gAt + gate + 3 * v, LE)).intoMemorySegment(g, gAt + gate + 3 * v, LE);
    }

    /**
     * Four vectors per gate: 16 accumulators, each R element loaded once; the sums are added onto
     * the gates in g. (The cell update is a method of its own: inlined here, the Vector API calls
     * passed the JIT's node limit, and vectors handed to a call that is not inlined are boxed.)
     */
    private void sum4(int hidden, MemorySegment r, long rAt, MemorySegment h, long hOff, MemorySegment g, long gAt,
                      boolean backwards) {
        VectorSpecies<Float> s = s();
        long v = 4L * s.length();
        long row = GATES * 4 * v;   // bytes of one k in the block
        FloatVector i0 = FloatVector.zero(s), i1 = i0, i2 = i0, i3 = i0, o0 = i0, o1 = i0, o2 = i0, o3 = i0;
        FloatVector f0 = i0, f1 = i0, f2 = i0, f3 = i0, c0 = i0, c1 = i0, c2 = i0, c3 = i0;
        long rStep = backwards ? -row : row;
        long xStep = backwards ? -4 : 4;
        long rp = backwards ? rAt + (hidden - 1) * row : rAt;
        long xp = backwards ? hOff + 4L * (hidden - 1) : hOff;
        for (int k = 0; k < hidden; k++) {
            FloatVector x = FloatVector.broadcast(s, h.get(F, xp));
            i0 = x.fma(FloatVector.fromMemorySegment(s, r, rp, LE), i0);
            i1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + v, LE), i1);
            i2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 2 * v, LE), i2);
            i3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 3 * v, LE), i3);
            o0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 4 * v, LE), o0);
            o1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 5 * v, LE), o1);
            o2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 6 * v, LE), o2);
            o3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 7 * v, LE), o3);
            f0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 8 * v, LE), f0);
            f1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 9 * v, LE), f1);
            f2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 10 * v, LE), f2);
            f3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 11 * v, LE), f3);
            c0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 12 * v, LE), c0);
            c1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 13 * v, LE), c1);
            c2 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 14 * v, LE), c2);
            c3 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 15 * v, LE), c3);
            rp += rStep;
            xp += xStep;
        }
        long gate = 4L * hidden;
        i0.add(FloatVector.fromMemorySegment(s, g, gAt, LE)).intoMemorySegment(g, gAt, LE);
        i1.add(FloatVector.fromMemorySegment(s, g, gAt + v, LE)).intoMemorySegment(g, gAt + v, LE);
        i2.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * v, LE)).intoMemorySegment(g, gAt + 2 * v, LE);
        i3.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * v, LE)).intoMemorySegment(g, gAt + 3 * v, LE);
        o0.add(FloatVector.fromMemorySegment(s, g, gAt + gate, LE)).intoMemorySegment(g, gAt + gate, LE);
        o1.add(FloatVector.fromMemorySegment(s, g, gAt + gate + v, LE)).intoMemorySegment(g, gAt + gate + v, LE);
        o2.add(FloatVector.fromMemorySegment(s, g, gAt + gate + 2 * v, LE)).intoMemorySegment(g, gAt + gate + 2 * v, LE);
        o3.add(FloatVector.fromMemorySegment(s, g, gAt + gate + 3 * v, LE)).intoMemorySegment(g, gAt + gate + 3 * v, LE);
        f0.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate, LE)).intoMemorySegment(g, gAt + 2 * gate, LE);
        f1.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate + v, LE)).intoMemorySegment(g, gAt + 2 * gate + v, LE);
        f2.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate + 2 * v, LE)).intoMemorySegment(g, gAt + 2 * gate + 2 * v, LE);
        f3.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate + 3 * v, LE)).intoMemorySegment(g, gAt + 2 * gate + 3 * v, LE);
        c0.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate, LE)).intoMemorySegment(g, gAt + 3 * gate, LE);
        c1.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate + v, LE)).intoMemorySegment(g, gAt + 3 * gate + v, LE);
        c2.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate + 2 * v, LE)).intoMemorySegment(g, gAt + 3 * gate + 2 * v, LE);
        c3.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate + 3 * v, LE)).intoMemorySegment(g, gAt + 3 * gate + 3 * v, LE);
    }

    /** Two vectors per gate: 8 accumulators. */
    private void sum2(int hidden, MemorySegment r, long rAt, MemorySegment h, long hOff, MemorySegment g, long gAt,
                      boolean backwards) {
        VectorSpecies<Float> s = s();
        long v = 4L * s.length();
        long row = GATES * 2 * v;
        FloatVector i0 = FloatVector.zero(s), i1 = i0, o0 = i0, o1 = i0, f0 = i0, f1 = i0, c0 = i0, c1 = i0;
        long rStep = backwards ? -row : row;
        long xStep = backwards ? -4 : 4;
        long rp = backwards ? rAt + (hidden - 1) * row : rAt;
        long xp = backwards ? hOff + 4L * (hidden - 1) : hOff;
        for (int k = 0; k < hidden; k++) {
            FloatVector x = FloatVector.broadcast(s, h.get(F, xp));
            i0 = x.fma(FloatVector.fromMemorySegment(s, r, rp, LE), i0);
            i1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + v, LE), i1);
            o0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 2 * v, LE), o0);
            o1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 3 * v, LE), o1);
            f0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 4 * v, LE), f0);
            f1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 5 * v, LE), f1);
            c0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 6 * v, LE), c0);
            c1 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 7 * v, LE), c1);
            rp += rStep;
            xp += xStep;
        }
        long gate = 4L * hidden;
        i0.add(FloatVector.fromMemorySegment(s, g, gAt, LE)).intoMemorySegment(g, gAt, LE);
        i1.add(FloatVector.fromMemorySegment(s, g, gAt + v, LE)).intoMemorySegment(g, gAt + v, LE);
        o0.add(FloatVector.fromMemorySegment(s, g, gAt + gate, LE)).intoMemorySegment(g, gAt + gate, LE);
        o1.add(FloatVector.fromMemorySegment(s, g, gAt + gate + v, LE)).intoMemorySegment(g, gAt + gate + v, LE);
        f0.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate, LE)).intoMemorySegment(g, gAt + 2 * gate, LE);
        f1.add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate + v, LE)).intoMemorySegment(g, gAt + 2 * gate + v, LE);
        c0.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate, LE)).intoMemorySegment(g, gAt + 3 * gate, LE);
        c1.add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate + v, LE)).intoMemorySegment(g, gAt + 3 * gate + v, LE);
    }

    /** One vector per gate: 4 accumulators for even k, 4 for odd k, so that the chains overlap. */
    private void sum1(int hidden, MemorySegment r, long rAt, MemorySegment h, long hOff, MemorySegment g, long gAt) {
        VectorSpecies<Float> s = s();
        long v = 4L * s.length();
        long row = GATES * v;
        FloatVector i0 = FloatVector.zero(s), o0 = i0, f0 = i0, c0 = i0, i1 = i0, o1 = i0, f1 = i0, c1 = i0;
        long rp = rAt;
        long xp = hOff;
        for (int k = 0; k < hidden; k += 2) {   // hidden is a multiple of the lanes: even
            FloatVector x = FloatVector.broadcast(s, h.get(F, xp));
            FloatVector y = FloatVector.broadcast(s, h.get(F, xp + 4));
            i0 = x.fma(FloatVector.fromMemorySegment(s, r, rp, LE), i0);
            o0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + v, LE), o0);
            f0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 2 * v, LE), f0);
            c0 = x.fma(FloatVector.fromMemorySegment(s, r, rp + 3 * v, LE), c0);
            i1 = y.fma(FloatVector.fromMemorySegment(s, r, rp + row, LE), i1);
            o1 = y.fma(FloatVector.fromMemorySegment(s, r, rp + row + v, LE), o1);
            f1 = y.fma(FloatVector.fromMemorySegment(s, r, rp + row + 2 * v, LE), f1);
            c1 = y.fma(FloatVector.fromMemorySegment(s, r, rp + row + 3 * v, LE), c1);
            rp += 2 * row;
            xp += 8;
        }
        long gate = 4L * hidden;
        i0.add(i1).add(FloatVector.fromMemorySegment(s, g, gAt, LE)).intoMemorySegment(g, gAt, LE);
        o0.add(o1).add(FloatVector.fromMemorySegment(s, g, gAt + gate, LE)).intoMemorySegment(g, gAt + gate, LE);
        f0.add(f1).add(FloatVector.fromMemorySegment(s, g, gAt + 2 * gate, LE)).intoMemorySegment(g, gAt + 2 * gate, LE);
        c0.add(c1).add(FloatVector.fromMemorySegment(s, g, gAt + 3 * gate, LE)).intoMemorySegment(g, gAt + 3 * gate, LE);
    }

    private static FloatVector load(VectorSpecies<Float> s, MemorySegment m, long at) {
        return FloatVector.fromMemorySegment(s, m, at, LE);
    }

    /**
     * The cell alone, over the four pre-activation gate blocks already summed at byte {@code gOff}
     * of {@code g}; the cell state at {@code cOff} of {@code state} is read and replaced, the new
     * hidden state written at {@code hOff}. One pass that keeps every intermediate in registers.
     */
    public final void update(MemorySegment g, long gOff, MemorySegment state, long cOff, long hOff, int hidden) {
        VectorSpecies<Float> s = s();
        int lanes = s.length();
        long block = 4L * hidden;
        int j = 0;
        for (; j + lanes <= hidden; j += lanes) {
            long at = gOff + 4L * j;
            FloatVector i = sigmoid(load(s, g, at));
            FloatVector o = sigmoid(load(s, g, at + block));
            FloatVector f = sigmoid(load(s, g, at + 2 * block));
            FloatVector cand = tanh(load(s, g, at + 3 * block));
            FloatVector c = f.fma(load(s, state, cOff + 4L * j), i.mul(cand));
            c.intoMemorySegment(state, cOff + 4L * j, LE);
            o.mul(tanh(c)).intoMemorySegment(state, hOff + 4L * j, LE);
        }
        for (; j < hidden; j++) {
            long at = gOff + 4L * j;
            float i = sigmoid(g.get(F, at)), o = sigmoid(g.get(F, at + block)), f = sigmoid(g.get(F, at + 2 * block));
            float cand = (float) Math.tanh(g.get(F, at + 3 * block));
            float c = f * state.get(F, cOff + 4L * j) + i * cand;
            state.set(F, cOff + 4L * j, c);
            state.set(F, hOff + 4L * j, o * (float) Math.tanh(c));
        }
    }

    private static FloatVector sigmoid(FloatVector x) {
        return x.broadcast(1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    /**
     * {@code tanh(x) = 2 sigmoid(2x) - 1}: one {@code EXP} instead of the Vector API's {@code TANH},
     * whose SVML routine took three times as long per call in a kws_lstm profile (cell update at
     * hidden 64: 161 -> 153 ns). Within 2e-7 of the exact function (the cancellation near 0 is
     * absolute, not relative); saturates to -1 and 1 with no overflow: exp(-2x) is +inf only where
     * 2 / (1 + inf) - 1 = -1. (A polynomial exp written in Vector API operations took 8.6 ns per
     * 16-lane vector here against 4.5 for {@code EXP}'s SVML routine.)
     */
    private static FloatVector tanh(FloatVector x) {
        return x.broadcast(2f).div(x.mul(-2f).lanewise(VectorOperators.EXP).add(1f)).sub(1f);
    }

    private static float sigmoid(float x) {
        return (float) (1 / (1 + Math.exp(-x)));
    }

    static final class W512 extends LstmCell {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W256 extends LstmCell {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W128 extends LstmCell {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class W64 extends LstmCell {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
