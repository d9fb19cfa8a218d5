package dev.edgerun.quant;

import dev.edgerun.runtime.DType;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Node;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The error each quantized node introduces, to find the layers that hurt: its output tensor in the
 * quantized model against the float model ({@code ||q - f|| / ||f||}), and the part added by this
 * node, that error minus the largest error already present in its inputs.
 */
public final class LayerErrors {

    public record LayerError(String node, String opType, String tensor, double relativeError, double addedError) {}

    private LayerErrors() {}

    /** Errors of {@code quantizedNodes} over the first {@code maxSamples} samples of {@code eval}, worst added error first. */
    public static List<LayerError> measure(Model floatModel, Model quantized, List<String> quantizedNodes,
                                           DataFolder eval, int maxSamples) {
        Map<String, Node> byKey = new LinkedHashMap<>();
        for (Node n : floatModel.graph().nodes()) byKey.put(Quantizer.key(n), n);
        Set<String> tensors = new LinkedHashSet<>();
        List<Node> nodes = new ArrayList<>();
        for (String k : quantizedNodes) {
            Node n = byKey.get(k);
            if (n == null || n.outputs().isEmpty()) continue;
            nodes.add(n);
            tensors.add(n.outputs().get(0));
            for (String in : n.inputs()) if (!in.isEmpty() && !floatModel.graph().initializers().containsKey(in)) tensors.add(in);
        }
        Map<String, double[]> sums = new LinkedHashMap<>(); // tensor -> {sum (q-f)^2, sum f^2}
        for (String t : tensors) sums.put(t, new double[2]);
        int batch = Math.min(Observer.batchSize(floatModel.graph().requiredInputs(), maxSamples), maxSamples);
        List<String> names = List.copyOf(tensors);
        try (Session f = Observer.open(Observer.withOutputs(floatModel, names));
             Session q = Observer.open(Observer.withOutputs(quantized, names))) {
            int seen = 0;
            for (Map<String, Tensor> b : eval.batches(batch)) {
                if (seen >= maxSamples) break;
                try (RunResult rf = f.run(b); RunResult rq = q.run(b)) {
                    for (String t : names) accumulate(sums.get(t), Observer.value(b, rf, t), Observer.value(b, rq, t));
                }
                seen += batch;
            }
        }
        List<LayerError> r = new ArrayList<>();
        for (Node n : nodes) {
            double out = relative(sums.get(n.outputs().get(0)));
            double in = 0;
            for (String i : n.inputs()) if (sums.containsKey(i) && !i.equals(n.outputs().get(0))) in = Math.max(in, relative(sums.get(i)));
            r.add(new LayerError(Quantizer.key(n), n.opType(), n.outputs().get(0), out, out - in));
        }
        r.sort(Comparator.comparingDouble(LayerError::addedError).reversed());
        return r;
    }

    private static void accumulate(double[] sum, Tensor f, Tensor q) {
        if (f == null || q == null || !f.dtype().isFloatingPoint() || f.elementCount() != q.elementCount()) return;
        float[] a = f.toFloatArrayConverted();
        float[] b = q.dtype() == DType.FLOAT || q.dtype().isFloatingPoint() ? q.toFloatArrayConverted() : null;
        if (b == null) return;
        for (int i = 0; i < a.length; i++) {
            double d = b[i] - a[i];
            sum[0] += d * d;
            sum[1] += (double) a[i] * a[i];
        }
    }

    private static double relative(double[] s) {
        if (s == null) return 0;
        return s[1] == 0 ? Math.sqrt(s[0]) : Math.sqrt(s[0] / s[1]);
    }
}
