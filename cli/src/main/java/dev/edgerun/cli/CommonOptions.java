package dev.edgerun.cli;

import dev.edgerun.runtime.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every verb shares: engine, device, threads, {@code --json} and {@code --verbose}. */
final class CommonOptions {

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "native or onnxruntime (default: ${DEFAULT-VALUE})", defaultValue = "native")
    String engine;

    @Option(names = "--device", paramLabel = "DEVICE", split = ",",
            description = "device(s) in preference order: cpu, cuda, nnapi, ... (default: the engine's choice)")
    List<String> devices = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "intra-op threads (default: the engine's choice)")
    int threads;

    @Option(names = "--json", description = "print one JSON document on standard output instead of text")
    boolean json;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    /** Session options for {@code engineName} from these flags. */
    SessionOptions sessionOptions(String engineName) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        return SessionOptions.builder().engine(engineName).devices(devices).threads(threads).build();
    }

    SessionOptions sessionOptions() {
        return sessionOptions(engine);
    }
}
