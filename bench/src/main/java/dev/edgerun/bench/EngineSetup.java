package dev.edgerun.bench;

import dev.edgerun.runtime.Edgerun;
import dev.edgerun.runtime.Session;
import dev.edgerun.runtime.SessionOptions;
import dev.edgerun.runtime.ir.Model;
import dev.edgerun.runtime.kernels.KernelProvider;
import dev.edgerun.runtime.kernels.KernelSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns a benchmark's {@code engine} parameter into a session. {@code onnxruntime} is ONNX
 * Runtime's CPU provider; {@code native-java}, {@code native-onednn}, {@code native-xnnpack} are the
 * native engine with {@value KernelSelection#PROPERTY} forced to that provider. Each parameter
 * combination runs in its own JMH fork, so setting the property once per trial is enough.
 */
final class EngineSetup {
    static final String ONNXRUNTIME = "onnxruntime";
    private static final String NATIVE_PREFIX = "native-";

    private EngineSetup() {}

    static Session open(Model model, String engine, int threads) {
        SessionOptions.Builder options = SessionOptions.builder().threads(threads);
        if (engine.equals(ONNXRUNTIME)) return Edgerun.session(model, options.engine(ONNXRUNTIME).build());
        if (!engine.startsWith(NATIVE_PREFIX)) {
            throw new IllegalArgumentException("engine parameter '" + engine + "': expected onnxruntime or native-<kernels>");
        }
        forceKernels(engine.substring(NATIVE_PREFIX.length()));
        return Edgerun.session(model, options.engine("native").build());
    }

    /** Forces the kernel provider and fails the trial, naming the reason, when it cannot load. */
    private static void forceKernels(String provider) {
        System.setProperty(KernelSelection.PROPERTY, provider);
        KernelSelection.resetDefaults();
        List<String> usable = KernelSelection.defaults().providers().stream().map(KernelProvider::name).toList();
        if (!usable.contains(provider)) {
            throw new IllegalStateException("SKIPPED: kernel provider '" + provider + "' is not loadable here (usable: "
                    + usable + "); see the INFO log above for the reason");
        }
    }

    /** The shared data folder from {@code EDGERUN_SHARED} (system property, then environment); fails loudly when unset. */
    static Path sharedDir() {
        String dir = System.getProperty("EDGERUN_SHARED", System.getenv("EDGERUN_SHARED"));
        if (dir == null || dir.isBlank()) {
            throw new IllegalStateException("SKIPPED: EDGERUN_SHARED is not set; the model benchmarks need "
                    + "$EDGERUN_SHARED/models (export EDGERUN_SHARED=/path/to/shared)");
        }
        Path p = Path.of(dir);
        if (!Files.isDirectory(p.resolve("models"))) {
            throw new IllegalStateException("SKIPPED: " + p.resolve("models") + " is not a folder (EDGERUN_SHARED=" + dir + ")");
        }
        return p;
    }
}
