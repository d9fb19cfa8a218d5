package dev.edgerun.devices;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.edgerun.devices.providers.DeviceChoice;
import dev.edgerun.devices.providers.DeviceSelector;
import dev.edgerun.devices.providers.EdgeDefaults;
import dev.edgerun.devices.providers.ExecutionProvider;
import dev.edgerun.devices.providers.NativeLibraryCache;
import dev.edgerun.devices.providers.ProviderStatus;
import dev.edgerun.onnx.OnnxModels;
import dev.edgerun.runtime.Engine;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.ir.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code onnxruntime} engine: ONNX Runtime through its Java API, on the first usable execution
 * provider of {@code SessionOptions.devices()} (see {@link DeviceSelector} and {@link ExecutionProvider}).
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

    /** Every catalogued execution provider: available in the loaded build, or why not and what to install. */
    public static List<ProviderStatus> providerStatuses() {
        var compiled = NativeLibrary.AVAILABILITY.available() ? OrtEnvironment.getAvailableProviders()
                : java.util.EnumSet.noneOf(ai.onnxruntime.OrtProvider.class);
        return ProviderStatus.all(compiled, ProviderStatus.loadedArtifact());
    }

    @Override
    public Session compile(Model model, SessionOptions options) {
        Availability a = availability();
        if (!a.available()) throw new EngineUnavailableException("engine '" + NAME + "' cannot run here: " + a.detail());
        String label = label(model);
        OrtEnvironment env = NativeLibrary.environment();
        int threads = EdgeDefaults.intraOpThreads(options.threads());
        String description;
        OrtSession session;
        try (OrtSession.SessionOptions so = sessionOptions(options, threads)) {
            DeviceChoice device = DeviceSelector.append(options, so, threads,
                    OrtEnvironment.getAvailableProviders(), ProviderStatus.loadedArtifact());
            description = NAME + " " + env.getVersion() + " on " + device.summary() + ", " + threads
                    + " intra-op threads" + (options.threads() > 0 ? "" : " (" + EdgeDefaults.threadsReason() + ")");
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

    private static OrtSession.SessionOptions sessionOptions(SessionOptions options, int threads) throws OrtException {
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        try {
            so.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR);
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.addConfigEntry(ALLOW_SPINNING, "0");
            so.setOptimizationLevel(switch (options.optimization()) {
                case NONE -> OrtSession.SessionOptions.OptLevel.NO_OPT;
                case BASIC -> OrtSession.SessionOptions.OptLevel.BASIC_OPT;
                case ALL -> OrtSession.SessionOptions.OptLevel.ALL_OPT;
            });
            for (var e : options.providerOptions().entrySet()) {
                if (!ExecutionProvider.isProviderOption(e.getKey())) so.addConfigEntry(e.getKey(), e.getValue());
            }
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
                NativeLibraryCache.useStableFolder();
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
