package dev.edgerun.devices;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.ir.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code onnxruntime} engine: ONNX Runtime through its Java API, on the CPU provider (other
 * execution providers come with a later issue).
 *
 * <p>An unchanged imported model is handed to ONNX Runtime as its original file (so external
 * data resolves next to it) or bytes; any other model is written back to ONNX from the IR first.
 * Discovery never touches ONNX Runtime's classes: a missing native library shows up in
 * {@link #availability()}, not as an error while engines are listed.
 */
public final class OnnxRuntimeEngine implements Engine {
    public static final String NAME = "onnxruntime";

    /** Session config key: idle intra-op threads spin by default, which burns a core on a small board. */
    private static final String ALLOW_SPINNING = "session.intra_op.allow_spinning";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability availability() {
        return NativeLibrary.AVAILABILITY;
    }

    /** The loaded ONNX Runtime version, or "unavailable". */
    public static String ortVersion() {
        return NativeLibrary.AVAILABILITY.available() ? NativeLibrary.environment().getVersion() : "unavailable";
    }

    /** The execution providers compiled into the loaded ONNX Runtime build (empty when it cannot load). */
    public static List<String> availableProviders() {
        if (!NativeLibrary.AVAILABILITY.available()) return List.of();
        List<String> r = new ArrayList<>();
        for (var p : OrtEnvironment.getAvailableProviders()) r.add(p.getName());
        return r;
    }

    @Override
    public Session compile(Model model, SessionOptions options) {
        Availability a = availability();
        if (!a.available()) throw new EngineUnavailableException("engine '" + NAME + "' cannot run here: " + a.detail());
        String device = chooseDevice(options);
        String label = label(model);
        OrtEnvironment env = NativeLibrary.environment();
        String description = NAME + " " + env.getVersion() + " on " + device
                + (options.threads() > 0 ? ", " + options.threads() + " intra-op threads" : ", default threads");
        OrtSession session;
        try (OrtSession.SessionOptions so = sessionOptions(options)) {
            session = createSession(env, model, so);
        } catch (OrtException e) {
            throw OrtErrors.atCompile(label, model.onnxOpset(), e);
        }
        try {
            return new OnnxRuntimeSession(env, session, model, label, description);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session, e);
            throw e instanceof OrtException oe ? OrtErrors.atCompile(label, model.onnxOpset(), oe) : (RuntimeException) e;
        }
    }

    private static void closeQuietly(OrtSession session, Exception cause) {
        try {
            session.close();
        } catch (OrtException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    /** The first device of {@code options} this build can use; only {@code cpu} for now. */
    private static String chooseDevice(SessionOptions options) {
        List<String> refused = new ArrayList<>();
        for (String d : options.devices()) {
            if (d.equalsIgnoreCase("cpu")) return "cpu";
            String why = "device '" + d + "' is not available in this build of the " + NAME
                    + " engine (only cpu; execution providers come in a later version)";
            if (options.fallback() == SessionOptions.FallbackPolicy.STRICT) throw new EngineUnavailableException(why);
            refused.add(why);
        }
        if (!refused.isEmpty()) throw new EngineUnavailableException(String.join("; ", refused));
        return "cpu";
    }

    private static OrtSession.SessionOptions sessionOptions(SessionOptions options) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setIntraOpNumThreads(options.threads());
            so.setInterOpNumThreads(1);
            so.addConfigEntry(ALLOW_SPINNING, "0");
            so.setOptimizationLevel(switch (options.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            for (var e : options.providerOptions().entrySet()) so.addConfigEntry(e.getKey(), e.getValue());
            return so;
        } catch (OrtException | RuntimeException e) {
            so.close();
            throw e;
        }
    }

    private static OrtSession createSession(OrtEnvironment env, Model model, OrtSession.SessionOptions so)
            throws OrtException {
        Model.Source source = model.source();
        if (source != null && "onnx".equals(source.format())) {
            if (source.file() != null) return env.createSession(source.file().toString(), so);
            if (source.bytes() != null) return env.createSession(source.bytes(), so);
        }
        return env.createSession(OnnxModels.write(model), so);
    }

    private static String label(Model model) {
        Model.Source s = model.source();
        if (s != null && s.file() != null) return s.file().toString();
        String g = model.graph().name();
        return "model '" + (g.isEmpty() ? "unnamed" : g) + "'";
    }

    /** Loads the native library once; remembers why it could not. */
    private static final class NativeLibrary {
        static final Availability AVAILABILITY = probe();

        private static Availability probe() {
            try {
                OrtEnvironment env = environment();
                return Availability.yes("ONNX Runtime " + env.getVersion() + ", providers "
                        + OrtEnvironment.getAvailableProviders());
            } catch (LinkageError | RuntimeException e) {
                return Availability.no("the ONNX Runtime native library did not load (" + e
                        + "); add com.microsoft.onnxruntime:onnxruntime for this platform to the class path");
            }
        }

        static OrtEnvironment environment() {
            return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "edgerun");
        }
    }
}
