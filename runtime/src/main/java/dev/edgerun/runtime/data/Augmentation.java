package dev.edgerun.runtime.data;

import java.util.Locale;
import java.util.Random;

/**
 * Random changes applied to preprocessed samples to make more training data from few: images
 * ({@code shift:P} pixels in each direction, {@code flip} left-right, {@code brightness:B} added in
 * the scaled 0..1 domain) and raw audio ({@code timeshift:S} samples, {@code gain:DB}, {@code noise:A}
 * Gaussian amplitude). Parsed from a comma list such as {@code shift:1,brightness:0.1}.
 */
public record Augmentation(int shift, boolean flip, float brightness, int timeShift, float gainDb, float noise) {

    public static Augmentation parse(String spec) {
        int shift = 0, timeShift = 0;
        boolean flip = false;
        float brightness = 0, gain = 0, noise = 0;
        for (String part : spec.split(",")) {
            String[] kv = part.trim().toLowerCase(Locale.ROOT).split(":", 2);
            String v = kv.length > 1 ? kv[1] : "";
            try {
                switch (kv[0]) {
                    case "shift" -> shift = Integer.parseInt(v);
                    case "flip" -> flip = true;
                    case "brightness" -> brightness = Float.parseFloat(v);
                    case "timeshift" -> timeShift = Integer.parseInt(v);
                    case "gain" -> gain = Float.parseFloat(v);
                    case "noise" -> noise = Float.parseFloat(v);
                    default -> throw new IllegalArgumentException("unknown augmentation '" + kv[0]
                            + "'; expected shift:P, flip, brightness:B (images) or timeshift:S, gain:DB, noise:A (audio)");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("augmentation '" + part + "' needs a number after ':'");
            }
        }
        return new Augmentation(shift, flip, brightness, timeShift, gain, noise);
    }

    /** A randomly changed copy of {@code sample} (one preprocessed sample of {@code p}). */
    public float[] apply(float[] sample, Preprocessing p, Random r) {
        boolean image = p.height() > 0 && p.width() > 0 && p.height() * p.width() * p.channels() == sample.length;
        return image ? image(sample, p, r) : audio(sample, r);
    }

    private float[] image(float[] x, Preprocessing p, Random r) {
        int h = p.height(), w = p.width(), c = p.channels();
        int dy = shift > 0 ? r.nextInt(2 * shift + 1) - shift : 0;
        int dx = shift > 0 ? r.nextInt(2 * shift + 1) - shift : 0;
        boolean mirror = flip && r.nextBoolean();
        float delta = brightness > 0 ? (r.nextFloat() * 2 - 1) * brightness * 255 * p.scale() : 0;
        float[] y = new float[x.length];
        for (int ch = 0; ch < c; ch++) {
            float background = (0 - p.meanOf(ch)) / p.stdOf(ch); // a black pixel fills what shifts in
            for (int row = 0; row < h; row++) {
                for (int col = 0; col < w; col++) {
                    int sr = row - dy, sc = mirror ? w - 1 - (col - dx) : col - dx;
                    float v = sr >= 0 && sr < h && sc >= 0 && sc < w ? x[index(p, ch, sr, sc)] : background;
                    y[index(p, ch, row, col)] = v + delta / p.stdOf(ch);
                }
            }
        }
        return y;
    }

    private static int index(Preprocessing p, int ch, int row, int col) {
        return p.layout() == Preprocessing.Layout.NCHW ? (ch * p.height() + row) * p.width() + col
                : (row * p.width() + col) * p.channels() + ch;
    }

    private float[] audio(float[] x, Random r) {
        int s = timeShift > 0 ? r.nextInt(2 * timeShift + 1) - timeShift : 0;
        float g = gainDb > 0 ? (float) Math.pow(10, (r.nextFloat() * 2 - 1) * gainDb / 20) : 1f;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int from = i - s;
            float v = from >= 0 && from < x.length ? x[from] : 0f;
            y[i] = v * g + (noise > 0 ? (float) (r.nextGaussian() * noise) : 0f);
        }
        return y;
    }
}
