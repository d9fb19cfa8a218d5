package dev.edgerun.devices.tune;

/**
 * What one configuration measured: median and 90th percentile latency over {@code runs} timed runs,
 * or why it could not run ({@code error} non-null, times NaN).
 */
public record Measurement(Configuration configuration, double medianMs, double p90Ms, int runs, String description,
                          String error) {

    public boolean ok() {
        return error == null;
    }

    static Measurement failed(Configuration c, String why) {
        return new Measurement(c, Double.NaN, Double.NaN, 0, null, why);
    }
}
