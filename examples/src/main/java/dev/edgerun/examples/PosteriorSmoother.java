package dev.edgerun.examples;

/**
 * Moving average of the last {@code windows} posterior vectors: one noisy window cannot fire a
 * detection on its own. Ring buffer and running sums are allocated once.
 */
final class PosteriorSmoother {
    private final int classes;
    private final int windows;
    private final float[] history;   // (windows, classes) ring of the last posteriors
    private final double[] sum;      // (classes) sum over the ring
    private final float[] smoothed;  // (classes) the latest average
    private int next;
    private int filled;

    PosteriorSmoother(int classes, int windows) {
        if (windows < 1) throw new IllegalArgumentException("smoothing needs at least 1 window, got " + windows);
        this.classes = classes;
        this.windows = windows;
        this.history = new float[windows * classes];
        this.sum = new double[classes];
        this.smoothed = new float[classes];
    }

    /** Adds one posterior vector and returns the average over the windows seen (at most {@code windows}). */
    float[] add(float[] posterior) {
        int at = next * classes;
        for (int c = 0; c < classes; c++) {
            if (filled == windows) sum[c] -= history[at + c];
            history[at + c] = posterior[c];
            sum[c] += posterior[c];
        }
        next = next + 1 == windows ? 0 : next + 1;
        if (filled < windows) filled++;
        for (int c = 0; c < classes; c++) smoothed[c] = (float) (sum[c] / filled);
        return smoothed;
    }

    void reset() {
        java.util.Arrays.fill(sum, 0);
        next = 0;
        filled = 0;
    }
}
