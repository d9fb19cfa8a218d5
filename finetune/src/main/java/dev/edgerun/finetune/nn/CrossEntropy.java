package dev.edgerun.finetune.nn;

/**
 * Softmax cross-entropy on logits, with optional class weights (the loss of a sample is scaled by
 * its class's weight; the batch loss is the weighted mean) and label smoothing (the target puts
 * {@code 1 - s} on the label and {@code s / classes} on every class).
 */
public final class CrossEntropy {
    private final float[] classWeights; // null: all 1
    private final float smoothing;

    public CrossEntropy(float[] classWeights, float smoothing) {
        if (smoothing < 0 || smoothing >= 1) throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + smoothing);
        this.classWeights = classWeights == null ? null : classWeights.clone();
        this.smoothing = smoothing;
    }

    public static CrossEntropy plain() {
        return new CrossEntropy(null, 0);
    }

    /** Loss and its gradient with respect to the logits. */
    public record Result(double loss, float[] gradient, int correct) {}

    /** {@code logits}: (batch, classes); {@code labels}: (batch). */
    public Result compute(float[] logits, int[] labels, int batch) {
        int k = logits.length / batch;
        float[] grad = new float[logits.length];
        double total = 0, weightSum = 0;
        int correct = 0;
        float[] p = new float[k];
        for (int b = 0; b < batch; b++) {
            int o = b * k;
            int label = labels[b];
            if (label < 0 || label >= k) throw new IllegalArgumentException("label " + label + " outside [0, " + k + ")");
            float max = Float.NEGATIVE_INFINITY;
            int arg = 0;
            for (int j = 0; j < k; j++) if (logits[o + j] > max) { max = logits[o + j]; arg = j; }
            if (arg == label) correct++;
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.exp(logits[o + j] - max);
            double logSum = Math.log(sum) + max;
            double w = classWeights == null ? 1 : classWeights[label];
            double loss = 0;
            for (int j = 0; j < k; j++) {
                double target = (j == label ? 1 - smoothing : 0) + smoothing / k;
                double logP = logits[o + j] - logSum;
                loss -= target * logP;
                p[j] = (float) Math.exp(logP);
                grad[o + j] = (float) (w * (p[j] - target));
            }
            total += w * loss;
            weightSum += w;
        }
        float scale = (float) (1 / weightSum);
        for (int i = 0; i < grad.length; i++) grad[i] *= scale;
        return new Result(total / weightSum, grad, correct);
    }
}
