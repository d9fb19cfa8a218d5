package dev.edgerun.runtime.ops.misc;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.ValueType;
import dev.edgerun.runtime.ops.Kernel;
import dev.edgerun.runtime.ops.NodeContext;
import dev.edgerun.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * ai.onnx.ml TreeEnsemble (opset 5): each row of X [N, F] walks every tree from its root
 * (comparisons LEQ, LT, GTE, GT, EQ, NEQ or set MEMBER; NaN follows the true branch where
 * nodes_missing_value_tracks_true says so) to a leaf whose weight is aggregated (SUM, AVERAGE,
 * MIN, MAX) into its target. Output [N, n_targets]; only post_transform NONE.
 */
public final class TreeEnsemble implements Operator {
    private static final int LEQ = 0, LT = 1, GTE = 2, GT = 3, EQ = 4, NEQ = 5, MEMBER = 6;
    private static final int SUM = 1, AVERAGE = 0, MIN = 2, MAX = 3;

    private record Trees(double[] splits, long[] features, int[] modes, long[] trueIds, long[] falseIds,
                         long[] trueLeafs, long[] falseLeafs, long[] leafTargets, double[] leafWeights, long[] roots,
                         long[] missingTrue, List<Set<Double>> members) {}

    @Override
    public Kernel prepare(NodeContext ctx) {
        DType dtype = ctx.inputDType(0);
        Shape x = ctx.inputShape(0);
        if (!dtype.isFloatingPoint() || !Elements.supported(dtype) || x.rank() != 2) {
            throw ctx.error("X must be a 2-D float tensor, got " + ctx.inputType(0));
        }
        if (ctx.attrInt("post_transform", 0) != 0) throw ctx.unsupported("post_transform " + ctx.attrInt("post_transform", 0));
        int aggregate = (int) ctx.attrInt("aggregate_function", SUM);
        int targets = (int) ctx.attrInt("n_targets", 1);
        Tensor modesT = ctx.attrTensor("nodes_modes");
        int[] modes = new int[(int) modesT.elementCount()];
        for (int i = 0; i < modes.length; i++) modes[i] = (int) modesT.getAsLong(i);
        List<Set<Double>> members = new ArrayList<>();
        Tensor memberValues = ctx.attrTensor("membership_values");
        int cursor = 0;
        for (int mode : modes) {
            Set<Double> set = null;
            if (mode == MEMBER) {
                if (memberValues == null) throw ctx.error("a MEMBER node needs membership_values");
                set = new HashSet<>();
                while (cursor < memberValues.elementCount() && !Double.isNaN(memberValues.getAsDouble(cursor))) {
                    set.add(memberValues.getAsDouble(cursor++));
                }
                cursor++; // the NaN that ends this node's set
            }
            members.add(set);
        }
        Trees t = new Trees(doubles(ctx.attrTensor("nodes_splits")), ctx.attrInts("nodes_featureids", new long[0]), modes,
                ctx.attrInts("nodes_truenodeids", new long[0]), ctx.attrInts("nodes_falsenodeids", new long[0]),
                ctx.attrInts("nodes_trueleafs", new long[0]), ctx.attrInts("nodes_falseleafs", new long[0]),
                ctx.attrInts("leaf_targetids", new long[0]), doubles(ctx.attrTensor("leaf_weights")),
                ctx.attrInts("tree_roots", new long[0]), ctx.attrInts("nodes_missing_value_tracks_true", null), members);
        int rows = (int) x.dim(0), features = (int) x.dim(1);
        return Kernel.of(ValueType.tensor(dtype, Shape.of(rows, targets)), rc -> {
            double[] acc = new double[targets];
            double init = aggregate == MIN ? Double.MAX_VALUE : aggregate == MAX ? -Double.MAX_VALUE : 0;
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(acc, init);
                for (long root : t.roots) {
                    int leaf = walk(t, rc.input(0), (long) r * features, (int) root);
                    int target = (int) t.leafTargets[leaf];
                    double w = t.leafWeights[leaf];
                    acc[target] = switch (aggregate) {
                        case AVERAGE -> acc[target] + w / t.roots.length;
                        case MIN -> Math.min(acc[target], w);
                        case MAX -> Math.max(acc[target], w);
                        default -> acc[target] + w;
                    };
                }
                for (int k = 0; k < targets; k++) Elements.put(rc.output(0).data(), dtype, (long) r * targets + k, acc[k]);
            }
        });
    }

    /** The leaf index reached by the row at {@code base} from node {@code node}. */
    private static int walk(Trees t, Tensor x, long base, int node) {
        if (t.trueLeafs[node] != 0 && t.falseLeafs[node] != 0 && t.trueIds[node] == t.falseIds[node]) return (int) t.trueIds[node];
        while (true) {
            double v = x.getAsDouble(base + t.features[node]);
            boolean missingTrue = t.missingTrue != null && t.missingTrue[node] != 0 && Double.isNaN(v);
            double s = t.splits[node];
            boolean go = missingTrue || switch (t.modes[node]) {
                case LEQ -> v <= s;
                case LT -> v < s;
                case GTE -> v >= s;
                case GT -> v > s;
                case EQ -> v == s;
                case NEQ -> v != s;
                default -> t.members.get(node).contains(v);
            };
            long next = go ? t.trueIds[node] : t.falseIds[node];
            boolean leaf = (go ? t.trueLeafs[node] : t.falseLeafs[node]) != 0;
            if (leaf) return (int) next;
            node = (int) next;
        }
    }

    private static double[] doubles(Tensor t) {
        if (t == null) return new double[0];
        double[] r = new double[(int) t.elementCount()];
        for (int i = 0; i < r.length; i++) r[i] = t.getAsDouble(i);
        return r;
    }
}
