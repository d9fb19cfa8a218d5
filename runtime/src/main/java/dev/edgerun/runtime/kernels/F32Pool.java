package dev.edgerun.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 pooling over planes ({@code [planes, spatial...]}, planes = N*C). Windowed pooling
 * (max, average, Lp) works on 1-, 2- and 3-D windows, viewed as 3-D with leading size-1 axes;
 * each window visits only the taps inside the image, found per axis from the window start, so
 * padding costs no test per tap. Global pooling reduces each plane with vector accumulators.
 */
public final class F32Pool {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private final int[] in = new int[3], k = new int[3], s = new int[3], pb = new int[3], pe = new int[3],
            d = new int[3], out = new int[3];
    private final int inPlane, outPlane, rank;

    /** Geometry per spatial axis (1 to 3 axes); {@code padsEnd} is used by average pooling that counts padding. */
    public F32Pool(int[] inSpatial, int[] kernel, int[] strides, int[] padsBegin, int[] padsEnd, int[] dilations,
                   int[] outSpatial) {
        int r = inSpatial.length;
        if (r < 1 || r > 3) throw new IllegalArgumentException("pooling supports 1 to 3 spatial axes, got " + r);
        for (int a = 0; a < 3; a++) {
            int src = a - (3 - r);
            boolean real = src >= 0;
            in[a] = real ? inSpatial[src] : 1;
            k[a] = real ? kernel[src] : 1;
            s[a] = real ? strides[src] : 1;
            pb[a] = real ? padsBegin[src] : 0;
            pe[a] = real ? padsEnd[src] : 0;
            d[a] = real ? dilations[src] : 1;
            out[a] = real ? outSpatial[src] : 1;
        }
        rank = r;
        inPlane = in[0] * in[1] * in[2];
        outPlane = out[0] * out[1] * out[2];
    }

    /**
     * The separable vector form of this pooling ({@link F32PoolRows}) for 1-D and 2-D windows
     * without dilation, or null where it does not apply.
     */
    public F32PoolRows separable(boolean countPad) {
        if (rank > 2 || d[1] != 1 || d[2] != 1) return null;
        return F32PoolRows.of(in[1], in[2], k[1], k[2], s[1], s[2], pb[1], pb[2], pe[1], pe[2], out[1], out[2], countPad);
    }

    /** First tap index whose coordinate {@code start + t*dil} is >= {@code lo}. */
    private static int firstTap(int start, int dil, int lo) {
        return start >= lo ? 0 : (lo - start + dil - 1) / dil;
    }

    /** One past the last tap whose coordinate is < {@code hi}, at most {@code taps}. */
    private static int endTap(int start, int dil, int hi, int taps) {
        if (hi <= start) return 0;
        return Math.min(taps, (hi - start + dil - 1) / dil);
    }

