package dev.edgerun.runtime.kernels;

import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * One-row products {@code y[n] = alpha * x[k] . B[k x n]} (+ the previous y when
 * {@code accumulate}) over B packed as {@link F32Gemm} packs it ({@code [ceil(n/nr)][k][nr]}).
 * The general micro-kernel computes {@link F32Gemm#MR} rows per tile, so a single row (a fully
 * connected layer at batch 1, a recurrent step) would waste five sixths of its work and pack x
 * into a panel first. Here x is read in place (any stride) and four panels are swept at once:
 * eight accumulators, each B element loaded once, no horizontal reductions.
 */
public final class F32Gemv {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Panels swept together. */
    private static final int GROUP = 4;

    private final F32Gemm gemm;
    private final Micro micro;
    private final int nr;

    /** The kernel for {@code gemm}'s species and panel width; {@code gemm} must be a vector GEMM. */
    public F32Gemv(F32Gemm gemm) {
        if (gemm.species() == null) throw new IllegalArgumentException("F32Gemv needs a vector species");
        this.gemm = gemm;
        this.micro = Micro.of(gemm.species());
        this.nr = gemm.nr();
    }

    /**
     * {@code y[j] (+)= alpha * sum_p x[p] * B[p, j]} for j in [0, n). x element p is at byte
     * {@code xOff + 4 * p * xStride}; y is contiguous from {@code yOff}; {@code epilogue} (nullable)
     * is applied to each finished run of y. Products under {@link F32Gemm#PARALLEL_MIN_MACS} (as
     * {@code gemm} sets it) run on the calling thread.
     */
    public void multiply(int n, int k, MemorySegment x, long xOff, int xStride, MemorySegment pb, long pbOff,
                         MemorySegment y, long yOff, float alpha, boolean accumulate, F32GemmEpilogue epilogue,
                         Parallel par) {
        multiplyAdding(n, k, x, xOff, xStride, pb, pbOff, y, yOff, alpha, accumulate ? y : null, yOff, epilogue, par);
    }

    /**
     * {@link #multiply} adding {@code addend[j]} (n floats from byte {@code addOff}; null adds
     * nothing) to each output in registers before the epilogue: a bias row, with no pass that
     * first copies it into y.
     */
    public void multiplyAdding(int n, int k, MemorySegment x, long xOff, int xStride, MemorySegment pb, long pbOff,
                               MemorySegment y, long yOff, float alpha, MemorySegment addend, long addOff,
                               F32GemmEpilogue epilogue, Parallel par) {
        if (n == 0) return;
        int panels = F32Gemm.ceilDiv(n, nr);
        int groups = F32Gemm.ceilDiv(panels, GROUP);
        if (groups == 1 || gemm.parallelFor((long) n * k, par).threads() <= 1) {
            groups(0, groups, n, k, x, xOff, xStride, pb, pbOff, y, yOff, alpha, addend, addOff, epilogue);
        } else {
            Groups body = GROUPS.get();
            body.gemv = this;
            body.n = n;
            body.k = k;
            body.x = x;
            body.xOff = xOff;
            body.xStride = xStride;
            body.pb = pb;
            body.pbOff = pbOff;
            body.y = y;
            body.yOff = yOff;
            body.alpha = alpha;
            body.addend = addend;
            body.addOff = addOff;
            body.epilogue = epilogue;
            par.forRange(groups, body);
        }
    }

    // A split call's arguments, one object per calling thread (see Parallel).
    private static final ThreadLocal<Groups> GROUPS = ThreadLocal.withInitial(Groups::new);

    /** One split product over column groups of {@link #GROUP} panels. */
    private static final class Groups implements RunContext.RangeBody {
        F32Gemv gemv;
        int n;
        int k;
        MemorySegment x;
        long xOff;
        int xStride;
        MemorySegment pb;
        long pbOff;
        MemorySegment y;
        long yOff;
        float alpha;
        MemorySegment addend;
        long addOff;
        F32GemmEpilogue epilogue;

        @Override
        public void run(int from, int to) {
            gemv.groups(from, to, n, k, x, xOff, xStride, pb, pbOff, y, yOff, alpha, addend, addOff, epilogue);
        }
    }

