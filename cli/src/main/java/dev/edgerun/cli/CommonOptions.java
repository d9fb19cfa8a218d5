package dev.edgerun.cli;

import dev.edgerun.devices.tune.AutoOptions;
import dev.edgerun.runtime.SessionOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options every verb shares: engine, device, threads, {@code --json} and {@code --verbose}. */
final class CommonOptions {

    @Option(names = "--engine", paramLabel = "ENGINE",
            description = "native or onnxruntime (default: ${DEFAULT-VALUE})", defaultValue = "native")
    String engine;

    @Option(names = "--device", paramLabel = "DEVICE", split = ",",
            description = "device(s) in preference order: cpu, cuda, tensorrt, nnapi, ... (see 'edgerun devices'); one device "
                    + "must be there, a list falls back to the next; without --engine a device other than cpu selects onnxruntime")
    List<String> devices = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "intra-op threads (default: the engine's choice)")
    int threads;

    @Option(names = "--json", description = "print one JSON document on standard output instead of text")
    boolean json;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Option(names = "--profile", paramLabel = "auto",
            description = "auto: use what 'edgerun tune MODEL' measured fastest here (model variant, engine, device, "
                    + "threads; it wins over --engine/--device/--threads); without a profile the flags apply")
    String profile;

    /**
     * The tuned choice for {@code model} under {@code --profile auto}, announced on {@code err}; empty
     * without {@code --profile} or when this model has no profile from this machine (also announced).
     */
    Optional<AutoOptions> tuned(Path model, PrintWriter err) {
        if (profile == null) return Optional.empty();
        if (!profile.equals("auto")) throw new IllegalArgumentException("--profile " + profile + ": expected 'auto'");
        Optional<AutoOptions> auto = AutoOptions.forModel(model);
        err.println(auto.map(AutoOptions::summary).orElse("no tuning profile for " + model
                + " from this machine (run 'edgerun tune " + model + "'); using the flags"));
        err.flush();
        return auto;
    }

    /** Session options for {@code engineName} from these flags. */
    SessionOptions sessionOptions(String engineName) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        return SessionOptions.builder().engine(engineName).devices(devices).threads(threads).build();
    }

    SessionOptions sessionOptions() {
        return sessionOptions(engineForDevices());
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    /** {@code --engine}; when it was not given but {@code --device} names more than the cpu, onnxruntime (whose providers those are). */
    String engineForDevices() {
        boolean explicit = mixee != null && mixee.commandLine().getParseResult() != null
                && mixee.commandLine().getParseResult().hasMatchedOption("--engine");
        if (explicit || devices.stream().allMatch(d -> d.equalsIgnoreCase("cpu"))) return engine;
        return "onnxruntime";
    }
}