    /**
     * Max pooling of planes {@code [from, to)}; when {@code indices} is non-null it receives the
     * int64 flat index of each maximum (row-major, or column-major over the spatial axes).
     */
    public void max(MemorySegment x, MemorySegment y, MemorySegment indices, boolean columnMajor, int from, int to) {
        for (int plane = from; plane < to; plane++) {
            long xBase = (long) plane * inPlane;
            long yAt = (long) plane * outPlane;
            for (int o0 = 0; o0 < out[0]; o0++) {
                int st0 = o0 * s[0] - pb[0];
                int a0 = firstTap(st0, d[0], 0), b0 = endTap(st0, d[0], in[0], k[0]);
                for (int o1 = 0; o1 < out[1]; o1++) {
                    int st1 = o1 * s[1] - pb[1];
                    int a1 = firstTap(st1, d[1], 0), b1 = endTap(st1, d[1], in[1], k[1]);
                    for (int o2 = 0; o2 < out[2]; o2++, yAt++) {
                        int st2 = o2 * s[2] - pb[2];
                        int a2 = firstTap(st2, d[2], 0), b2 = endTap(st2, d[2], in[2], k[2]);
                        float best = Float.NEGATIVE_INFINITY;
                        int best0 = -1, best1 = -1, best2 = -1;
                        for (int t0 = a0; t0 < b0; t0++) {
                            int i0 = st0 + t0 * d[0];
                            for (int t1 = a1; t1 < b1; t1++) {
                                int i1 = st1 + t1 * d[1];
                                long row = xBase + ((long) i0 * in[1] + i1) * in[2];
                                for (int t2 = a2; t2 < b2; t2++) {
                                    int i2 = st2 + t2 * d[2];
                                    float v = x.getAtIndex(F, row + i2);
                                    if (v > best || best0 < 0) {
                                        best = v;
                                        best0 = i0;
                                        best1 = i1;
                                        best2 = i2;
                                    }
                                }
                            }
                        }
                        y.setAtIndex(F, yAt, best0 < 0 ? 0f : best);
                        if (indices != null) {
                            long local = columnMajor ? columnMajorIndex(best0, best1, best2)
                                    : ((long) best0 * in[1] + best1) * in[2] + best2;
                            indices.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, yAt, best0 < 0 ? -1 : xBase + local);
                        }
                    }
                }
            }
        }
    }

    /** Column-major over the real spatial axes: the first real axis varies fastest. */
    private long columnMajorIndex(int i0, int i1, int i2) {
        return switch (rank) {
            case 3 -> i0 + (long) i1 * in[0] + (long) i2 * in[0] * in[1];
            case 2 -> i1 + (long) i2 * in[1];
            default -> i2;
        };
    }

    /**
     * Average pooling of planes {@code [from, to)}. Without {@code countPad} the divisor is the
     * number of taps inside the image; with it, the taps inside the padded image.
     */
    public void average(MemorySegment x, MemorySegment y, boolean countPad, int from, int to) {
        windowed(x, y, countPad ? 1 : 0, 1, from, to);
    }

    /** Lp pooling ({@code (sum |x|^p)^(1/p)} over the taps inside the image) of planes {@code [from, to)}. */
    public void lp(MemorySegment x, MemorySegment y, int p, int from, int to) {
        windowed(x, y, 2, p, from, to);
    }

    /** mode 0: average excluding pads, 1: average including pads, 2: Lp norm. */
    private void windowed(MemorySegment x, MemorySegment y, int mode, int p, int from, int to) {
        for (int plane = from; plane < to; plane++) {
            long xBase = (long) plane * inPlane;
            long yAt = (long) plane * outPlane;
            for (int o0 = 0; o0 < out[0]; o0++) {
                int st0 = o0 * s[0] - pb[0];
                int a0 = firstTap(st0, d[0], 0), b0 = endTap(st0, d[0], in[0], k[0]);
                int n0 = endTap(st0, d[0], in[0] + pe[0], k[0]) - firstTap(st0, d[0], -pb[0]);
                for (int o1 = 0; o1 < out[1]; o1++) {
                    int st1 = o1 * s[1] - pb[1];
                    int a1 = firstTap(st1, d[1], 0), b1 = endTap(st1, d[1], in[1], k[1]);
                    int n1 = endTap(st1, d[1], in[1] + pe[1], k[1]) - firstTap(st1, d[1], -pb[1]);
                    for (int o2 = 0; o2 < out[2]; o2++, yAt++) {
                        int st2 = o2 * s[2] - pb[2];
                        int a2 = firstTap(st2, d[2], 0), b2 = endTap(st2, d[2], in[2], k[2]);
                        int n2 = endTap(st2, d[2], in[2] + pe[2], k[2]) - firstTap(st2, d[2], -pb[2]);
                        float sum = 0;
                        for (int t0 = a0; t0 < b0; t0++) {
                            int i0 = st0 + t0 * d[0];
                            for (int t1 = a1; t1 < b1; t1++) {
                                long row = xBase + ((long) i0 * in[1] + st1 + t1 * d[1]) * in[2];
                                for (int t2 = a2; t2 < b2; t2++) {
                                    float v = x.getAtIndex(F, row + st2 + t2 * d[2]);
                                    sum += mode < 2 ? v : p == 2 ? v * v : p == 1 ? Math.abs(v) : (float) Math.pow(Math.abs(v), p);
                                }
                            }
                        }
                        float r;
                        if (mode == 2) {
                            r = p == 2 ? (float) Math.sqrt(sum) : p == 1 ? sum : (float) Math.pow(sum, 1.0 / p);
                        } else {
                            int count = mode == 1 ? n0 * n1 * n2 : (b0 - a0) * (b1 - a1) * (b2 - a2);
                            r = count == 0 ? Float.NaN : sum / count;
                        }
                        y.setAtIndex(F, yAt, r);
                    }
                }
            }
        }
    }

    /** {@code y[i] = mean (or max) of x[i*size .. (i+1)*size)} for planes {@code [from, to)}. */
    public static void global(VectorSpecies<Float> species, boolean max, MemorySegment x, MemorySegment y, int size,
                              int from, int to) {
        for (int plane = from; plane < to; plane++) {
            long base = 4L * plane * size;
            float r = species == null ? globalScalar(max, x, base, size) : globalVector(species, max, x, base, size);
            y.setAtIndex(F, plane, max ? r : r / size);
        }
    }

    static float globalScalar(boolean max, MemorySegment x, long base, int size) {
        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
        for (int i = 0; i < size; i++) {
            float v = x.get(F, base + 4L * i);
            acc = max ? Math.max(acc, v) : acc + v;
        }
        return acc;
    }

    private static float globalVector(VectorSpecies<Float> species, boolean max, MemorySegment x, long base, int size) {
        GlobalLanes lanes = GlobalLanes.of(species);
        return max ? lanes.max(x, base, size) : lanes.sum(x, base, size);
    }

    /**
     * The vector loops of global pooling, one final class per width answering a {@code static final}
     * species (the pattern of {@link F32Gemm}'s micro-kernels): with the species read through
     * {@link JavaKernelsSpecies} in a static method, the JIT sometimes compiled the loop with a
     * species it could not fold and boxed every vector (GlobalAveragePool allocating 1440 bytes per
     * run in NnAllocationTest, in about one run in four).
     */
    private abstract static class GlobalLanes {
        private static final GlobalLanes W512 = new Global512(), W256 = new Global256(), W128 = new Global128(),
                W64 = new Global64();

        abstract VectorSpecies<Float> s();

        static GlobalLanes of(VectorSpecies<Float> species) {
            return switch (species.vectorBitSize()) {
                case 512 -> W512;
                case 256 -> W256;
                case 128 -> W128;
                case 64 -> W64;
                default -> throw new IllegalArgumentException("no float species of " + species.vectorBitSize() + " bits");
            };
        }

        final float max(MemorySegment x, long base, int size) {
            VectorSpecies<Float> sp = s();
            int lanes = sp.length();
            int i = 0;
            FloatVector m0 = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY), m1 = m0;
            for (; i + 2 * lanes <= size; i += 2 * lanes) {
                m0 = m0.max(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE));
                m1 = m1.max(FloatVector.fromMemorySegment(sp, x, base + 4L * (i + lanes), LE));
            }
            if (i + lanes <= size) {
                m0 = m0.max(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE));
                i += lanes;
            }
            if (i < size) { // the tail as one masked vector: a scalar tail of up to 2*lanes-1 serial steps cost more than the loop
                VectorMask<Float> in = sp.indexInRange(i, size);
                m1 = m1.max(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE, in).blend(Float.NEGATIVE_INFINITY, in.not()));
            }
            return m0.max(m1).reduceLanes(VectorOperators.MAX);
        }

        final float sum(MemorySegment x, long base, int size) {
            VectorSpecies<Float> sp = s();
            int lanes = sp.length();
            int i = 0;
            FloatVector s0 = FloatVector.zero(sp), s1 = s0;
            for (; i + 2 * lanes <= size; i += 2 * lanes) {
                s0 = s0.add(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE));
                s1 = s1.add(FloatVector.fromMemorySegment(sp, x, base + 4L * (i + lanes), LE));
            }
            if (i + lanes <= size) {
                s0 = s0.add(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE));
                i += lanes;
            }
            if (i < size) { // the tail as one masked vector (its other lanes load as zero)
                s1 = s1.add(FloatVector.fromMemorySegment(sp, x, base + 4L * i, LE, sp.indexInRange(i, size)));
            }
            return s0.add(s1).reduceLanes(VectorOperators.ADD);
        }
    }

    private static final class Global512 extends GlobalLanes {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
        @Override VectorSpecies<Float> s() { return S; }
    }

    private static final class Global256 extends GlobalLanes {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
        @Override VectorSpecies<Float> s() { return S; }
    }

    private static final class Global128 extends GlobalLanes {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_128;
        @Override VectorSpecies<Float> s() { return S; }
    }

    private static final class Global64 extends GlobalLanes {
        private static final VectorSpecies<Float> S = FloatVector.SPECIES_64;
        @Override VectorSpecies<Float> s() { return S; }
    }
}
