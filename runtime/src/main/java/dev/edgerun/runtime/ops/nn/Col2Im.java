package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * Col2Im (opset 18): scatters-adds columns {@code [N, C*prod(block), L]} back into images
 * {@code [N, C, image...]}; the inverse of im2col, also the second half of ConvTranspose
 * ({@link #addColumns}).
 */
public final class Col2Im implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        Nn.requireFloat(ctx, 0);
        long[] x = ctx.inputShape(0).dims();
        if (x.length != 3) throw ctx.error("input must be [N, C*prod(block), L], got " + ctx.inputShape(0));
        var imageT = ctx.constantInput(1);
        var blockT = ctx.constantInput(2);
        int r = (int) ctx.inputShape(1).elementCount();
        int[] strides = Spatial.ints(ctx, "strides", r, 1), dilations = Spatial.ints(ctx, "dilations", r, 1);
        int[] pads = Spatial.ints(ctx, "pads", 2 * r, 0);
        if (imageT == null || blockT == null) {
            // the output shape depends on input values: planned at run time
            return Kernel.of(ValueType.tensor(DType.FLOAT, null), c -> {
                int[] image = toInts(longs(c.input(1))), block = toInts(longs(c.input(2)));
                Geometry g = geometry(image, block, strides, dilations, pads, x);
                if (g == null) throw new IllegalArgumentException("Col2Im: input " + java.util.Arrays.toString(x)
                        + " does not match block " + java.util.Arrays.toString(block) + " over image " + java.util.Arrays.toString(image));
                run(g, x, c.input(0).data(), c.allocateOutput(0, DType.FLOAT, dev.edgerun.runtime.Shape.of(g.outDims())).data());
            });
        }
        int[] image = toInts(longs(imageT)), block = toInts(longs(blockT));
        Geometry g = geometry(image, block, strides, dilations, pads, x);
        if (g == null) {
            throw ctx.error("input " + ctx.inputShape(0) + " does not match block " + Arrays.toString(block)
                    + " sliding over image " + Arrays.toString(image));
        }
        return Kernel.of((ValueType) Nn.tensor(DType.FLOAT, g.outDims()), c -> run(g, x, c.input(0).data(), c.output(0).data()));
    }

    private static long[] longs(dev.edgerun.runtime.Tensor t) {
        long[] r = new long[(int) t.elementCount()];
        for (int i = 0; i < r.length; i++) r[i] = t.getAsLong(i);
        return r;
    }

    /** The sliding geometry, or null when the input's shape does not match it. */
    private record Geometry(int channels, int kprod, int[] grid, int[] block, int[] image, int[] strides, int[] padsBegin,
                            int[] dilations, long[] outDims) {}

    private static Geometry geometry(int[] image, int[] block, int[] s, int[] d, int[] pads, long[] x) {
        int r = image.length;
        if (block.length != r) return null;
        int[] grid = new int[r];
        int kprod = 1;
        long positions = 1;
        for (int a = 0; a < r; a++) {
            grid[a] = (image[a] + pads[a] + pads[a + r] - ((block[a] - 1) * d[a] + 1)) / s[a] + 1;
            kprod *= block[a];
            positions *= grid[a];
        }
        if (x[1] % kprod != 0 || x[2] != positions) return null;
        long[] out = new long[r + 2];
        out[0] = x[0];
        out[1] = x[1] / kprod;
        for (int a = 0; a < r; a++) out[a + 2] = image[a];
        return new Geometry((int) out[1], kprod, grid, block, image, s, Arrays.copyOf(pads, r), d, out);
    }

    private static void run(Geometry g, long[] x, MemorySegment in, MemorySegment out) {
        out.fill((byte) 0);
        long imgPlane = 1;
        for (int v : g.image()) imgPlane *= v;
        long colBytes = 4L * x[1] * x[2], imgBytes = 4L * g.channels() * imgPlane;
        for (int n = 0; n < x[0]; n++) {
            addColumns(in, n * colBytes, g.channels() * g.kprod(), g.kprod(), g.grid(), g.block(), g.image(),
                    g.strides(), g.padsBegin(), g.dilations(), out, n * imgBytes);
        }
    }

    static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }

    /**
     * {@code y[c, grid*s - pads + k*d] += col[c*kprod + k, grid]} for rows {@code [0, rows)} of the
     * column matrix ({@code rows x prod(grid)} floats at {@code colOff}); channel {@code c} of
     * {@code y} ({@code prod(image)} floats each, at {@code yOff}) is row / kprod.
     */
    static void addColumns(MemorySegment col, long colOff, int rows, int kprod, int[] grid, int[] kernel, int[] image,
                           int[] s, int[] pads, int[] d, MemorySegment y, long yOff) {
        int rank = grid.length;
        if (rank <= 2) {
            int gh = rank == 2 ? grid[0] : 1, gw = grid[rank - 1];
            int kh = rank == 2 ? kernel[0] : 1, kw = kernel[rank - 1];
            int ih = rank == 2 ? image[0] : 1, iw = image[rank - 1];
            int sh = rank == 2 ? s[0] : 1, sw = s[rank - 1];
            int ph = rank == 2 ? pads[0] : 0, pw = pads[rank - 1];
            int dh = rank == 2 ? d[0] : 1, dw = d[rank - 1];
            long plane = (long) ih * iw;
            for (int r = 0; r < rows; r++) {
                int c = r / kprod, kpos = r % kprod, ki = kpos / kw, kj = kpos % kw;
                long src = colOff + 4L * r * gh * gw;
                long dst = yOff + 4L * c * plane;
                for (int i = 0; i < gh; i++) {
                    int h = i * sh - ph + ki * dh;
                    if (h < 0 || h >= ih) continue;
                    for (int j = 0; j < gw; j++) {
                        int w = j * sw - pw + kj * dw;
                        if (w < 0 || w >= iw) continue;
                        long at = dst + 4L * ((long) h * iw + w);
                        y.set(F, at, y.get(F, at) + col.get(F, src + 4L * ((long) i * gw + j)));
                    }
                }
            }
            return;
        }
        int positions = 1, imgPlane = 1;
        for (int a = 0; a < rank; a++) {
            positions *= grid[a];
            imgPlane *= image[a];
        }
        for (int r = 0; r < rows; r++) {
            int c = r / kprod;
            for (int q = 0; q < positions; q++) {
                int kRest = r % kprod, qRest = q, kDiv = kprod, qDiv = positions;
                long index = 0;
                boolean inside = true;
                for (int a = 0; a < rank; a++) {
                    kDiv /= kernel[a];
                    qDiv /= grid[a];
                    int k = kRest / kDiv;
                    kRest %= kDiv;
                    int o = qRest / qDiv;
                    qRest %= qDiv;
                    int coord = o * s[a] - pads[a] + k * d[a];
                    if (coord < 0 || coord >= image[a]) inside = false;
                    index = index * image[a] + coord;
                }
                if (!inside) continue;
                long at = yOff + 4L * ((long) c * imgPlane + index);
                y.set(F, at, y.get(F, at) + col.get(F, colOff + 4L * ((long) r * positions + q)));
            }
        }
    }
}
