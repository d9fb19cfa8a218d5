package dev.edgerun.runtime.data;

import dev.edgerun.runtime.Shape;
import dev.edgerun.runtime.ir.Value;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * How images and audio become a model input: one sample of {@link #sampleShape} (no batch axis).
 * {@link #forInput} takes the defaults from the model's input shape and from the model metadata
 * keys {@code edgerun.preprocess.<field>} (the same names as the fields: {@code scale},
 * {@code mean}, {@code std}, {@code layout}, {@code channels}, {@code sample_rate},
 * {@code front_end}, ...), which {@link #toMetadata} writes.
 *
 * @param sampleShape shape of one preprocessed sample, as the model takes it (no batch axis)
 * @param layout      NCHW (channels first) or NHWC for images
 * @param channels    1 (grayscale) or 3 (RGB) for images
 * @param height      image height after resize and center crop
 * @param width       image width after resize and center crop
 * @param scale       factor applied to pixel values 0..255 (and to integer image arrays) before mean/std
 * @param mean        per channel, subtracted after scaling (length 1 or channels)
 * @param std         per channel, divides after the mean
 * @param sampleRate  audio: the model's sample rate; files at other rates are resampled
 * @param frontEnd    audio: raw samples, log-mel spectrogram or MFCC
 * @param fftSize     audio front end: FFT window in samples
 * @param hop         audio front end: hop in samples
 * @param mels        audio front end: mel bands
 * @param mfcc        audio front end: MFCC coefficients kept
 */
public record Preprocessing(int[] sampleShape, Layout layout, int channels, int height, int width, float scale,
                            float[] mean, float[] std, int sampleRate, FrontEnd frontEnd, int fftSize, int hop,
                            int mels, int mfcc) {

    public enum Layout { NCHW, NHWC }

    public enum FrontEnd {
        RAW, LOGMEL, MFCC;

        public static FrontEnd parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "raw" -> RAW;
                case "logmel", "log-mel" -> LOGMEL;
                case "mfcc" -> MFCC;
                default -> throw new IllegalArgumentException("unknown audio front end '" + s + "'; expected raw, logmel or mfcc");
            };
        }
    }

    public static final String METADATA_PREFIX = "edgerun.preprocess.";

    public Preprocessing {
        sampleShape = sampleShape.clone();
        mean = mean.clone();
        std = std.clone();
        if (channels != 1 && channels != 3) throw new IllegalArgumentException("images have 1 or 3 channels, got " + channels);
        if (mean.length != 1 && mean.length != channels) throw new IllegalArgumentException("mean needs 1 or " + channels + " values");
        if (std.length != 1 && std.length != channels) throw new IllegalArgumentException("std needs 1 or " + channels + " values");
        for (float s : std) if (s == 0) throw new IllegalArgumentException("std must not be 0");
    }

    /** Defaults for a model input ({@code [batch, ...]}), overridden by its preprocessing metadata. */
    public static Preprocessing forInput(Value input, Map<String, String> metadata) {
        Shape s = input.shape();
        int[] sample = new int[Math.max(0, s.rank() - 1)];
        for (int i = 1; i < s.rank(); i++) sample[i - 1] = s.dim(i) > 0 ? (int) s.dim(i) : -1;
        Preprocessing p = imageDefaults(sample);
        return p.withMetadata(metadata);
    }

    /** Image defaults read from a per-sample shape: (C, H, W) or (H, W, C) with C in {1, 3}, or (H, W). */
    public static Preprocessing imageDefaults(int[] sample) {
        Layout layout = Layout.NCHW;
        int c = 1, h = -1, w = -1;
        if (sample.length == 3 && (sample[0] == 1 || sample[0] == 3)) {
            c = sample[0]; h = sample[1]; w = sample[2];
        } else if (sample.length == 3 && (sample[2] == 1 || sample[2] == 3)) {
            layout = Layout.NHWC; c = sample[2]; h = sample[0]; w = sample[1];
        } else if (sample.length == 2) {
            h = sample[0]; w = sample[1];
        }
        return new Preprocessing(sample, layout, c, h, w, 1f / 255, new float[] {0}, new float[] {1},
                16000, FrontEnd.RAW, 512, 160, 40, 13);
    }

    /** This preprocessing with the values of {@code edgerun.preprocess.*} metadata entries. */
    public Preprocessing withMetadata(Map<String, String> metadata) {
        Preprocessing p = this;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey().startsWith(METADATA_PREFIX)) p = p.with(e.getKey().substring(METADATA_PREFIX.length()), e.getValue());
        }
        return p;
    }

    /** This preprocessing with one field set from text (the names of {@link #toMetadata}). */
    public Preprocessing with(String field, String value) {
        String v = value.trim();
        return switch (field) {
            case "layout" -> new Preprocessing(sampleShape, Layout.valueOf(v.toUpperCase(Locale.ROOT)), channels, height, width, scale, mean, std, sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "channels" -> new Preprocessing(sampleShape, layout, Integer.parseInt(v), height, width, scale, resize(mean, Integer.parseInt(v)), resize(std, Integer.parseInt(v)), sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "height" -> new Preprocessing(sampleShape, layout, channels, Integer.parseInt(v), width, scale, mean, std, sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "width" -> new Preprocessing(sampleShape, layout, channels, height, Integer.parseInt(v), scale, mean, std, sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "scale" -> new Preprocessing(sampleShape, layout, channels, height, width, Float.parseFloat(v), mean, std, sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "mean" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, floats(v), std, sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "std" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, floats(v), sampleRate, frontEnd, fftSize, hop, mels, mfcc);
            case "sample_rate" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, Integer.parseInt(v), frontEnd, fftSize, hop, mels, mfcc);
            case "front_end" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, sampleRate, FrontEnd.parse(v), fftSize, hop, mels, mfcc);
            case "fft" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, sampleRate, frontEnd, Integer.parseInt(v), hop, mels, mfcc);
            case "hop" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, sampleRate, frontEnd, fftSize, Integer.parseInt(v), mels, mfcc);
            case "mels" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, sampleRate, frontEnd, fftSize, hop, Integer.parseInt(v), mfcc);
            case "mfcc" -> new Preprocessing(sampleShape, layout, channels, height, width, scale, mean, std, sampleRate, frontEnd, fftSize, hop, mels, Integer.parseInt(v));
            default -> throw new IllegalArgumentException("unknown preprocessing field '" + field
                    + "'; expected layout, channels, height, width, scale, mean, std, sample_rate, front_end, fft, hop, mels or mfcc");
        };
    }

    /** The metadata entries that make {@link #forInput} reproduce this preprocessing. */
    public Map<String, String> toMetadata() {
        return Map.ofEntries(
                Map.entry(METADATA_PREFIX + "layout", layout.name()),
                Map.entry(METADATA_PREFIX + "channels", Integer.toString(channels)),
                Map.entry(METADATA_PREFIX + "scale", Float.toString(scale)),
                Map.entry(METADATA_PREFIX + "mean", join(mean)),
                Map.entry(METADATA_PREFIX + "std", join(std)),
                Map.entry(METADATA_PREFIX + "sample_rate", Integer.toString(sampleRate)),
                Map.entry(METADATA_PREFIX + "front_end", frontEnd.name().toLowerCase(Locale.ROOT)),
                Map.entry(METADATA_PREFIX + "fft", Integer.toString(fftSize)),
                Map.entry(METADATA_PREFIX + "hop", Integer.toString(hop)),
                Map.entry(METADATA_PREFIX + "mels", Integer.toString(mels)),
                Map.entry(METADATA_PREFIX + "mfcc", Integer.toString(mfcc)));
    }

    /** Values per sample, or -1 when the shape has an unknown dimension. */
    public int sampleSize() {
        int n = 1;
        for (int d : sampleShape) {
            if (d < 0) return -1;
            n *= d;
        }
        return n;
    }

    public float meanOf(int c) { return mean.length == 1 ? mean[0] : mean[c]; }
    public float stdOf(int c) { return std.length == 1 ? std[0] : std[c]; }

    private static float[] resize(float[] v, int n) {
        return v.length == 1 || v.length == n ? v : new float[] {v[0]};
    }

    private static float[] floats(String v) {
        String[] parts = v.split(",");
        float[] f = new float[parts.length];
        for (int i = 0; i < parts.length; i++) f[i] = Float.parseFloat(parts[i].trim());
        return f;
    }

    private static String join(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float f : v) b.append(b.isEmpty() ? "" : ",").append(f);
        return b.toString();
    }

    @Override
    public String toString() {
        return "Preprocessing" + Arrays.toString(sampleShape) + " " + layout + " " + channels + "ch " + height + "x" + width
                + " scale " + scale + " mean " + Arrays.toString(mean) + " std " + Arrays.toString(std)
                + " audio " + sampleRate + " Hz " + frontEnd;
    }
}
