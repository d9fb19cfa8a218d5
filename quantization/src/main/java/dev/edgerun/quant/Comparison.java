package dev.edgerun.quant;

import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float model against the quantized one over an evaluation folder: per output, cosine
 * similarity (per sample), max abs error and top-1 agreement; accuracy of both when labels exist.
 */
public final class Comparison {

    /** Agreement of one output over all samples; {@code top1Agreement} is NaN for outputs that are not (samples, classes). */
    public record OutputStats(String name, double cosineMin, double cosineMean, double maxAbsError, double top1Agreement) {}

    /** @param accuracyFloat NaN without labels */
    public record Result(int samples, List<OutputStats> outputs, double accuracyFloat, double accuracyQuantized) {
        public double top1Agreement() {
            double r = Double.NaN;
            for (OutputStats o : outputs) if (!Double.isNaN(o.top1Agreement())) r = Double.isNaN(r) ? o.top1Agreement() : Math.min(r, o.top1Agreement());
            return r;
        }

        public double cosineMin() {
            double r = Double.NaN;
            for (OutputStats o : outputs) r = Double.isNaN(r) ? o.cosineMin() : Math.min(r, o.cosineMin());
            return r;
        }

        public double accuracyDrop() {
            return accuracyFloat - accuracyQuantized;
        }
    }

    private Comparison() {}

    /** Runs both models over {@code eval} (each on the native engine, ONNX Runtime where native cannot compile it). */
    public static Result compare(Model floatModel, Model quantized, DataFolder eval) {
        List<Value> outputs = floatModel.graph().outputs();
        int batch = Observer.batchSize(floatModel.graph().requiredInputs(), Quantizer.CALIBRATION_BATCH);
        Map<String, Acc> acc = new LinkedHashMap<>();
        for (Value v : outputs) acc.put(v.name(), new Acc());
        long[] labels = eval.labels();
        int[] correct = new int[2];
        int seen = 0;
        try (Session f = Observer.open(floatModel); Session q = Observer.open(quantized)) {
            for (Map<String, Tensor> b : eval.batches(batch)) {
                try (RunResult rf = f.run(b); RunResult rq = q.run(b)) {
                    int n = (int) b.values().iterator().next().shape().dim(0);
                    for (Value v : outputs) acc.get(v.name()).add(rf.get(v.name()), rq.get(v.name()), n);
                    if (labels != null) {
                        Tensor yf = rf.get(0);
                        Tensor yq = rq.get(0);
                        int[] af = argmax(yf.toFloatArrayConverted(), n);
                        int[] aq = argmax(yq.toFloatArrayConverted(), n);
                        for (int i = 0; i < n; i++) {
                            if (af[i] == labels[seen + i]) correct[0]++;
                            if (aq[i] == labels[seen + i]) correct[1]++;
                        }
                    }
                    seen += n;
                }
            }
        }
        List<OutputStats> stats = new ArrayList<>();
        acc.forEach((name, a) -> stats.add(a.stats(name)));
        double af = labels == null ? Double.NaN : correct[0] / (double) seen;
        double aq = labels == null ? Double.NaN : correct[1] / (double) seen;
        return new Result(seen, stats, af, aq);
    }

    /** Index of the largest value in each of {@code n} equal rows. */
    static int[] argmax(float[] v, int n) {
        int c = v.length / n;
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < c; j++) if (v[i * c + j] > v[i * c + best]) best = j;
            r[i] = best;
        }
        return r;
    }

    static double cosine(float[] a, float[] b, int from, int to) {
        double dot = 0, na = 0, nb = 0;
        for (int i = from; i < to; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        if (na == 0 && nb == 0) return 1;
        if (na == 0 || nb == 0) return 0;
        return dot / Math.sqrt(na * nb);
    }

    private static final class Acc {
        double cosMin = Double.POSITIVE_INFINITY, cosSum, maxAbs;
        int samples, agree;
        boolean classes = true;

        void add(Tensor f, Tensor q, int n) {
            float[] a = f.toFloatArrayConverted();
            float[] b = q.toFloatArrayConverted();
            int per = a.length / n;
            classes &= f.shape().rank() == 2 && per > 1;
            for (int i = 0; i < n; i++) {
                double c = cosine(a, b, i * per, (i + 1) * per);
                cosMin = Math.min(cosMin, c);
                cosSum += c;
            }
            for (int i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
            if (classes) {
                int[] af = argmax(a, n);
                int[] aq = argmax(b, n);
                for (int i = 0; i < n; i++) if (af[i] == aq[i]) agree++;
            }
            samples += n;
        }

        OutputStats stats(String name) {
            return new OutputStats(name, cosMin, cosSum / samples, maxAbs, classes ? agree / (double) samples : Double.NaN);
        }
    }
}