    /**
     * {@link #multiply} on the calling thread, sweeping the column groups last to first. A
     * recurrent cell alternates the direction from step to step: B (Rᵀ: 64 KB for an LSTM of
     * hidden size 64) does not fit the 32 KB first-level cache, and a sweep that starts where the
     * previous one ended finds its first groups still there.
     */
    public void multiplyBackwards(int n, int k, MemorySegment x, long xOff, int xStride, MemorySegment pb, long pbOff,
                                  MemorySegment y, long yOff, float alpha, boolean accumulate) {
        int groups = F32Gemm.ceilDiv(F32Gemm.ceilDiv(n, nr), GROUP);
        for (int g = groups - 1; g >= 0; g--) {
            groups(g, g + 1, n, k, x, xOff, xStride, pb, pbOff, y, yOff, alpha, accumulate ? y : null, yOff, null);
        }
    }

    private void groups(int from, int to, int n, int k, MemorySegment x, long xOff, int xStride, MemorySegment pb,
                        long pbOff, MemorySegment y, long yOff, float alpha, MemorySegment addend, long addOff,
                        F32GemmEpilogue epilogue) {
        long panelBytes = 4L * nr * k;
        ActivationEpilogue clamp = ActivationEpilogue.clampOf(epilogue);   // Relu, Clip: in registers
        float low = clamp == null ? Float.NEGATIVE_INFINITY : clamp.clampLow();
        float high = clamp == null ? Float.POSITIVE_INFINITY : clamp.clampHigh();
        for (int g = from; g < to; g++) {
            int p0 = g * GROUP;
            int j0 = p0 * nr;
            int cols = Math.min(n - j0, GROUP * nr);
            if (cols == GROUP * nr) {
                micro.four(k, x, xOff, xStride, pb, pbOff + p0 * panelBytes, panelBytes, y, yOff + 4L * j0,
                        alpha, addend, addOff + 4L * j0, clamp != null, low, high);
                if (epilogue != null && clamp == null) epilogue.apply(y, yOff + 4L * j0, cols);
            } else {
                for (int j = j0; j < n; j += nr) {
                    micro.one(k, x, xOff, xStride, pb, pbOff + (j / nr) * panelBytes, y, yOff + 4L * j,
                            Math.min(nr, n - j), alpha, addend, addOff + 4L * j);
                }
                if (epilogue != null) epilogue.apply(y, yOff + 4L * j0, cols);
            }
        }
    }

    /** The loops; each width is a final subclass with a {@code static final} species (see {@link F32Gemm}). */
    abstract static class Micro {
        abstract VectorSpecies<Float> s();

        static Micro of(VectorSpecies<Float> species) {
            return switch (species.vectorBitSize()) {
                case 512 -> new Micro512();
                case 256 -> new Micro256();
                case 128 -> new Micro128();
                case 64 -> new Micro64();
                default -> throw new IllegalArgumentException("no GEMV loop for " + species);
            };
        }

