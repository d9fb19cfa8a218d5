package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of the turned-round products over few positions ({@link F32PointwiseFewPositions},
 * {@link F32FewPositionsConv}): {@link #MR} positions (tile rows) by two vectors of output channels,
 * over heap arrays (packed positions, packed W^T, and a panel buffer of rows {@code 2 * lanes}
 * floats apart), and the transposition of a panel's columns into Y's channel rows. Species from a
 * {@code static final} per subclass, as in {@link F32Gemm}'s micro-kernel.
 */
abstract class FewPositionsTile {
    /** Positions per tile: twelve accumulators, two B vectors and a broadcast stay in registers. */
    static final int MR = 6;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    abstract VectorSpecies<Float> s();

    static FewPositionsTile of(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> new Tile512();
            case 256 -> new Tile256();
            case 128 -> new Tile128();
            case 64 -> new Tile64();
            default -> throw new IllegalArgumentException("no few-positions tile for " + species);
        };
    }

    /**
     * Rows {@code [0, MR)} of {@code out} from {@code outAt} ({@code 2 * lanes} floats each) set to
     * the product of the position panel at {@code aAt} of {@code a} and the channel panel at
     * {@code bAt} of {@code b} over {@code k} depths, plus {@code bias}, clamped to {@code [lo, hi]}.
     */
    final void tile(int k, float[] a, int aAt, float[] b, int bAt, float[] bias, float[] out, int outAt,
                    float lo, float hi) {
        VectorSpecies<Float> s = s();
        int lanes = s.length(), nr = 2 * lanes;
        FloatVector c00 = FloatVector.zero(s), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int r = 0; r < k; r++) {
            int bp = bAt + r * nr;
            FloatVector b0 = FloatVector.fromArray(s, b, bp);
            FloatVector b1 = FloatVector.fromArray(s, b, bp + lanes);
            int ap = aAt + r * MR;
            FloatVector x = FloatVector.broadcast(s, a[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(s, a[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(s, a[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(s, a[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(s, a[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(s, a[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        FloatVector bias0 = FloatVector.fromArray(s, bias, 0), bias1 = FloatVector.fromArray(s, bias, lanes);
        store(c00.add(bias0), c01.add(bias1), out, outAt, lo, hi);
        store(c10.add(bias0), c11.add(bias1), out, outAt + nr, lo, hi);
        store(c20.add(bias0), c21.add(bias1), out, outAt + 2 * nr, lo, hi);
        store(c30.add(bias0), c31.add(bias1), out, outAt + 3 * nr, lo, hi);
        store(c40.add(bias0), c41.add(bias1), out, outAt + 4 * nr, lo, hi);
        store(c50.add(bias0), c51.add(bias1), out, outAt + 5 * nr, lo, hi);
    }

    /**
     * Rows {@code [0, MR)} of {@code out} from {@code outAt} ({@code 2 * lanes} floats each) plus
     * the product of the position panel at {@code aAt} of {@code a} and the channel panel at
     * {@code bAt} of {@code b} over {@code kc} depths.
     */
    final void accumulate(int kc, float[] a, int aAt, float[] b, int bAt, float[] out, int outAt) {
        VectorSpecies<Float> s = s();
        int lanes = s.length(), nr = 2 * lanes;
        FloatVector c00 = FloatVector.fromArray(s, out, outAt), c01 = FloatVector.fromArray(s, out, outAt + lanes);
        FloatVector c10 = FloatVector.fromArray(s, out, outAt + nr), c11 = FloatVector.fromArray(s, out, outAt + nr + lanes);
        FloatVector c20 = FloatVector.fromArray(s, out, outAt + 2 * nr), c21 = FloatVector.fromArray(s, out, outAt + 2 * nr + lanes);
        FloatVector c30 = FloatVector.fromArray(s, out, outAt + 3 * nr), c31 = FloatVector.fromArray(s, out, outAt + 3 * nr + lanes);
        FloatVector c40 = FloatVector.fromArray(s, out, outAt + 4 * nr), c41 = FloatVector.fromArray(s, out, outAt + 4 * nr + lanes);
        FloatVector c50 = FloatVector.fromArray(s, out, outAt + 5 * nr), c51 = FloatVector.fromArray(s, out, outAt + 5 * nr + lanes);
        for (int r = 0; r < kc; r++) {
            int bp = bAt + r * nr;
            FloatVector b0 = FloatVector.fromArray(s, b, bp);
            FloatVector b1 = FloatVector.fromArray(s, b, bp + lanes);
            int ap = aAt + r * MR;
            FloatVector x = FloatVector.broadcast(s, a[ap]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(s, a[ap + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(s, a[ap + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(s, a[ap + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(s, a[ap + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(s, a[ap + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(out, outAt);
        c01.intoArray(out, outAt + lanes);
        c10.intoArray(out, outAt + nr);
        c11.intoArray(out, outAt + nr + lanes);
        c20.intoArray(out, outAt + 2 * nr);
        c21.intoArray(out, outAt + 2 * nr + lanes);
        c30.intoArray(out, outAt + 3 * nr);
        c31.intoArray(out, outAt + 3 * nr + lanes);
        c40.intoArray(out, outAt + 4 * nr);
        c41.intoArray(out, outAt + 4 * nr + lanes);
        c50.intoArray(out, outAt + 5 * nr);
        c51.intoArray(out, outAt + 5 * nr + lanes);
    }

    /**
     * Column {@code j} of {@code out} (rows {@code nr} floats apart) into the {@code p} floats at
     * {@code row} of {@code y}, clamped to {@code [lo, hi]}, a vector at a time gathered through {@code gather}.
     */
    final void column(float[] out, int j, int nr, int[] gather, int p, MemorySegment y, long row, float lo, float hi) {
        VectorSpecies<Float> s = s();
        int lanes = s.length();
        int q = 0;
        for (; q + lanes <= p; q += lanes) {
            FloatVector.fromArray(s, out, q * nr + j, gather, 0).max(lo).min(hi).intoMemorySegment(y, row + 4L * q, LE);
        }
        if (q < p) {
            FloatVector.fromArray(s, out, q * nr + j, gather, 0).max(lo).min(hi)
                    .intoMemorySegment(y, row + 4L * q, LE, s.indexInRange(q, p));
        }
    }

    private void store(FloatVector v0, FloatVector v1, float[] out, int at, float lo, float hi) {
        v0.max(lo).min(hi).intoArray(out, at);
        v1.max(lo).min(hi).intoArray(out, at + s().length());
    }

    static final class Tile512 extends FewPositionsTile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile256 extends FewPositionsTile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile128 extends FewPositionsTile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    static final class Tile64 extends FewPositionsTile {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
