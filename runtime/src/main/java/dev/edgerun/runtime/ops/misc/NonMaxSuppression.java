package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import dev.edgerun.runtime.ops.RunContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * ONNX NonMaxSuppression (opsets 10, 11): per batch and class, boxes with a score above
 * {@code score_threshold} are taken by decreasing score (ties: lower index first) unless their
 * IoU with a box already taken exceeds {@code iou_threshold}, up to
 * {@code max_output_boxes_per_class}. Output: [selected, 3] int64 rows (batch, class, box).
 * Boxes are [y1, x1, y2, x2] corners in any order, or [x_center, y_center, w, h] with
 * {@code center_point_box}.
 */
public final class NonMaxSuppression implements Operator {

    @Override
    public Kernel prepare(NodeContext ctx) {
        Shape boxes = ctx.inputShape(0);
        Shape scores = ctx.inputShape(1);
        if (boxes.rank() != 3 || boxes.dim(2) != 4) throw ctx.error("boxes must have shape [B, N, 4], got " + boxes);
        if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1)) {
            throw ctx.error("scores must have shape [" + boxes.dim(0) + ", C, " + boxes.dim(1) + "], got " + scores);
        }
        boolean centerPoint = ctx.attrInt("center_point_box", 0) != 0;
        int batches = (int) boxes.dim(0);
        int classes = (int) scores.dim(1);
        int count = (int) boxes.dim(1);
        DType boxType = ctx.inputDType(0);
        DType scoreType = ctx.inputDType(1);
        return Kernel.of(new ValueType.TensorType(DType.INT64, null),
                rc -> run(rc, batches, classes, count, centerPoint, boxType, scoreType));
    }

    private static void run(RunContext rc, int batches, int classes, int count, boolean centerPoint, DType boxType, DType scoreType) {
        long maxPerClass = rc.input(2) == null ? 0 : rc.input(2).getAsLong(0);
        double iouThreshold = rc.input(3) == null ? 0 : rc.input(3).getAsDouble(0);
        boolean hasScoreThreshold = rc.input(4) != null;
        double scoreThreshold = hasScoreThreshold ? rc.input(4).getAsDouble(0) : 0;
        MemorySegment boxes = rc.input(0).data();
        MemorySegment scores = rc.input(1).data();
        int limit = (int) Math.min(maxPerClass, count);
        long[] selected = new long[Math.max(0, batches * classes * limit) * 3];
        int[] order = new int[count];
        int[] kept = new int[Math.max(limit, 0)];
        int total = 0;
        for (int b = 0; b < batches; b++) {
            for (int c = 0; c < classes; c++) {
                if (limit <= 0) continue;
                long scoreBase = ((long) b * classes + c) * count;
                int candidates = 0;
                for (int i = 0; i < count; i++) {
                    double sc = Elements.get(scores, scoreType, scoreBase + i);
                    if (!hasScoreThreshold || sc > scoreThreshold) order[candidates++] = i;
                }
                sortByScore(order, candidates, scores, scoreType, scoreBase);
                int taken = 0;
                for (int k = 0; k < candidates && taken < limit; k++) {
                    int box = order[k];
                    boolean suppressed = false;
                    for (int j = 0; j < taken && !suppressed; j++) {
                        suppressed = iou(boxes, boxType, (long) b * count, box, kept[j], centerPoint) > iouThreshold;
                    }
                    if (suppressed) continue;
                    kept[taken++] = box;
                    selected[3 * total] = b;
                    selected[3 * total + 1] = c;
                    selected[3 * total + 2] = box;
                    total++;
                }
            }
        }
        Tensor out = rc.allocateOutput(0, DType.INT64, Shape.of(total, 3));
        MemorySegment.copy(selected, 0, out.data(), ValueLayout.JAVA_LONG_UNALIGNED, 0, 3 * total);
    }

    /** Insertion sort of the first n indices by decreasing score, stable (lower index first on ties). */
    private static void sortByScore(int[] order, int n, MemorySegment scores, DType type, long base) {
        for (int i = 1; i < n; i++) {
            int v = order[i];
            double sv = Elements.get(scores, type, base + v);
            int j = i - 1;
            while (j >= 0 && Elements.get(scores, type, base + order[j]) < sv) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = v;
        }
    }

    private static double iou(MemorySegment boxes, DType type, long batchBase, int a, int b, boolean centerPoint) {
        double[] ba = corners(boxes, type, (batchBase + a) * 4, centerPoint);
        double[] bb = corners(boxes, type, (batchBase + b) * 4, centerPoint);
        double areaA = (ba[2] - ba[0]) * (ba[3] - ba[1]);
        double areaB = (bb[2] - bb[0]) * (bb[3] - bb[1]);
        if (areaA <= 0 || areaB <= 0) return 0;
        double ih = Math.min(ba[2], bb[2]) - Math.max(ba[0], bb[0]);
        double iw = Math.min(ba[3], bb[3]) - Math.max(ba[1], bb[1]);
        if (ih <= 0 || iw <= 0) return 0;
        double inter = ih * iw;
        return inter / (areaA + areaB - inter);
    }

    /** (y_min, x_min, y_max, x_max). */
    private static double[] corners(MemorySegment boxes, DType type, long at, boolean centerPoint) {
        double v0 = Elements.get(boxes, type, at), v1 = Elements.get(boxes, type, at + 1);
        double v2 = Elements.get(boxes, type, at + 2), v3 = Elements.get(boxes, type, at + 3);
        if (centerPoint) {
            // [x_center, y_center, width, height]
            return new double[] {v1 - v3 / 2, v0 - v2 / 2, v1 + v3 / 2, v0 + v2 / 2};
        }
        return new double[] {Math.min(v0, v2), Math.min(v1, v3), Math.max(v0, v2), Math.max(v1, v3)};
    }
}
