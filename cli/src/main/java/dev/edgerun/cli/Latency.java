package dev.edgerun.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Latency samples of one engine, in nanoseconds, and their summary in microseconds. */
final class Latency {
    private long[] samples = new long[256];
    private int count;

    void add(long nanos) {
        if (count == samples.length) samples = Arrays.copyOf(samples, count * 2);
        samples[count++] = nanos;
    }

    int count() {
        return count;
    }

    /** The {@code p}-th percentile (nearest rank) in microseconds. */
    double percentileMicros(double p) {
        long[] sorted = Arrays.copyOf(samples, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.clamp(rank - 1, 0, count - 1)] / 1000.0;
    }

    double meanMicros() {
        long sum = 0;
        for (int i = 0; i < count; i++) sum += samples[i];
        return sum / 1000.0 / count;
    }

    /** median_us, p90_us, p99_us, mean_us, min_us, max_us, throughput_per_s, runs. */
    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("median_us", percentileMicros(50));
        m.put("p90_us", percentileMicros(90));
        m.put("p99_us", percentileMicros(99));
        m.put("mean_us", meanMicros());
        m.put("min_us", percentileMicros(0));
        m.put("max_us", percentileMicros(100));
        m.put("throughput_per_s", 1e6 / meanMicros());
        m.put("runs", count);
        return m;
    }
}
