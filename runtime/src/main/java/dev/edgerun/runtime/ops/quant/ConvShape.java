package dev.edgerun.runtime.ops.quant;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.kernels.Q8Conv;
import dev.edgerun.runtime.ops.NodeContext;

/**
 * The Conv attributes (auto_pad, dilations, group, kernel_shape, pads, strides) resolved against
 * concrete X and W shapes, for 1 to 3 spatial dimensions: the output shape and the
 * {@link Q8Conv.Geometry} (spatial sizes padded to three dimensions with leading 1s).
 */
final class ConvShape {
    final Shape out;
    final Q8Conv.Geometry geometry;

    ConvShape(NodeContext ctx, Shape x, Shape w) {
        int spatial = x.rank() - 2;
        if (spatial < 1 || spatial > 3) throw ctx.unsupported("convolution over " + spatial + " spatial dimensions (1 to 3 supported)");
        if (w.rank() != x.rank()) throw ctx.error("W " + w + " must have the rank of X " + x);
        int group = (int) ctx.attrInt("group", 1);
        long channels = x.dim(1);
        long outChannels = w.dim(0);
        if (group < 1 || channels % group != 0 || outChannels % group != 0 || w.dim(1) != channels / group) {
            throw ctx.error("X " + x + " and W " + w + " do not fit group " + group);
        }
        long[] kernel = ctx.attrInts("kernel_shape", null);
        long[] strides = ctx.attrInts("strides", null);
        long[] dilations = ctx.attrInts("dilations", null);
        long[] pads = ctx.attrInts("pads", new long[2 * spatial]);
        String autoPad = ctx.attrString("auto_pad", "NOTSET");
        int[] in = {1, 1, 1}, k = {1, 1, 1}, o = {1, 1, 1}, s = {1, 1, 1}, p = {0, 0, 0}, d = {1, 1, 1};
        long[] outDims = new long[x.rank()];
        outDims[0] = x.dim(0);
        outDims[1] = outChannels;
        for (int i = 0; i < spatial; i++) {
            int j = 3 - spatial + i;
            in[j] = (int) x.dim(2 + i);
            k[j] = (int) (kernel == null ? w.dim(2 + i) : kernel[i]);
            s[j] = (int) (strides == null ? 1 : strides[i]);
            d[j] = (int) (dilations == null ? 1 : dilations[i]);
            int extent = (k[j] - 1) * d[j] + 1;
            switch (autoPad) {
                case "NOTSET" -> {
                    p[j] = (int) pads[i];
                    o[j] = Math.floorDiv(in[j] + (int) pads[i] + (int) pads[i + spatial] - extent, s[j]) + 1;
                }
                case "VALID" -> o[j] = Math.floorDiv(in[j] - extent, s[j]) + 1;
                case "SAME_UPPER", "SAME_LOWER" -> {
                    o[j] = (in[j] + s[j] - 1) / s[j];
                    int total = Math.max(0, (o[j] - 1) * s[j] + extent - in[j]);
                    p[j] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
                }
                default -> throw ctx.error("unknown auto_pad '" + autoPad + "'");
            }
            if (o[j] < 0) throw ctx.error("kernel " + extent + " larger than padded input " + x);
            outDims[2 + i] = o[j];
        }
        out = Shape.of(outDims);
        geometry = new Q8Conv.Geometry((int) x.dim(0), (int) channels, (int) outChannels, group, in, k, o, s, p, d);
    }
}
