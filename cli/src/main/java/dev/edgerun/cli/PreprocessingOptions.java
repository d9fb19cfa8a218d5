package dev.edgerun.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Overrides of the preprocessing defaults (which follow the model's input shape and its
 * {@code edgerun.preprocess.*} metadata), shared by the verbs that read data folders.
 */
final class PreprocessingOptions {
    @Option(names = "--size", paramLabel = "HxW", description = "image size after resize and center crop (default: the model's input)")
    String size;

    @Option(names = "--channels", paramLabel = "1|3", description = "grayscale (1) or RGB (3) images")
    Integer channels;

    @Option(names = "--layout", paramLabel = "NCHW|NHWC", description = "image layout (default: from the input shape)")
    String layout;

    @Option(names = "--scale", paramLabel = "X", description = "factor on pixel values before mean/std (default: 1/255)")
    String scale;

    @Option(names = "--mean", paramLabel = "M[,M,M]", description = "subtracted per channel after scaling (default: 0)")
    String mean;

    @Option(names = "--std", paramLabel = "S[,S,S]", description = "divides per channel after the mean (default: 1)")
    String std;

    @Option(names = "--sample-rate", paramLabel = "HZ", description = "audio: the model's sample rate (default: 16000)")
    Integer sampleRate;

    @Option(names = "--front-end", paramLabel = "raw|logmel|mfcc", description = "audio: raw samples, log-mel or MFCC (default: raw)")
    String frontEnd;

    @Option(names = "--fft", paramLabel = "N", description = "audio front end: FFT window (default: 512)")
    Integer fft;

    @Option(names = "--hop", paramLabel = "N", description = "audio front end: hop in samples (default: 160)")
    Integer hop;

    @Option(names = "--mels", paramLabel = "N", description = "audio front end: mel bands (default: 40)")
    Integer mels;

    @Option(names = "--mfcc", paramLabel = "N", description = "audio front end: MFCC coefficients (default: 13)")
    Integer mfcc;

    @Option(names = "--strict", description = "stop at the first unreadable data file instead of skipping it")
    boolean strict;

    /** The fields given, by the names {@code Preprocessing.with} takes. */
    Map<String, String> overrides() {
        Map<String, String> m = new LinkedHashMap<>();
        if (size != null) {
            String[] hw = size.toLowerCase(java.util.Locale.ROOT).split("x");
            if (hw.length != 2) throw new IllegalArgumentException("--size " + size + ": expected HxW, such as 224x224");
            m.put("height", hw[0]);
            m.put("width", hw[1]);
        }
        put(m, "channels", channels);
        put(m, "layout", layout);
        put(m, "scale", scale);
        put(m, "mean", mean);
        put(m, "std", std);
        put(m, "sample_rate", sampleRate);
        put(m, "front_end", frontEnd);
        put(m, "fft", fft);
        put(m, "hop", hop);
        put(m, "mels", mels);
        put(m, "mfcc", mfcc);
        return m;
    }

    private static void put(Map<String, String> m, String k, Object v) {
        if (v != null) m.put(k, v.toString());
    }
}