        /**
         * Four full panels from {@code bAt}, {@code panelBytes} apart: 4 * nr outputs at {@code yAt},
         * clamped to [{@code low}, {@code high}] before the store when {@code clamp}.
         */
        final void four(int k, MemorySegment x, long xOff, int xStride, MemorySegment b, long bAt, long panelBytes,
                        MemorySegment y, long yAt, float alpha, MemorySegment add, long addAt, boolean clamp, float low,
                        float high) {
            VectorSpecies<Float> s = s();
            long half = 4L * s.length();
            long step = 2 * half;
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            long b0 = bAt, b1 = bAt + panelBytes, b2 = b1 + panelBytes, b3 = b2 + panelBytes;
            long xs = 4L * xStride;
            long xp = xOff;
            for (int p = 0; p < k; p++) {
                FloatVector xv = FloatVector.broadcast(s, x.get(F, xp));
                a0 = xv.fma(FloatVector.fromMemorySegment(s, b, b0, LE), a0);
                a1 = xv.fma(FloatVector.fromMemorySegment(s, b, b0 + half, LE), a1);
                a2 = xv.fma(FloatVector.fromMemorySegment(s, b, b1, LE), a2);
                a3 = xv.fma(FloatVector.fromMemorySegment(s, b, b1 + half, LE), a3);
                a4 = xv.fma(FloatVector.fromMemorySegment(s, b, b2, LE), a4);
                a5 = xv.fma(FloatVector.fromMemorySegment(s, b, b2 + half, LE), a5);
                a6 = xv.fma(FloatVector.fromMemorySegment(s, b, b3, LE), a6);
                a7 = xv.fma(FloatVector.fromMemorySegment(s, b, b3 + half, LE), a7);
                xp += xs;
                b0 += step;
                b1 += step;
                b2 += step;
                b3 += step;
            }
            if (alpha != 1f) {
                a0 = a0.mul(alpha); a1 = a1.mul(alpha); a2 = a2.mul(alpha); a3 = a3.mul(alpha);
                a4 = a4.mul(alpha); a5 = a5.mul(alpha); a6 = a6.mul(alpha); a7 = a7.mul(alpha);
            }
            if (add != null) {
                a0 = a0.add(FloatVector.fromMemorySegment(s, add, addAt, LE));
                a1 = a1.add(FloatVector.fromMemorySegment(s, add, addAt + half, LE));
                a2 = a2.add(FloatVector.fromMemorySegment(s, add, addAt + 2 * half, LE));
                a3 = a3.add(FloatVector.fromMemorySegment(s, add, addAt + 3 * half, LE));
                a4 = a4.add(FloatVector.fromMemorySegment(s, add, addAt + 4 * half, LE));
                a5 = a5.add(FloatVector.fromMemorySegment(s, add, addAt + 5 * half, LE));
                a6 = a6.add(FloatVector.fromMemorySegment(s, add, addAt + 6 * half, LE));
                a7 = a7.add(FloatVector.fromMemorySegment(s, add, addAt + 7 * half, LE));
            }
            if (clamp) {
                a0 = a0.max(low).min(high); a1 = a1.max(low).min(high); a2 = a2.max(low).min(high);
                a3 = a3.max(low).min(high); a4 = a4.max(low).min(high); a5 = a5.max(low).min(high);
                a6 = a6.max(low).min(high); a7 = a7.max(low).min(high);
            }
            a0.intoMemorySegment(y, yAt, LE);
            a1.intoMemorySegment(y, yAt + half, LE);
            a2.intoMemorySegment(y, yAt + 2 * half, LE);
            a3.intoMemorySegment(y, yAt + 3 * half, LE);
            a4.intoMemorySegment(y, yAt + 4 * half, LE);
            a5.intoMemorySegment(y, yAt + 5 * half, LE);
            a6.intoMemorySegment(y, yAt + 6 * half, LE);
            a7.intoMemorySegment(y, yAt + 7 * half, LE);
        }

        /**
         * One panel from {@code bAt}: its first {@code cols} outputs at {@code yAt}. A chain of
         * fused multiply-adds waits for the previous one, so each half of the panel sums even and
         * odd {@code p} in two accumulators; a panel of at most one vector's outputs (the 10 or 12
         * classes of a classifier) reads only the panel's first half, over four accumulators.
         */
        final void one(int k, MemorySegment x, long xOff, int xStride, MemorySegment b, long bAt,
                       MemorySegment y, long yAt, int cols, float alpha, MemorySegment add, long addAt) {
            VectorSpecies<Float> s = s();
            int lanes = s.length();
            if (cols <= lanes) {
                narrow(k, x, xOff, xStride, b, bAt, y, yAt, cols, alpha, add, addAt);
                return;
            }
            long half = 4L * lanes;
            long step = 2 * half;
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0;
            long bp = bAt;
            long xs = 4L * xStride;
            long xp = xOff;
            int p = 0;
            for (; p + 2 <= k; p += 2) {
                FloatVector xv = FloatVector.broadcast(s, x.get(F, xp));
                FloatVector xw = FloatVector.broadcast(s, x.get(F, xp + xs));
                a0 = xv.fma(FloatVector.fromMemorySegment(s, b, bp, LE), a0);
                a1 = xv.fma(FloatVector.fromMemorySegment(s, b, bp + half, LE), a1);
                a2 = xw.fma(FloatVector.fromMemorySegment(s, b, bp + step, LE), a2);
                a3 = xw.fma(FloatVector.fromMemorySegment(s, b, bp + step + half, LE), a3);
                xp += 2 * xs;
                bp += 2 * step;
            }
            if (p < k) {
                FloatVector xv = FloatVector.broadcast(s, x.get(F, xp));
                a0 = xv.fma(FloatVector.fromMemorySegment(s, b, bp, LE), a0);
                a1 = xv.fma(FloatVector.fromMemorySegment(s, b, bp + half, LE), a1);
            }
            a0 = a0.add(a2);
            a1 = a1.add(a3);
            if (alpha != 1f) {
                a0 = a0.mul(alpha);
                a1 = a1.mul(alpha);
            }
            if (cols == 2 * lanes) {
                if (add != null) {
                    a0 = a0.add(FloatVector.fromMemorySegment(s, add, addAt, LE));
                    a1 = a1.add(FloatVector.fromMemorySegment(s, add, addAt + half, LE));
                }
                a0.intoMemorySegment(y, yAt, LE);
                a1.intoMemorySegment(y, yAt + half, LE);
            } else {
                VectorMask<Float> m1 = VectorMask.fromLong(s, (1L << (cols - lanes)) - 1);  // not indexInRange (see narrow)
                if (add != null) {
                    a0 = a0.add(FloatVector.fromMemorySegment(s, add, addAt, LE));
                    a1 = a1.add(FloatVector.fromMemorySegment(s, add, addAt + half, LE, m1));
                }
                a0.intoMemorySegment(y, yAt, LE);
                a1.intoMemorySegment(y, yAt + half, LE, m1);
            }
        }

