package dev.edgerun.finetune;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.RunResult;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.data.DataFolder;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Top-1 accuracy, per-class accuracy and the confusion matrix of a classifier on labelled samples.
 * Data classes are matched to the model's classes by name when the model stores class names
 * ({@link Labels}); otherwise class {@code i} of the folder is output {@code i} of the model.
 *
 * @param classes   the model's class names (or output indices)
 * @param confusion [true class][predicted class] counts
 * @param predictions the predicted model class of every sample, in order
 */
public record Evaluation(List<String> classes, long[][] confusion, int[] predictions, int count, int correct) {

    public double accuracy() {
        return count == 0 ? 0 : (double) correct / count;
    }

    /** Accuracy of each class with samples (NaN for a class without samples). */
    public double[] perClassAccuracy() {
        double[] a = new double[classes.size()];
        for (int c = 0; c < a.length; c++) {
            long total = Arrays.stream(confusion[c]).sum();
            a[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
        }
        return a;
    }

    public static Evaluation run(Model model, DataFolder.Samples samples, SessionOptions options, int batch) {
        if (samples.labels() == null) throw new FinetuneException("the data folder has no labels to evaluate against");
        List<String> modelClasses = Labels.of(model.metadata());
        int[] target = targets(samples, modelClasses);
        try (Session s = Edgerun.session(model, options)) {
            int[] predictions = predict(s, samples.data(), samples.sampleShape(), samples.count(), batch);
            int k = modelClasses.isEmpty() ? Math.max(samples.classes().size(), max(predictions) + 1) : modelClasses.size();
            List<String> names = modelClasses.isEmpty() ? indexNames(k, samples.classes()) : modelClasses;
            long[][] confusion = new long[k][k];
            int correct = 0;
            for (int i = 0; i < predictions.length; i++) {
                if (target[i] >= k) throw new FinetuneException("label " + samples.classes().get(samples.labels()[i]) + " has no model output");
                confusion[target[i]][Math.min(predictions[i], k - 1)]++;
                if (target[i] == predictions[i]) correct++;
            }
            return new Evaluation(names, confusion, predictions, predictions.length, correct);
        }
    }

    /** The argmax of the first output for every sample, run in batches (one by one for a fixed batch of 1). */
    public static int[] predict(Session s, float[] data, int[] sampleShape, int n, int batch) {
        Value in = s.inputs().get(0);
        long fixed = in.shape().rank() > 0 ? in.shape().dim(0) : -1;
        int step = fixed > 0 ? (int) fixed : batch;
        int per = 1;
        for (int d : sampleShape) per *= d;
        int[] out = new int[n];
        for (int start = 0; start < n; start += step) {
            int rows = fixed > 0 ? step : Math.min(step, n - start);
            int count = Math.min(rows, n - start);
            float[] chunk = Arrays.copyOfRange(data, start * per, start * per + rows * per);
            long[] dims = new long[sampleShape.length + 1];
            dims[0] = rows;
            for (int i = 0; i < sampleShape.length; i++) dims[i + 1] = sampleShape[i];
            try (Tensor x = Tensor.of(chunk, dims); RunResult r = s.run(Map.of(in.name(), x))) {
                float[] y = r.get(0).toFloatArrayConverted();
                int k = y.length / rows;
                for (int i = 0; i < count; i++) {
                    int best = 0;
                    for (int j = 1; j < k; j++) if (y[i * k + j] > y[i * k + best]) best = j;
                    out[start + i] = best;
                }
            }
        }
        return out;
    }

    private static int[] targets(DataFolder.Samples samples, List<String> modelClasses) {
        int[] t = new int[samples.count()];
        for (int i = 0; i < t.length; i++) {
            String name = samples.classes().get(samples.labels()[i]);
            if (modelClasses.isEmpty()) t[i] = samples.labels()[i];
            else {
                t[i] = modelClasses.indexOf(name);
                if (t[i] < 0) throw new FinetuneException("data class '" + name + "' is not one of the model's classes " + modelClasses);
            }
        }
        return t;
    }

    private static List<String> indexNames(int k, List<String> dataClasses) {
        List<String> n = new ArrayList<>();
        for (int i = 0; i < k; i++) n.add(i < dataClasses.size() ? dataClasses.get(i) : Integer.toString(i));
        return n;
    }

    private static int max(int[] v) {
        int m = 0;
        for (int x : v) m = Math.max(m, x);
        return m;
    }
}
