package dev.edgerun.quant;

import dev.edgerun.runtime.Tensor;
import dev.edgerun.runtime.ir.Model;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Calibrated ranges of activation tensors: runs the float model over the calibration samples
 * with the tensors exposed as outputs. MinMax needs one pass; Percentile and Entropy a second pass
 * that builds a histogram of |x| over [0, max|x|] per tensor.
 */
final class Calibrator {
    static final int BINS = 2048;
    /** Quantized bins the KL search compares against (as TensorRT and ONNX Runtime do for int8). */
    static final int QUANTIZED_BINS = 128;

    /** The range chosen for one tensor ({@code min <= 0 <= max}). */
    record Range(float min, float max) {}

    private final CalibrationMethod method;
    private final double percentile;

    Calibrator(CalibrationMethod method, double percentile) {
        this.method = method;
        this.percentile = percentile;
    }

    Map<String, Range> calibrate(Model model, List<String> tensors, List<Map<String, Tensor>> batches) {
        Map<String, float[]> minMax = new LinkedHashMap<>();
        for (String t : tensors) minMax.put(t, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
        Observer.run(model, tensors, batches, (b, r) -> {
            for (String t : tensors) {
                float[] v = Observer.value(b, r, t).toFloatArrayConverted();
                float[] mm = minMax.get(t);
                for (float x : v) {
                    if (x < mm[0]) mm[0] = x;
                    if (x > mm[1]) mm[1] = x;
                }
            }
        });
        Map<String, Range> ranges = new LinkedHashMap<>();
        if (method == CalibrationMethod.MINMAX) {
            minMax.forEach((t, mm) -> ranges.put(t, new Range(Math.min(0, mm[0]), Math.max(0, mm[1]))));
            return ranges;
        }
        Map<String, long[]> histograms = new LinkedHashMap<>();
        Map<String, Float> absMax = new LinkedHashMap<>();
        for (String t : tensors) {
            histograms.put(t, new long[BINS]);
            float[] mm = minMax.get(t);
            absMax.put(t, Math.max(Math.abs(mm[0]), Math.abs(mm[1])));
        }
        Observer.run(model, tensors, batches, (b, r) -> {
            for (String t : tensors) addToHistogram(histograms.get(t), absMax.get(t), Observer.value(b, r, t).toFloatArrayConverted());
        });
        for (String t : tensors) {
            float[] mm = minMax.get(t);
            float width = absMax.get(t) / BINS;
            float threshold = width == 0 ? 0 : width * (method == CalibrationMethod.PERCENTILE
                    ? percentileBin(histograms.get(t), percentile) : entropyBin(histograms.get(t)));
            ranges.put(t, new Range(Math.min(0, Math.max(mm[0], -threshold)), Math.max(0, Math.min(mm[1], threshold))));
        }
        return ranges;
    }

    static void addToHistogram(long[] hist, float absMax, float[] values) {
        if (absMax == 0) {
            hist[0] += values.length;
            return;
        }
        float perBin = hist.length / absMax;
        for (float x : values) hist[Math.min(hist.length - 1, (int) (Math.abs(x) * perBin))]++;
    }

    /** The number of bins (from 0) that hold {@code percentile} percent of the values. */
    static int percentileBin(long[] hist, double percentile) {
        long total = 0;
        for (long c : hist) total += c;
        double keep = total * percentile / 100.0;
        long seen = 0;
        for (int i = 0; i < hist.length; i++) {
            seen += hist[i];
            if (seen >= keep) return i + 1;
        }
        return hist.length;
    }

    /**
     * The number of bins (from 0) whose clipping threshold minimises KL(P || Q), P the observed
     * distribution with the clipped tail folded into its last bin, Q that distribution merged into
     * {@link #QUANTIZED_BINS} levels and expanded back over P's non-empty bins.
     */
    static int entropyBin(long[] observed) {
        // The zero bin (ReLU outputs, padding) would dominate P and pull the threshold to zero; it is
        // flattened to its neighbour's count, as NVIDIA's pytorch-quantization does.
        long[] hist = observed.clone();
        hist[0] = hist[1];
        // Data with few distinct values (pixels k/16, one-hot features) has no tail worth clipping,
        // and KL over a comb of spikes is meaningless: keep the full range.
        int nonEmpty = 0;
        for (long c : observed) if (c != 0) nonEmpty++;
        if (nonEmpty < QUANTIZED_BINS) return hist.length;
        int best = hist.length;
        double bestKl = Double.POSITIVE_INFINITY;
        long tail = 0;
        for (int i = hist.length - 1; i >= QUANTIZED_BINS; i--) tail += hist[i];
        for (int i = QUANTIZED_BINS; i <= hist.length; i++) {
            // tail = sum of hist[i..]; the loop below keeps it current.
            double kl = divergence(hist, i, tail);
            if (kl < bestKl) {
                bestKl = kl;
                best = i;
            }
            if (i < hist.length) tail -= hist[i];
        }
        return best;
    }

    private static double divergence(long[] hist, int bins, long tail) {
        double[] p = new double[bins];
        for (int j = 0; j < bins; j++) p[j] = hist[j];
        p[bins - 1] += tail; // values beyond the threshold are clipped to it
        double[] q = new double[bins];
        double step = (double) bins / QUANTIZED_BINS;
        for (int k = 0; k < QUANTIZED_BINS; k++) {
            int from = (int) Math.floor(k * step);
            int to = k == QUANTIZED_BINS - 1 ? bins : (int) Math.floor((k + 1) * step);
            double sum = 0;
            int nonEmpty = 0;
            for (int j = from; j < to; j++) {
                sum += hist[j];
                if (hist[j] != 0) nonEmpty++;
            }
            for (int j = from; j < to; j++) q[j] = hist[j] == 0 || nonEmpty == 0 ? 0 : sum / nonEmpty;
        }
        double pSum = 0, qSum = 0;
        for (int j = 0; j < bins; j++) {
            pSum += p[j];
            qSum += q[j];
        }
        if (pSum == 0 || qSum == 0) return Double.POSITIVE_INFINITY;
        double kl = 0;
        for (int j = 0; j < bins; j++) {
            if (p[j] == 0) continue;
            double pj = p[j] / pSum;
            double qj = q[j] / qSum;
            if (qj == 0) return Double.POSITIVE_INFINITY; // P has mass where Q has none
            kl += pj * Math.log(pj / qj);
        }
        return kl;
    }
}