        /**
         * The first half of one panel ({@code cols <= lanes}), {@code p} summed modulo 8 in eight
         * accumulators: each step is one load and one fused multiply-add, so the chains, not the
         * loads, bound a loop of four (1x10x128: 112 ns with four accumulators).
         */
        private void narrow(int k, MemorySegment x, long xOff, int xStride, MemorySegment b, long bAt,
                            MemorySegment y, long yAt, int cols, float alpha, MemorySegment add, long addAt) {
            VectorSpecies<Float> s = s();
            long row = 8L * s.length();   // bytes of one p in the panel (nr = 2 vectors)
            long xs = 4L * xStride;
            FloatVector a0 = FloatVector.zero(s), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            long bp = bAt;
            long xp = xOff;
            int p = 0;
            for (; p + 8 <= k; p += 8) {
                a0 = FloatVector.broadcast(s, x.get(F, xp)).fma(FloatVector.fromMemorySegment(s, b, bp, LE), a0);
                a1 = FloatVector.broadcast(s, x.get(F, xp + xs)).fma(FloatVector.fromMemorySegment(s, b, bp + row, LE), a1);
                a2 = FloatVector.broadcast(s, x.get(F, xp + 2 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 2 * row, LE), a2);
                a3 = FloatVector.broadcast(s, x.get(F, xp + 3 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 3 * row, LE), a3);
                a4 = FloatVector.broadcast(s, x.get(F, xp + 4 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 4 * row, LE), a4);
                a5 = FloatVector.broadcast(s, x.get(F, xp + 5 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 5 * row, LE), a5);
                a6 = FloatVector.broadcast(s, x.get(F, xp + 6 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 6 * row, LE), a6);
                a7 = FloatVector.broadcast(s, x.get(F, xp + 7 * xs))
                        .fma(FloatVector.fromMemorySegment(s, b, bp + 7 * row, LE), a7);
                xp += 8 * xs;
                bp += 8 * row;
            }
            for (; p < k; p++) {
                a0 = FloatVector.broadcast(s, x.get(F, xp)).fma(FloatVector.fromMemorySegment(s, b, bp, LE), a0);
                xp += xs;
                bp += row;
            }
            a0 = a0.add(a1).add(a2.add(a3)).add(a4.add(a5).add(a6.add(a7)));
            if (alpha != 1f) a0 = a0.mul(alpha);
            // fromLong, not indexInRange: the latter was seen allocating per call once a JVM had run several shapes
            VectorMask<Float> m0 = VectorMask.fromLong(s, (1L << cols) - 1);
            if (add != null) a0 = a0.add(FloatVector.fromMemorySegment(s, add, addAt, LE, m0));
            a0.intoMemorySegment(y, yAt, LE, m0);
        }
    }

    static final class Micro512 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro256 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro128 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Micro64 extends Micro {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
