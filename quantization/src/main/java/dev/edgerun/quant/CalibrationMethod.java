package dev.edgerun.quant;

import java.util.Locale;

/** How a calibrated activation range is chosen from the observed values. */
public enum CalibrationMethod {
    /** The observed minimum and maximum. */
    MINMAX,
    /** Clip |x| at a percentile of the observed magnitudes (default 99.999). */
    PERCENTILE,
    /** The clipping threshold minimising the KL divergence between float and quantized histograms. */
    ENTROPY;

    public static CalibrationMethod parse(String s) {
        String k = s.trim().toUpperCase(Locale.ROOT);
        for (CalibrationMethod m : values()) if (m.name().equals(k)) return m;
        throw new IllegalArgumentException("unknown calibration method '" + s + "'; expected minmax, percentile or entropy");
    }
}
