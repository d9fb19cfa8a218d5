package dev.edgerun.devices.tune;

import dev.edgerun.devices.probe.DeviceProbe;
import dev.edgerun.runtime.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code SessionOptions.auto()} for a model file: the options (and the model file, which may be the
 * int8 variant) that {@code edgerun tune} measured fastest on this machine.
 *
 * <pre>{@code
 * AutoOptions auto = AutoOptions.forModel(Path.of("kws.onnx")).orElseThrow();
 * try (Model m = Edgerun.load(auto.modelFile()); Session s = Edgerun.session(m, auto.options())) { ... }
 * }</pre>
 */
public record AutoOptions(Path modelFile, SessionOptions options, TuningProfile profile) {

    /** The tuned choice for {@code model} from the standard profile folder, if it was tuned on this CPU. */
    public static Optional<AutoOptions> forModel(Path model) {
        return forModel(model, ProfileStore.standard());
    }

    public static Optional<AutoOptions> forModel(Path model, ProfileStore store) {
        String cpu = DeviceProbe.local().probe().cpuModel();
        return store.find(model)
                .filter(p -> Objects.equals(p.cpu(), cpu))
                .filter(p -> Files.isRegularFile(p.best().modelFile()))
                .map(p -> new AutoOptions(p.best().modelFile(), p.sessionOptions(), p));
    }

    /** One line for logs and {@code run} output: what was chosen and how fast it measured. */
    public String summary() {
        return "tuned profile: " + profile.best() + " (" + String.format(java.util.Locale.ROOT, "%.3f", profile.bestMedianMs())
                + " ms median, measured " + profile.measuredAt() + ")";
    }
}
