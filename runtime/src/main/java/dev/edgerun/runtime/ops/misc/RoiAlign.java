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
 * ONNX RoiAlign (opsets 10, 16): bilinear samples on a regular grid inside each region, averaged
 * ({@code mode=avg}) or max-pooled per output bin. Follows ONNX Runtime's kernel, which the spec's
 * tests come from: in max mode each sample contributes the largest of its four weighted corners.
 * Inputs: X [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R].
 */
public final class RoiAlign implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape x = ctx.inputShape(0);
        DType dtype = ctx.inputDType(0);
        if (x.rank() != 4) throw ctx.error("X must have rank 4, got " + x);
        if (!Elements.supported(dtype)) throw ctx.unsupported("dtype " + dtype.onnxName());
        Shape rois = ctx.inputShape(1);
        if (rois.rank() != 2 || rois.dim(1) != 4) throw ctx.error("rois must have shape [R, 4], got " + rois);
        int outH = (int) ctx.attrInt("output_height", 1);
        int outW = (int) ctx.attrInt("output_width", 1);
        boolean max = ctx.attrString("mode", "avg").equals("max");
        boolean halfPixel = ctx.attrString("coordinate_transformation_mode", ctx.opset() >= 16 ? "half_pixel" : "output_half_pixel")
                .equals("half_pixel");
        int samplingRatio = (int) ctx.attrInt("sampling_ratio", 0);
        float spatialScale = ctx.attrFloat("spatial_scale", 1f);
        Shape out = Shape.of(rois.dim(0), x.dim(1), outH, outW);
        Spec s = new Spec(dtype, ctx.inputDType(1), (int) rois.dim(0), (int) x.dim(1), (int) x.dim(2), (int) x.dim(3),
                outH, outW, max, halfPixel, samplingRatio, spatialScale);
        return Kernel.of(ValueType.tensor(dtype, out), rc -> run(rc, s));
    }

    private record Spec(DType dtype, DType roiType, int rois, int channels, int height, int width, int outH, int outW,
                        boolean max, boolean halfPixel, int samplingRatio, float scale) {}

    private static void run(RunContext rc, Spec s) {
        MemorySegment x = rc.input(0).data();
        MemorySegment rois = rc.input(1).data();
        MemorySegment y = rc.output(0).data();
        double offset = s.halfPixel ? 0.5 : 0;
        long at = 0;
        for (int r = 0; r < s.rois; r++) {
            long batch = rc.input(2).getAsLong(r);
            double startW = Elements.get(rois, s.roiType, 4L * r) * s.scale - offset;
            double startH = Elements.get(rois, s.roiType, 4L * r + 1) * s.scale - offset;
            double endW = Elements.get(rois, s.roiType, 4L * r + 2) * s.scale - offset;
            double endH = Elements.get(rois, s.roiType, 4L * r + 3) * s.scale - offset;
            double roiW = endW - startW;
            double roiH = endH - startH;
            if (!s.halfPixel) {
                roiW = Math.max(roiW, 1);
                roiH = Math.max(roiH, 1);
            }
            double binH = roiH / s.outH;
            double binW = roiW / s.outW;
            int gridH = s.samplingRatio > 0 ? s.samplingRatio : (int) Math.ceil(roiH / s.outH);
            int gridW = s.samplingRatio > 0 ? s.samplingRatio : (int) Math.ceil(roiW / s.outW);
            double count = Math.max(gridH * gridW, 1);
            for (int c = 0; c < s.channels; c++) {
                long plane = (batch * s.channels + c) * (long) s.height * s.width;
                for (int ph = 0; ph < s.outH; ph++) {
                    for (int pw = 0; pw < s.outW; pw++) {
                        double acc = 0;
                        boolean first = true;
                        for (int iy = 0; iy < gridH; iy++) {
                            double yy = startH + ph * binH + (iy + 0.5) * binH / gridH;
                            for (int ix = 0; ix < gridW; ix++) {
                                double xx = startW + pw * binW + (ix + 0.5) * binW / gridW;
                                double v = sample(x, s, plane, yy, xx);
                                if (!s.max) acc += v;
                                else if (first || v > acc) acc = v;
                                first = false;
                            }
                        }
                        Elements.put(y, s.dtype, at++, s.max ? acc : acc / count);
                    }
                }
            }
        }
    }

    /** The bilinear value at (y, x), or in max mode the largest weighted corner; 0 outside [-1, size]. */
    private static double sample(MemorySegment data, Spec s, long plane, double y, double x) {
        if (y < -1.0 || y > s.height || x < -1.0 || x > s.width) return 0;
        y = Math.max(y, 0);
        x = Math.max(x, 0);
        int yLow = (int) y;
        int xLow = (int) x;
        int yHigh;
        int xHigh;
        if (yLow >= s.height - 1) {
            yHigh = yLow = s.height - 1;
            y = yLow;
        } else {
            yHigh = yLow + 1;
        }
        if (xLow >= s.width - 1) {
            xHigh = xLow = s.width - 1;
            x = xLow;
        } else {
            xHigh = xLow + 1;
        }
        double ly = y - yLow, lx = x - xLow, hy = 1 - ly, hx = 1 - lx;
        double v1 = hy * hx * Elements.get(data, s.dtype, plane + (long) yLow * s.width + xLow);
        double v2 = hy * lx * Elements.get(data, s.dtype, plane + (long) yLow * s.width + xHigh);
        double v3 = ly * hx * Elements.get(data, s.dtype, plane + (long) yHigh * s.width + xLow);
        double v4 = ly * lx * Elements.get(data, s.dtype, plane + (long) yHigh * s.width + xHigh);
        if (s.max) return Math.max(Math.max(v1, v2), Math.max(v3, v4));
        return v1 + v2 + v3 + v4;
    }
}
