package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;

/**
 * ONNX GridSample (opsets 16, 20, 22) over 1 to 3 spatial dimensions: samples X at the
 * normalized grid locations (last grid axis lists x, y[, z], i.e. the spatial axes in reverse)
 * with nearest, (bi)linear or (bi)cubic interpolation and zeros, border or reflection padding,
 * as the ONNX reference (after PyTorch) does: separable weights over 2 or 4 neighbours per axis.
 */
public final class GridSample implements Operator {
    private static final int NEAREST = 0, LINEAR = 1, CUBIC = 2;
    private static final int ZEROS = 0, BORDER = 1, REFLECTION = 2;

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        Shape grid = ctx.inputShape(1);
        DType dtype = ctx.inputDType(0);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        int spatial = x.rank() - 2;
        if (spatial < 1 || spatial > 3) throw ctx.unsupported("GridSample over " + spatial + " spatial dimensions");
        if (grid.rank() != x.rank() || grid.dim(0) != x.dim(0) || grid.dim(-1) != spatial) {
            throw ctx.error("grid must have shape [N, out..., " + spatial + "] for X " + x + ", got " + grid);
        }
        String modeName = ctx.attrString("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
        int mode = switch (modeName) {
            case "nearest" -> NEAREST;
            case "linear", "bilinear" -> LINEAR;
            case "cubic", "bicubic" -> CUBIC;
            default -> throw ctx.error("unknown mode '" + modeName + "'");
        };
        String padName = ctx.attrString("padding_mode", "zeros");
        int padding = switch (padName) {
            case "zeros" -> ZEROS;
            case "border" -> BORDER;
            case "reflection" -> REFLECTION;
            default -> throw ctx.error("unknown padding_mode '" + padName + "'");
        };
        boolean alignCorners = ctx.attrInt("align_corners", 0) != 0;
        long[] outDims = new long[x.rank()];
        outDims[0] = x.dim(0);
        outDims[1] = x.dim(1);
        for (int i = 0; i < spatial; i++) outDims[2 + i] = grid.dim(1 + i);
        Shape out = Shape.of(outDims);
        long[] in = new long[spatial];
        for (int i = 0; i < spatial; i++) in[i] = x.dim(2 + i);
        Spec s = new Spec(dtype, ctx.inputDType(1), spatial, in, (int) x.dim(0), (int) x.dim(1),
                out.product(2, out.rank()), mode, padding, alignCorners);
        return Kernel.of(ValueType.tensor(dtype, out), rc -> run(rc, s));
    }

    private record Spec(DType dtype, DType gridType, int spatial, long[] in, int batch, int channels, long outPlane,
                        int mode, int padding, boolean alignCorners) {}

    private static void run(RunContext rc, Spec s) {
        MemorySegment x = rc.input(0).data();
        MemorySegment grid = rc.input(1).data();
        MemorySegment y = rc.output(0).data();
        int d = s.spatial;
        long inPlane = 1;
        for (long v : s.in) inPlane *= v;
        double[] coord = new double[d];
        double[] lo = new double[d], hi = new double[d];
        for (int i = 0; i < d; i++) {
            lo[i] = s.alignCorners ? 0 : -0.5;
            hi[i] = s.alignCorners ? s.in[i] - 1 : s.in[i] - 0.5;
        }
        int taps = s.mode == CUBIC ? 4 : s.mode == LINEAR ? 2 : 1;
        long[] base = new long[d];
        double[][] weights = new double[d][taps];
        int combos = 1;
        for (int i = 0; i < d; i++) combos *= taps;
        for (int n = 0; n < s.batch; n++) {
            for (long o = 0; o < s.outPlane; o++) {
                long g = ((long) n * s.outPlane + o) * d;
                for (int i = 0; i < d; i++) {
                    // grid lists the innermost axis first
                    double norm = Elements.get(grid, s.gridType, g + (d - 1 - i));
                    double c = s.alignCorners ? (norm + 1) / 2.0 * (s.in[i] - 1) : ((norm + 1) * s.in[i] - 1) / 2.0;
                    coord[i] = (float) c;
                }
                if (s.mode == NEAREST) {
                    for (int i = 0; i < d; i++) coord[i] = Math.rint(coord[i]);
                }
                for (int i = 0; i < d; i++) {
                    double v = coord[i];
                    if (v < lo[i] || v > hi[i]) {
                        if (s.padding == BORDER) coord[i] = Math.max(0, Math.min(s.in[i] - 1, v));
                        else if (s.padding == REFLECTION) coord[i] = reflect(v, lo[i], hi[i]);
                    }
                    if (s.mode == NEAREST) {
                        base[i] = (long) coord[i];
                        weights[i][0] = 1;
                    } else {
                        long f = (long) Math.floor(coord[i]);
                        double t = coord[i] - f;
                        if (s.mode == LINEAR) {
                            base[i] = f;
                            weights[i][0] = 1 - t;
                            weights[i][1] = t;
                        } else {
                            base[i] = f - 1;
                            cubic(t, weights[i]);
                        }
                    }
                }
                for (int c = 0; c < s.channels; c++) {
                    long plane = ((long) n * s.channels + c) * inPlane;
                    double sum = 0;
                    for (int combo = 0; combo < combos; combo++) {
                        double w = 1;
                        long offset = 0;
                        boolean zero = false;
                        int rest = combo;
                        for (int i = d - 1; i >= 0; i--) {
                            int k = rest % taps;
                            rest /= taps;
                            w *= weights[i][k];
                            long idx = pixelIndex(base[i] + k, s.in[i], lo[i], hi[i], s.padding);
                            if (idx < 0) zero = true;
                            long stride = 1;
                            for (int j = i + 1; j < d; j++) stride *= s.in[j];
                            offset += idx * stride;
                        }
                        if (!zero && w != 0) sum += w * Elements.get(x, s.dtype, plane + offset);
                    }
                    Elements.put(y, s.dtype, ((long) n * s.channels + c) * s.outPlane + o, sum);
                }
            }
        }
    }

    /** The index read for position {@code i} of an axis of {@code size}; -1 means a zero pad. */
    private static long pixelIndex(long i, long size, double lo, double hi, int padding) {
        if (padding == ZEROS) return i >= 0 && i < size ? i : -1;
        if (padding == BORDER) return Math.max(0, Math.min(size - 1, i));
        return (long) reflect(i, lo, hi);
    }

    private static double reflect(double x, double lo, double hi) {
        double range = hi - lo;
        if (x < lo) {
            double dx = lo - x;
            long n = (long) (dx / range);
            double r = dx - n * range;
            return n % 2 == 0 ? lo + r : hi - r;
        }
        if (x > hi) {
            double dx = x - hi;
            long n = (long) (dx / range);
            double r = dx - n * range;
            return n % 2 == 0 ? hi - r : lo + r;
        }
        return x;
    }

    /** Keys' cubic convolution weights (A = -0.75) of the 4 taps around a point at fraction {@code t}. */
    private static void cubic(double t, double[] w) {
        double a = -0.75;
        double x = Math.abs(t);
        w[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
        w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
        w[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
        w[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
    }
}
