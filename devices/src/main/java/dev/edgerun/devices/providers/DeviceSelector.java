package dev.edgerun.devices.providers;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import dev.edgerun.runtime.EngineUnavailableException;
import dev.edgerun.runtime.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Walks {@link SessionOptions#devices()} in order and appends the first usable execution provider to
 * ONNX Runtime's session options. A device is unusable when the loaded build lacks it or when
 * appending it fails (a provider library that needs CUDA, cuDNN or a driver that is missing).
 * Under {@code STRICT} the first unusable device fails the session with one line saying why and what
 * to install; under {@code FALLBACK} the next device is tried and the choice is logged once.
 */
public final class DeviceSelector {
    private static final System.Logger LOG = System.getLogger("dev.edgerun.devices");
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

    private DeviceSelector() {
    }

    public static DeviceChoice append(SessionOptions options, OrtSession.SessionOptions so, int threads,
                                      Set<OrtProvider> compiledIn, String artifact) {
        List<String> devices = options.devices().isEmpty() ? List.of("cpu") : options.devices();
        List<ExecutionProvider> wanted = devices.stream().map(ExecutionProvider::byDevice).toList();
        for (ExecutionProvider p : ExecutionProvider.values()) p.optionsFrom(options.providerOptions()); // unknown keys fail here
        List<String> skipped = new ArrayList<>();
        for (ExecutionProvider p : wanted) {
            String why = tryAppend(p, options.providerOptions(), so, threads, compiledIn, artifact);
            if (why == null) return chosen(new DeviceChoice(p, skipped));
            if (options.fallback() == SessionOptions.FallbackPolicy.STRICT) {
                throw new EngineUnavailableException("device '" + p.device() + "' is unavailable: " + why);
            }
            skipped.add(p.device() + ": " + why);
        }
        throw new EngineUnavailableException("none of the devices " + devices + " is available: "
                + String.join("; ", skipped));
    }

    /** Null when {@code p} was appended, else why it could not be. */
    private static String tryAppend(ExecutionProvider p, Map<String, String> providerOptions, OrtSession.SessionOptions so,
                                    int threads, Set<OrtProvider> compiledIn, String artifact) {
        ProviderStatus status = ProviderStatus.of(p, compiledIn, artifact);
        if (!status.available()) return status.reason();
        Map<String, String> own = p.optionsFrom(providerOptions);
        if (p == ExecutionProvider.CPU && own.isEmpty()) return null; // the CPU provider is always there
        try {
            p.appendTo(so, own, threads);
            return null;
        } catch (OrtException e) {
            return p.ortProvider().getName() + " did not start (" + e.getMessage().replace('\n', ' ') + "); "
                    + p.runtimeNeeds();
        }
    }

    private static DeviceChoice chosen(DeviceChoice c) {
        if (!c.skipped().isEmpty() && LOGGED.add(c.provider() + " " + c.skipped())) {
            LOG.log(System.Logger.Level.INFO, "onnxruntime runs on " + c.provider().device() + "; skipped "
                    + String.join("; ", c.skipped()));
        }
        return c;
    }
}
