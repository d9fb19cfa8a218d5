package dev.edgerun.devices.tune;

import dev.edgerun.runtime.SessionOptions;
import java.nio.file.Path;

/**
 * One point of the tuning grid: which model file (the original or its int8 variant), engine, device
 * and intra-op thread count.
 *
 * @param variant {@code model} for the file given, {@code int8} for the quantized one
 */
public record Configuration(String variant, Path modelFile, String engine, String device, int threads) {

    /** Session options that run this configuration (one device named: strict). */
    public SessionOptions sessionOptions() {
        return SessionOptions.builder().engine(engine).devices(device).threads(threads).build();
    }

    @Override
    public String toString() {
        return variant + " " + engine + " " + device + " " + threads + "t";
    }
}
