package dev.edgerun.runtime;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to compile a session: which engine, which devices in order of preference, threads, memory
 * limit, optimization level and what to do when a device is missing.
 *
 * @param engine        {@code native} or {@code onnxruntime} (or any engine's name)
 * @param devices       devices/providers in preference order, e.g. {@code [cuda, cpu]}; empty = engine default
 * @param threads       intra-op threads; 0 = engine default
 * @param memoryLimit   bytes the session may plan for activations; 0 = unlimited
 * @param fallback      {@code STRICT}: fail when the first device is unavailable; {@code FALLBACK}: try the next
 * @param providerOptions engine-specific options, {@code key=value}
 */
public record SessionOptions(String engine, List<String> devices, int threads, long memoryLimit,
                             OptimizationLevel optimization, FallbackPolicy fallback,
                             Map<String, String> providerOptions) {

    public enum OptimizationLevel { NONE, BASIC, ALL }

    public enum FallbackPolicy { STRICT, FALLBACK }

    public SessionOptions {
        devices = List.copyOf(devices);
        providerOptions = Map.copyOf(providerOptions);
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    }

    public static SessionOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder().engine(engine).devices(devices).threads(threads).memoryLimit(memoryLimit)
                .optimization(optimization).fallback(fallback);
        b.providerOptions.putAll(providerOptions);
        return b;
    }

    public static final class Builder {
        private String engine = "native";
        private List<String> devices = List.of();
        private int threads = 0;
        private long memoryLimit = 0;
        private OptimizationLevel optimization = OptimizationLevel.ALL;
        private FallbackPolicy fallback = null;
        private final Map<String, String> providerOptions = new LinkedHashMap<>();

        public Builder engine(String e) { this.engine = e; return this; }
        public Builder devices(List<String> d) { this.devices = d; return this; }
        public Builder devices(String... d) { this.devices = List.of(d); return this; }
        public Builder threads(int t) { this.threads = t; return this; }
        public Builder memoryLimit(long bytes) { this.memoryLimit = bytes; return this; }
        public Builder optimization(OptimizationLevel o) { this.optimization = o; return this; }
        public Builder fallback(FallbackPolicy f) { this.fallback = f; return this; }
        public Builder providerOption(String key, String value) { providerOptions.put(key, value); return this; }

        public SessionOptions build() {
            // Naming exactly one device means "that one or fail"; a list means "best of these".
            FallbackPolicy f = fallback != null ? fallback
                    : devices.size() == 1 ? FallbackPolicy.STRICT : FallbackPolicy.FALLBACK;
            return new SessionOptions(engine, devices, threads, memoryLimit, optimization, f, providerOptions);
        }
    }
}
