package dev.edgerun.runtime;

import dev.edgerun.runtime.ir.Model;

/**
 * An execution engine, found through {@link java.util.ServiceLoader}. Implementations must not
 * throw during discovery: a missing native library is reported by {@link #availability()}.
 */
public interface Engine {

    /** Whether this engine can run here, and if not, why and what to install. */
    record Availability(boolean available, String detail) {
        public static Availability yes(String detail) { return new Availability(true, detail); }
        public static Availability no(String why) { return new Availability(false, why); }
    }

    /** The name used in {@link SessionOptions#engine()} and on the command line ({@code native}, {@code onnxruntime}). */
    String name();

    Availability availability();

    /**
     * Prepares {@code model} for repeated execution. The model must stay open while the session
     * is used. Throws {@link UnsupportedOperatorException} listing every node it cannot run.
     */
    Session compile(Model model, SessionOptions options);
}
