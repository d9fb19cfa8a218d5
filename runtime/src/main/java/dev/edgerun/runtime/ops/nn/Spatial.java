package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.ops.NodeContext;
import java.util.Arrays;

/**
 * The sliding-window geometry shared by convolution and pooling: per spatial axis the kernel
 * size, stride, dilation, begin/end padding and output size, resolved from the attributes
 * ({@code kernel_shape}, {@code strides}, {@code dilations}, {@code pads}, {@code auto_pad},
 * {@code ceil_mode}) as in the ONNX reference implementation.
 */
public record Spatial(int[] in, int[] kernel, int[] strides, int[] dilations, int[] padsBegin, int[] padsEnd, int[] out) {

    int rank() {
        return in.length;
    }

    int outCount() {
        int n = 1;
        for (int o : out) n *= o;
        return n;
    }

    int inCount() {
        int n = 1;
        for (int i : in) n *= i;
        return n;
    }

    int kernelCount() {
        int n = 1;
        for (int k : kernel) n *= k;
        return n;
    }

    /** Resolves the window attributes of {@code ctx} for spatial input {@code in} and kernel {@code kernel}. */
    public static Spatial resolve(NodeContext ctx, int[] in, int[] kernel, boolean ceilMode) {
        int r = in.length;
        int[] strides = ints(ctx, "strides", r, 1);
        int[] dilations = ints(ctx, "dilations", r, 1);
        int[] begin = new int[r], end = new int[r], out = new int[r];
        String autoPad = ctx.attrString("auto_pad", "NOTSET");
        long[] pads = ctx.attrInts("pads", null);
        for (int a = 0; a < r; a++) {
            if (strides[a] <= 0 || dilations[a] <= 0 || kernel[a] <= 0) {
                throw ctx.error("kernel, strides and dilations must be positive: kernel " + Arrays.toString(kernel)
                        + ", strides " + Arrays.toString(strides) + ", dilations " + Arrays.toString(dilations));
            }
            int span = (kernel[a] - 1) * dilations[a] + 1;
            switch (autoPad) {
                case "SAME_UPPER", "SAME_LOWER" -> {
                    out[a] = (in[a] - 1) / strides[a] + 1;
                    int total = Math.max(0, (out[a] - 1) * strides[a] + span - in[a]);
                    int small = total / 2;
                    begin[a] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    end[a] = total - begin[a];
                }
                case "VALID" -> out[a] = Math.floorDiv(in[a] - span, strides[a]) + 1;
                case "NOTSET", "" -> {
                    if (pads != null) {
                        if (pads.length != 2 * r) throw ctx.error("pads has " + pads.length + " values, expected " + 2 * r);
                        begin[a] = (int) pads[a];
                        end[a] = (int) pads[a + r];
                    }
                    int room = in[a] + begin[a] + end[a] - span;
                    if (ceilMode) {
                        out[a] = Math.floorDiv(room + strides[a] - 1, strides[a]) + 1;
                        if ((out[a] - 1) * strides[a] >= in[a] + begin[a]) out[a]--;
                    } else {
                        out[a] = Math.floorDiv(room, strides[a]) + 1;
                    }
                }
                default -> throw ctx.error("auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '" + autoPad + "'");
            }
            if (out[a] < 0) throw ctx.error("window larger than padded input on spatial axis " + a + ": input "
                    + Arrays.toString(in) + ", kernel " + Arrays.toString(kernel));
        }
        return new Spatial(in.clone(), kernel.clone(), strides, dilations, begin, end, out);
    }

    static int[] ints(NodeContext ctx, String name, int rank, int dflt) {
        long[] v = ctx.attrInts(name, null);
        int[] r = new int[rank];
        if (v == null || v.length == 0) {
            Arrays.fill(r, dflt);
            return r;
        }
        if (v.length != rank) throw ctx.error(name + " has " + v.length + " values, expected " + rank);
        for (int i = 0; i < rank; i++) r[i] = Math.toIntExact(v[i]);
        return r;
    }

    public static int[] spatialDims(long[] dims) {
        int[] r = new int[dims.length - 2];
        for (int i = 0; i < r.length; i++) r[i] = Math.toIntExact(dims[i + 2]);
        return r;
    }

    long[] outputDims(long batch, long channels) {
        long[] d = new long[out.length + 2];
        d[0] = batch;
        d[1] = channels;
        for (int i = 0; i < out.length; i++) d[i + 2] = out[i];
        return d;
    }
}
