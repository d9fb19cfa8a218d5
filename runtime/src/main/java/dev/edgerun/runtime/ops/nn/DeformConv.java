package dev.edgerun.runtime.ops.nn;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * DeformConv (2-D): a convolution whose every tap samples the input at its regular position plus
 * a learned offset ({@code offset} is {@code [N, offset_group * kh * kw * 2, oh, ow]}, (dy, dx)
 * pairs), bilinearly with zeros outside the image, optionally scaled by {@code mask}
 * ({@code [N, offset_group * kh * kw, oh, ow]}). A direct scalar loop: the operator is rare.
 */
public final class DeformConv implements Operator {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    @Override
    public Kernel prepare(NodeContext ctx) {
        if (FloatBridge.applies(ctx)) return FloatBridge.prepare(ctx, this);
        for (int i = 0; i < 3; i++) Nn.requireFloat(ctx, i);
        long[] x = ctx.inputShape(0).dims(), w = ctx.inputShape(1).dims(), off = ctx.inputShape(2).dims();
        if (x.length != 4) throw ctx.unsupported("DeformConv on " + (x.length - 2) + " spatial axes (2 implemented)");
        if (w.length != 4 || off.length != 4) throw ctx.error("W and offset must be 4-D, got W" + ctx.inputShape(1) + " offset" + ctx.inputShape(2));
        int group = (int) ctx.attrInt("group", 1), offsetGroup = (int) ctx.attrInt("offset_group", 1);
        if (x[1] != w[1] * group || w[0] % group != 0) throw ctx.error("X" + ctx.inputShape(0) + " and W" + ctx.inputShape(1) + " do not match group " + group);
        if (x[1] % offsetGroup != 0) throw ctx.error("offset_group " + offsetGroup + " must divide the " + x[1] + " input channels");
        int[] kernel = Spatial.spatialDims(w);
        Spatial sp = Spatial.resolve(ctx, Spatial.spatialDims(x), kernel, false);
        int taps = kernel[0] * kernel[1];
        if (off[0] != x[0] || off[1] != 2L * offsetGroup * taps || off[2] != sp.out()[0] || off[3] != sp.out()[1]) {
            throw ctx.error("offset must be [" + x[0] + ", " + 2L * offsetGroup * taps + ", " + sp.out()[0] + ", " + sp.out()[1]
                    + "], got " + ctx.inputShape(2));
        }
        boolean hasBias = ctx.hasInput(3), hasMask = ctx.hasInput(4);
        if (hasMask && ctx.inputShape(4).elementCount() != off[0] * offsetGroup * taps * off[2] * off[3]) {
            throw ctx.error("mask must be [N, offset_group * kh * kw, oh, ow], got " + ctx.inputShape(4));
        }
        long[] y = sp.outputDims(x[0], w[0]);
        return new Node(List.of(Nn.tensor(DType.FLOAT, y)), sp, (int) x[0], (int) x[1], (int) w[0], group, offsetGroup,
                hasBias, hasMask);
    }

    private record Node(List<ValueType> outputTypes, Spatial sp, int batch, int channels, int outChannels, int group,
                        int offsetGroup, boolean hasBias, boolean hasMask) implements Kernel {
        @Override
        public void run(RunContext ctx) {
            MemorySegment x = ctx.input(0).data(), w = ctx.input(1).data(), off = ctx.input(2).data(), y = ctx.output(0).data();
            MemorySegment bias = hasBias ? ctx.input(3).data() : null, mask = hasMask ? ctx.input(4).data() : null;
            int ih = sp.in()[0], iw = sp.in()[1], kh = sp.kernel()[0], kw = sp.kernel()[1];
            int oh = sp.out()[0], ow = sp.out()[1], taps = kh * kw, plane = oh * ow;
            int icg = channels / group, ocg = outChannels / group, perOffsetGroup = channels / offsetGroup;
            for (int n = 0; n < batch; n++) {
                for (int oc = 0; oc < outChannels; oc++) {
                    int g = oc / ocg;
                    for (int i = 0; i < oh; i++) {
                        for (int j = 0; j < ow; j++) {
                            double acc = bias == null ? 0 : bias.getAtIndex(F, oc);
                            for (int c = 0; c < icg; c++) {
                                int ic = g * icg + c, og = ic / perOffsetGroup;
                                long xPlane = ((long) n * channels + ic) * ih * iw;
                                for (int t = 0; t < taps; t++) {
                                    int a = t / kw, b = t % kw;
                                    long offBase = (((long) n * offsetGroup + og) * taps + t) * 2;
                                    float dy = off.getAtIndex(F, offBase * plane + (long) i * ow + j);
                                    float dx = off.getAtIndex(F, (offBase + 1) * plane + (long) i * ow + j);
                                    double py = i * sp.strides()[0] - sp.padsBegin()[0] + a * sp.dilations()[0] + dy;
                                    double px = j * sp.strides()[1] - sp.padsBegin()[1] + b * sp.dilations()[1] + dx;
                                    double v = bilinear(x, xPlane, ih, iw, py, px);
                                    if (mask != null) {
                                        v *= mask.getAtIndex(F, (((long) n * offsetGroup + og) * taps + t) * plane + (long) i * ow + j);
                                    }
                                    acc += v * w.getAtIndex(F, (((long) oc * icg + c) * kh + a) * kw + b);
                                }
                            }
                            y.setAtIndex(F, (((long) n * outChannels + oc) * oh + i) * ow + j, (float) acc);
                        }
                    }
                }
            }
        }

        /** Bilinear sample at (py, px) with zeros outside the {@code h x w} plane. */
        private static double bilinear(MemorySegment x, long base, int h, int w, double py, double px) {
            int y0 = (int) Math.floor(py), x0 = (int) Math.floor(px);
            double fy = py - y0, fx = px - x0;
            return (1 - fy) * ((1 - fx) * at(x, base, h, w, y0, x0) + fx * at(x, base, h, w, y0, x0 + 1))
                    + fy * ((1 - fx) * at(x, base, h, w, y0 + 1, x0) + fx * at(x, base, h, w, y0 + 1, x0 + 1));
        }

        private static double at(MemorySegment x, long base, int h, int w, int yy, int xx) {
            return yy < 0 || yy >= h || xx < 0 || xx >= w ? 0 : x.getAtIndex(F, base + (long) yy * w + xx);
        }
    }
}
